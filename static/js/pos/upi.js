// UPI at the till: Enter in the UPI field shows a QR for exactly the UPI amount (an empty
// field first takes what the other tenders leave), with the amount in big digits, the payee
// and the UPI ID. The cashier types the UPI reference (UTR) if they want and presses Enter
// ("Received"): the sale then completes when the bill is paid, as Enter in any tender field
// does. Esc goes back to the UPI field. The QR is drawn by the server (GET /upi/qr); the bill
// reference it carries (`tr`) stays the same for the whole bill and goes with the payment.
// No UPI ID set: the till says where an admin sets one, and UPI works as before.

import { getJSON } from "../lib/http.js";
import { t } from "../lib/i18n.js";
import { formatFixed, parseTendered } from "../lib/money.js";
import { amountToGo, enterInTender, focusTender } from "./tender-keys.js";

const UTR = /^[0-9]{12}$/;
const REFERENCE = /^[A-Z0-9]{1,35}$/;

/**
 * The reference as the server stores it (spaces out, upper-case), or {error}: digits only
 * must be a 12-digit UTR, anything else up to 35 letters and digits ("" is none).
 */
export function readReference(text) {
  const value = String(text ?? "").replace(/\s+/g, "").toUpperCase();
  if (value === "") return { value };
  if (/^[0-9]+$/.test(value)) {
    return UTR.test(value) ? { value } : { error: t("till.upi.utr_length", { count: value.length }) };
  }
  if (!REFERENCE.test(value)) return { error: t("till.upi.reference_format") };
  return { value };
}

/** What the UPI payment sends besides its amount: the QR's `tr` and the typed reference. */
export function upiExtras(till) {
  const { upi } = till.state;
  const extras = {};
  if (upi.tr) extras.upi_tr = upi.tr;
  if (upi.received && upi.reference) extras.reference = upi.reference;
  return extras;
}

function parts() {
  const $ = (id) => document.getElementById(id);
  return {
    dialog: $("upi-dialog"),
    form: $("upi-form"),
    qr: $("upi-qr"),
    amount: $("upi-amount"),
    payee: $("upi-payee"),
    vpa: $("upi-vpa"),
    tr: $("upi-tr"),
    reference: $("upi-reference"),
    error: $("upi-error"),
    back: $("upi-back"),
    hint: $("upi-hint"),
  };
}

function showHint(ui, message) {
  ui.hint.replaceChildren(message);
  if (ui.hint.dataset.admin && ui.hint.dataset.settingsUrl) {
    const link = document.createElement("a");
    link.href = ui.hint.dataset.settingsUrl;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = t("till.upi.set_up");
    ui.hint.append(" ", link);
  }
  ui.hint.hidden = false;
}

/** Enter in the UPI field: show the QR for its amount, or do what Enter always did. */
async function enterInUpi(till, ui) {
  const { state, el } = till;
  if (state.busy || ui.dialog.open) return;
  if (state.lines.length) {
    await state.scanQueue;
    await state.pricing;
  }
  // An empty UPI field asks for what the other tenders leave: F11, Enter shows the whole bill
  // (filled in only once the QR is there: without a UPI ID, Enter does what it always did).
  const empty = el.payUpi.value.trim() === "";
  const amount = empty ? (state.lines.length ? amountToGo(till, false) : null) : parseTendered(el.payUpi.value);
  if (!amount || (state.upi.received && state.upi.amount === amount && !empty)) {
    await enterInTender(till, el.payUpi);
    return;
  }
  const query = new URLSearchParams({ amount: formatFixed(amount, 2) });
  if (state.upi.tr) query.set("tr", state.upi.tr);
  const answer = await getJSON(`${ui.dialog.dataset.qrUrl}?${query}`);
  if (!answer.ok) {
    showHint(ui, answer.message);
    // No UPI ID (409): UPI is taken as before, without a QR.
    if (answer.status === 409) await enterInTender(till, el.payUpi);
    return;
  }
  ui.hint.hidden = true;
  if (empty) {
    el.payUpi.value = formatFixed(amount, 2);
    el.payUpi.dispatchEvent(new Event("input", { bubbles: true }));
  }
  // The QR as an image of the server's SVG for exactly this amount and reference (never markup
  // built from data); the dialog opens once it is drawn, so the first frame can be scanned.
  const image = new Image();
  image.alt = "";
  image.src = `${ui.dialog.dataset.qrUrl}.svg?${new URLSearchParams({
    amount: formatFixed(amount, 2),
    tr: answer.data.tr,
  })}`;
  await image.decode().catch(() => {});
  openDialog(till, ui, amount, answer.data, image);
}

function openDialog(till, ui, amount, data, image) {
  const { state } = till;
  state.upi.tr = data.tr;
  state.upi.amount = amount;
  state.upi.received = false;
  ui.qr.replaceChildren(image);
  ui.qr.dataset.link = data.link;
  ui.amount.textContent = data.amount_text;
  ui.payee.textContent = data.payee;
  ui.vpa.textContent = data.label ? `${data.vpa} (${data.label})` : data.vpa;
  ui.tr.textContent = data.tr;
  ui.reference.value = state.upi.reference;
  ui.reference.classList.remove("is-invalid");
  ui.error.textContent = "";
  ui.dialog.showModal();
  ui.reference.focus();
  ui.reference.select();
  // For whoever mirrors the till (the customer display): the QR shown, and when it goes.
  document.dispatchEvent(
    new CustomEvent("tillbook:upi-qr", {
      detail: { amount: data.amount, amount_text: data.amount_text, tr: data.tr, link: data.link },
    }),
  );
}

function closeDialog(ui, received) {
  if (ui.dialog.open) ui.dialog.close();
  ui.qr.replaceChildren();
  document.dispatchEvent(new CustomEvent("tillbook:upi-qr-closed", { detail: { received } }));
}

/** Wire the UPI field's Enter, the dialog's Enter (received) and Esc (back). */
export function bindUpi(till) {
  const { state, el } = till;
  const ui = parts();
  if (!ui.dialog) return;

  // Before tender-keys.js's own Enter (a capturing listener runs first on the field itself).
  el.payUpi.addEventListener(
    "keydown",
    (event) => {
      if (event.key !== "Enter" || event.isComposing) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      enterInUpi(till, ui);
    },
    { capture: true },
  );
  el.payUpi.addEventListener("input", () => {
    ui.hint.hidden = true;
    if (state.upi.amount !== parseTendered(el.payUpi.value)) state.upi.received = false;
  });

  ui.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reference = readReference(ui.reference.value);
    if (reference.error) {
      ui.error.textContent = reference.error;
      ui.reference.classList.add("is-invalid");
      ui.reference.focus();
      return;
    }
    state.upi.reference = reference.value;
    state.upi.received = true;
    closeDialog(ui, true);
    await enterInTender(till, el.payUpi);
  });
  const back = (event) => {
    event.preventDefault();
    closeDialog(ui, false);
    focusTender(till, "payUpi");
  };
  ui.dialog.addEventListener("cancel", back);
  ui.back.addEventListener("click", back);
  // A new bill gets a new bill reference.
  el.newBill.addEventListener("click", () => {
    state.upi = { tr: "", reference: "", amount: null, received: false };
    ui.hint.hidden = true;
  });
}
