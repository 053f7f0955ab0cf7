// The customer display, till side: the "Customer display" button (a pairing code for this
// till) and publishing the bill to the server whenever the till's page changes.
//
// The till is the logged-in cashier: displays mirror a user's till, as the cart is kept per
// user (till.js storageKey). Publishing watches the page's DOM (a MutationObserver) instead
// of hooking each render, debounced by DEBOUNCE_MS; identical states are not sent twice and
// sends go out one after another, so an older state never overtakes a newer.

import { postJSON, send } from "../lib/http.js";
import { t } from "../lib/i18n.js";
import { displayState, paidState } from "./display_state.js";
import { focusScan, showCheckoutAlert } from "./ui.js";

const DEBOUNCE_MS = 25;

/**
 * The state with the till's clock in ms: the server drops one that arrives after a newer
 * (the paid picture of the last sale overtaken by the next bill's first scan).
 */
const stamped = (state) => ({ ...state, at: Math.round(performance.timeOrigin + performance.now()) });

/** Send a state after the ones already on their way (so an older one never lands last). */
function post(till, state) {
  const box = till.state.display;
  const body = JSON.stringify(state);
  if (body === box.last) return;
  box.last = body;
  box.sending = box.sending
    .then(() => send(box.publishUrl, { method: "POST", json: stamped(state) }))
    .catch(() => {
      box.last = ""; // not delivered: the next change sends the whole state again
    });
}

function publishNow(till) {
  const box = till.state.display;
  box.timer = null;
  if (box.done) return; // the sale is complete: the thank-you stays until the page leaves
  post(till, displayState(till.state, box.upiLink));
}

/** Publish soon (changes within DEBOUNCE_MS go out as one). */
export function schedulePublish(till) {
  const box = till.state.display;
  if (!box || box.timer !== null) return;
  box.timer = setTimeout(() => publishNow(till), DEBOUNCE_MS);
}

/**
 * Checkout answered: show the customer the thank-you with the invoice number. Sent at once,
 * not after the updates still on their way: the receipt page is about to replace this one,
 * and `keepalive` lets the request finish after it has.
 */
export function publishPaid(till, invoice) {
  const box = till.state.display;
  if (!box) return;
  clearTimeout(box.timer);
  box.timer = null;
  box.done = true;
  send(box.publishUrl, { method: "POST", json: stamped(paidState(invoice)), keepalive: true }).catch(() => {});
}

// --- the pairing dialog ------------------------------------------------------------------------

function showCode(till, dialog, answer) {
  const box = till.state.display;
  const parts = dialog.querySelector("[data-display-code]");
  parts.textContent = `${answer.code.slice(0, 3)} ${answer.code.slice(3)}`;
  dialog.querySelector("[data-display-url]").textContent = answer.url;
  dialog.querySelector("[data-display-lan]").hidden = answer.shared;
  const left = dialog.querySelector("[data-display-left]");
  const until = Date.now() + answer.expires_in * 1000;
  clearInterval(box.countdown);
  const tick = () => {
    const seconds = Math.max(0, Math.round((until - Date.now()) / 1000));
    left.textContent = seconds
      ? t("till.display.code_left", { time: `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}` })
      : t("till.display.code_expired");
    if (!seconds) clearInterval(box.countdown);
  };
  tick();
  box.countdown = setInterval(tick, 1000);
}

async function newCode(till, dialog) {
  const alert = dialog.querySelector("[data-display-alert]");
  alert.hidden = true;
  const result = await postJSON(dialog.dataset.codeUrl, {});
  if (!result.ok) {
    alert.textContent = result.message;
    alert.hidden = false;
    return;
  }
  showCode(till, dialog, result.data);
}

function bindDialog(till, dialog) {
  const open = document.getElementById("display-open");
  open.addEventListener("click", async () => {
    dialog.showModal();
    await newCode(till, dialog);
  });
  dialog.querySelector("[data-display-new]").addEventListener("click", () => newCode(till, dialog));
  dialog.addEventListener("close", () => {
    clearInterval(till.state.display.countdown);
    focusScan(till);
  });
}

/**
 * The UPI QR the till shows (pos/upi.js announces it with DOM events): its `upi://pay` link
 * goes to the display while the QR is up, and stays once the cashier has marked it received.
 */
function bindUpiQr(till) {
  const box = till.state.display;
  document.addEventListener("tillbook:upi-qr", (event) => {
    const link = event.detail?.link;
    box.upiLink = typeof link === "string" && link.startsWith("upi://pay?") ? link : null;
    schedulePublish(till);
  });
  document.addEventListener("tillbook:upi-qr-closed", (event) => {
    if (!event.detail?.received) box.upiLink = null;
    schedulePublish(till);
  });
}

/** The desktop app's window (pywebview) can open the display on the second monitor. */
function bindSecondWindow(till, dialog) {
  const button = document.getElementById("display-window");
  const api = () => window.pywebview?.api;
  const reveal = () => {
    button.hidden = typeof api()?.open_customer_display !== "function";
  };
  reveal();
  window.addEventListener("pywebviewready", reveal);
  button.addEventListener("click", async () => {
    const result = await postJSON(dialog.dataset.desktopUrl, {});
    if (!result.ok) {
      showCheckoutAlert(till, result.message, "checkout");
      return;
    }
    try {
      await api().open_customer_display(new URL(result.data.url, window.location.href).href);
    } catch (error) {
      showCheckoutAlert(till, t("till.display.open_failed", { error: error.message || error }), "checkout");
    }
    focusScan(till);
  });
}

/** Start publishing the till's bill and wire the Customer display buttons. */
export function bindDisplay(till) {
  const dialog = document.getElementById("display-pairing");
  if (!dialog) return;
  till.state.display = {
    publishUrl: dialog.dataset.publishUrl,
    last: "",
    timer: null,
    done: false,
    sending: Promise.resolve(),
    countdown: null,
    upiLink: null, // the link of the UPI QR the till shows now
  };
  bindDialog(till, dialog);
  bindUpiQr(till);
  bindSecondWindow(till, dialog);
  // The whole page, not just #till: the dialogs live outside it.
  const root = document.body;
  const observer = new MutationObserver((records) => {
    if (records.some((record) => !dialog.contains(record.target))) schedulePublish(till);
  });
  observer.observe(root, { childList: true, subtree: true, characterData: true });
  // Typing in a field changes no text by itself: watch the typing too.
  root.addEventListener("input", () => schedulePublish(till));
  schedulePublish(till);
}
