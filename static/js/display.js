// The customer display page: follows its till's bill by long polling /display/state.
//
// Each answer carries a version; the next request asks for anything newer and the server
// holds it until the till publishes (up to 25 s). When the server has too many displays
// waiting (503) this one asks every few seconds without waiting for a while; when it is no
// longer paired (401) the page reloads into the pairing form.

import { formatMoney, moneyFormat, qtyString } from "./lib/money.js";
import { t, tn } from "./lib/i18n.js";

const THANKS_MS = 8000; // the thank-you stays this long, unless the next bill starts
const BUSY_POLL_MS = 3000;
const BUSY_FOR_MS = 30000;
const RETRY_MS = 2000;

const root = document.getElementById("display");
const format = moneyFormat(root.dataset.locale, root.dataset.currency);
const $ = (id) => document.getElementById(id);
const view = {
  idle: $("display-idle"),
  bill: $("display-bill"),
  paid: $("display-paid"),
  lines: $("display-lines"),
  total: $("display-total"),
  count: $("display-count"),
  paying: $("display-paying"),
  upi: $("display-upi"),
  qr: $("display-qr"),
  upiAmount: $("display-upi-amount"),
  invoice: $("display-invoice"),
  paidChange: $("display-paid-change"),
  note: $("display-note"),
};
const screen = { version: -1, thanksUntil: 0, idleTimer: null, busyUntil: 0 };

const money = (paise) => formatMoney(paise, format);

function note(text) {
  view.note.textContent = text;
  view.note.hidden = !text;
}

function showOnly(stage) {
  view.idle.hidden = stage !== "idle";
  view.bill.hidden = stage !== "billing" && stage !== "upi";
  view.paid.hidden = stage !== "paid";
  root.dataset.stage = stage;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.className = className;
  td.textContent = text;
  return td;
}

function renderLines(lines) {
  const rows = lines.map((line) => {
    const tr = document.createElement("tr");
    const qty = qtyString(line.qty, line.unit);
    tr.append(
      cell(line.name, "display-line-name"),
      cell(line.unit === "pcs" ? `× ${qty}` : `${qty} ${line.unit}`, "display-line-qty"),
      cell(line.amount === null ? "…" : money(line.amount), "display-line-amount"),
    );
    return tr;
  });
  const grew = rows.length > view.lines.children.length;
  view.lines.replaceChildren(...rows);
  if (grew && rows.length) {
    rows[rows.length - 1].classList.add("display-line-new");
    rows[rows.length - 1].scrollIntoView({ block: "nearest" });
  }
}

function renderPaying(state) {
  const items = [];
  const labels = { cash: t("display.cash"), card: t("display.card"), upi: t("display.upi"), credit: t("display.credit") };
  for (const [method, label] of Object.entries(labels)) {
    if (state.tenders[method] > 0 && !(method === "upi" && state.upi)) items.push([label, money(state.tenders[method]), ""]);
  }
  if (state.change !== null) items.push([t("display.change"), money(state.change), "display-change"]);
  const nodes = items.flatMap(([label, value, className]) => {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    dt.className = className;
    dd.className = className;
    return [dt, dd];
  });
  view.paying.replaceChildren(...nodes);
  view.paying.hidden = nodes.length === 0;
}

function renderUpi(state, qrUrl) {
  view.upi.hidden = !state.upi;
  if (!state.upi) return;
  view.upiAmount.textContent = money(state.upi.amount);
  if (qrUrl) {
    if (view.qr.getAttribute("src") !== qrUrl) view.qr.src = qrUrl;
    view.qr.hidden = false;
  } else {
    view.qr.removeAttribute("src");
    view.qr.hidden = true;
  }
}

function showIdle() {
  clearTimeout(screen.idleTimer);
  screen.idleTimer = null;
  showOnly("idle");
}

function render(answer) {
  const { state } = answer;
  if (state.stage === "idle") {
    // A finished sale's thank-you stays its few seconds even when the till is already clear.
    const left = screen.thanksUntil - Date.now();
    if (left > 0) {
      clearTimeout(screen.idleTimer);
      screen.idleTimer = setTimeout(showIdle, left);
    } else {
      showIdle();
    }
    return;
  }
  clearTimeout(screen.idleTimer);
  screen.idleTimer = null;
  if (state.stage === "paid") {
    view.invoice.textContent = state.invoice || "";
    view.paidChange.textContent = state.change ? t("display.your_change", { amount: money(state.change) }) : "";
    view.paidChange.hidden = !state.change;
    screen.thanksUntil = Date.now() + THANKS_MS;
    screen.idleTimer = setTimeout(showIdle, THANKS_MS);
    showOnly("paid");
    return;
  }
  screen.thanksUntil = 0; // the next bill has started
  renderLines(state.lines);
  view.total.textContent = money(state.total);
  const count = state.lines.length;
  view.count.textContent = tn("common.items", count);
  renderPaying(state);
  renderUpi(state, answer.qr_url);
  showOnly(state.stage);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll() {
  for (;;) {
    const busy = Date.now() < screen.busyUntil;
    const params = new URLSearchParams();
    if (screen.version >= 0) params.set("after", String(screen.version));
    if (busy) params.set("wait", "0");
    let response;
    try {
      response = await fetch(`${root.dataset.stateUrl}?${params}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch {
      note(t("display.reconnecting"));
      await sleep(RETRY_MS);
      continue;
    }
    if (response.status === 401) {
      window.location.assign(root.dataset.pairUrl); // revoked: back to the pairing form
      return;
    }
    if (response.status === 503) {
      screen.busyUntil = Date.now() + BUSY_FOR_MS;
      note(t("display.busy"));
      await sleep(BUSY_POLL_MS);
      continue;
    }
    if (!response.ok) {
      note(t("display.reconnecting"));
      await sleep(RETRY_MS);
      continue;
    }
    let answer;
    try {
      answer = await response.json();
    } catch {
      await sleep(RETRY_MS);
      continue;
    }
    if (!busy) note("");
    if (answer.version !== screen.version) {
      screen.version = answer.version;
      root.dataset.version = String(answer.version);
      render(answer);
    }
    if (busy) await sleep(BUSY_POLL_MS);
  }
}

poll();
