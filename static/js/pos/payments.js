// Bill discount, cash change and the split tender (card, UPI, credit, cash), and checkout
// (F9). Amounts are integer paise throughout; the server checks and records the sale.

import { postJSON } from "../lib/http.js";
import { t } from "../lib/i18n.js";
import { checkDiscount, formatFixed, formatMoney, parseFixed, parseTendered } from "../lib/money.js";
import { approvalReasons, approveSale } from "./approval.js";
import { cartPayload, clearBill, clearStorage, findLine, render, reprice, save } from "./cart.js";
import { focusCustomerSearch, renderCustomer } from "./customer.js";
import { publishPaid } from "./display.js";
import { readTenders, restForCredit, TENDER_METHODS } from "./tenders.js";
import { upiExtras } from "./upi.js";
import { announce, focusScan, showCheckoutAlert } from "./ui.js";

/** The typed tenders, as readTenders() takes them. */
const tendersOf = (state) => ({
  tenders: state.tenders,
  tendered: state.tendered,
  hasCustomer: Boolean(state.customer),
});

export function renderDiscount(till) {
  const { state, el } = till;
  const clientError = checkDiscount(state.discount);
  const error = clientError || state.priceError?.fields?.discount || null;
  el.billDiscount.classList.toggle("is-invalid", Boolean(error));
  el.billDiscountError.textContent = error || "";
}

/**
 * Show the change live, in integer paise: cash tendered + card + UPI + credit − total. Empty
 * cash tendered means exact cash for whatever the other tenders leave.
 */
export function renderChange(till) {
  const { state, el, format } = till;
  const total = state.priced ? parseFixed(state.priced.total, 2) : null;
  const tenders = readTenders(tendersOf(state), total);
  const raw = state.tendered.trim();
  let label = t("till.pay.change");
  let text = "—";
  let tone = "";
  let error = "";
  if (raw !== "" && tenders.cash === null) {
    error = t("till.pay.cash_format_short");
  } else if (total !== null && !tenders.error) {
    if (raw === "") {
      const rest = total - tenders.other;
      if (tenders.other && rest > 0) {
        label = t("till.pay.cash_to_take");
        text = formatMoney(rest, format);
      } else {
        text = t("till.pay.exact", { amount: formatMoney(0, format) });
      }
    } else {
      const change = tenders.cash + tenders.other - total;
      if (change < 0) {
        label = t("till.pay.short_by");
        text = formatMoney(-change, format);
        tone = "short";
      } else {
        text = formatMoney(change, format);
        tone = "ok";
      }
    }
  }
  el.tendered.classList.toggle("is-invalid", Boolean(error));
  el.tenderedError.textContent = error;
  el.tenderError.textContent = tenders.error || creditWarning(till, tenders.credit);
  for (const method of TENDER_METHODS) {
    const field = { card: el.payCard, upi: el.payUpi, credit: el.payCredit }[method];
    const bad = state.tenders[method].trim() !== "" && parseTendered(state.tenders[method]) === null;
    field.classList.toggle("is-invalid", bad);
  }
  el.changeLabel.textContent = label;
  el.change.textContent = text;
  el.changeBox.dataset.tone = tone;
}

/** Warn early when a credit part is more than the customer has left (the server decides). */
function creditWarning(till, credit) {
  const { customer } = till.state;
  if (!credit || !customer) return "";
  const available = parseFixed(customer.available_credit, 2);
  if (available === null || credit <= available) return "";
  return t("till.pay.credit_left", { amount: formatMoney(available, till.format), name: customer.name });
}

/** What the customer may still put on credit, in paise; null: no limit (or not known). */
function creditAllowed(customer) {
  if (customer.credit_limit === null) return null;
  return parseFixed(customer.available_credit, 2);
}

/** The note beside the credit field: created on first use, so the panel's markup stays as is. */
function creditNote(till) {
  const { el } = till;
  if (!el.creditNote) {
    const note = document.createElement("div");
    note.id = "credit-note";
    note.className = "small fw-semibold";
    note.setAttribute("role", "status");
    note.hidden = true;
    el.tenderError.before(note);
    // A credit amount typed by hand is the cashier's own: the F8 note no longer describes it.
    el.payCredit.addEventListener("input", () => setCreditNote(till, ""));
    el.creditNote = note;
  }
  return el.creditNote;
}

/** Show (or, with "", hide) what F8 did about the customer's limit. */
export function setCreditNote(till, text) {
  if (!text && !till.el.creditNote) return;
  const note = creditNote(till);
  note.textContent = text;
  note.hidden = !text;
}

/** The note for `credit` of `rest` put on credit within the customer's limit. */
function limitNote(customer, rest, credit, format) {
  const money = (paise) => formatMoney(paise, format);
  if (credit >= rest) return "";
  const due = t("till.pay.still_to_pay", { amount: money(rest - credit) });
  if (parseFixed(customer.credit_limit, 2) === 0) {
    return t("till.pay.no_credit_allowed", { name: customer.name, limit: money(0), due });
  }
  if (credit === 0) return t("till.pay.no_credit_left", { name: customer.name, due });
  return t("till.pay.credit_capped", { amount: money(credit), name: customer.name, due });
}

/**
 * F8: put on the customer's credit what card, UPI and cash tendered do not cover, but never
 * more than their limit allows (the server would refuse it), and say so beside the field.
 */
export function restOnCredit(till) {
  const { state, el } = till;
  if (!state.customer) {
    showCheckoutAlert(till, t("till.pay.credit_attach_first"), "checkout");
    focusCustomerSearch(till);
    return;
  }
  const total = state.priced ? parseFixed(state.priced.total, 2) : null;
  if (total === null) return;
  const rest = restForCredit(tendersOf(state), total);
  const allowed = creditAllowed(state.customer);
  const credit = allowed === null ? rest : Math.min(rest, allowed);
  state.tenders.credit = credit ? formatFixed(credit, 2) : "";
  el.payCredit.value = state.tenders.credit;
  save(till);
  renderChange(till);
  setCreditNote(till, limitNote(state.customer, rest, credit, till.format));
  el.payCredit.focus();
}

function receiptUrl(till, id) {
  return `${till.cfg.receiptUrl.replace(/\/0$/, `/${id}`)}?print=1`;
}

function setBusy(till, busy) {
  const { state, el } = till;
  state.busy = busy;
  el.complete.querySelector(".spinner-border").hidden = !busy;
  el.complete.querySelector(".complete-label").textContent = busy ? t("till.pay.completing") : t("till.pay.complete");
  el.complete.disabled = busy || state.lines.length === 0;
  el.newBill.disabled = busy;
  el.hold.disabled = busy;
}

/** F9: wait for scans and prices in flight, check the tenders, record the sale, print. */
export async function completeSale(till) {
  const { state, el, cfg, format } = till;
  if (state.busy) return;
  if (!state.lines.length) {
    showCheckoutAlert(till, t("till.bill.empty_checkout"), "checkout");
    focusScan(till);
    return;
  }
  setBusy(till, true);
  let leaving = false;
  try {
    await state.scanQueue; // a scan typed just before F9 belongs to this bill
    await state.pricing;
    if (state.qtyErrors.size) {
      showCheckoutAlert(till, t("till.bill.fix_quantity"), "checkout");
      return;
    }
    if (checkDiscount(state.discount)) {
      showCheckoutAlert(till, checkDiscount(state.discount), "checkout");
      return;
    }
    if (!state.priced) {
      showCheckoutAlert(till, state.priceError?.message || t("till.bill.not_priced"), "checkout");
      return;
    }
    const total = parseFixed(state.priced.total, 2);
    const tenders = readTenders(tendersOf(state), total);
    if (tenders.error) {
      showCheckoutAlert(till, tenders.error, "checkout");
      return;
    }
    const payments = [];
    for (const method of TENDER_METHODS) {
      if (tenders[method] > 0) {
        const extras = method === "upi" ? upiExtras(till) : {};
        payments.push({ method, amount: formatFixed(tenders[method], 2), ...extras });
      }
    }
    if (state.tendered.trim()) {
      if (tenders.cash === null) {
        showCheckoutAlert(till, t("till.pay.cash_format"), "checkout");
        el.tendered.focus();
        return;
      }
      if (tenders.cash + tenders.other < total) {
        const short = formatMoney(total - tenders.other - tenders.cash, format);
        showCheckoutAlert(till, t("till.pay.short", { amount: short }), "checkout");
        el.tendered.focus();
        return;
      }
      if (tenders.cash > 0) payments.push({ method: "cash", amount: formatFixed(tenders.cash, 2) });
    } else if (total - tenders.other > 0) {
      payments.push({ method: "cash", amount: formatFixed(total - tenders.other, 2) });
    }
    const payload = { ...cartPayload(till), payments };
    let result = await postJSON(cfg.checkoutUrl, payload);
    const reasons = approvalReasons(result);
    if (reasons) result = (await approveSale(till, payload, reasons)) ?? result;
    if (result.ok) {
      leaving = true;
      clearStorage(till);
      publishPaid(till, result.data);
      announce(till, t("till.pay.completed", { number: result.data.number }));
      window.location.assign(receiptUrl(till, result.data.id));
      return;
    }
    showCheckoutAlert(till, result.message, "checkout");
    if (result.status === 409 && result.details?.available !== undefined && state.customer &&
        result.details.customer_id === state.customer.id) {
      state.customer.available_credit = result.details.available;
      state.customer.balance = result.details.balance;
      renderCustomer(till);
      el.payCredit.focus();
    }
    const shortId = result.details?.product_id;
    if (result.status === 409 && state.rows.has(shortId)) {
      state.rows.get(shortId).tr.dataset.short = "1";
      const line = findLine(till, shortId);
      if (line && result.details.available !== undefined) line.stock = result.details.available;
      render(till);
    }
  } finally {
    if (!leaving) {
      setBusy(till, false);
      render(till);
    }
  }
}

/** Listen to the discount and tender fields, Complete sale and New bill. */
export function bindPayments(till) {
  const { state, el } = till;

  el.billDiscount.addEventListener("input", () => {
    state.discount = el.billDiscount.value;
    save(till);
    clearTimeout(state.discountTimer);
    state.discountTimer = setTimeout(() => reprice(till), 300);
    renderDiscount(till);
  });
  el.billDiscount.addEventListener("change", () => {
    clearTimeout(state.discountTimer);
    state.discount = el.billDiscount.value;
    save(till);
    reprice(till);
  });

  el.tendered.addEventListener("input", () => {
    state.tendered = el.tendered.value;
    save(till);
    renderChange(till);
  });

  for (const [method, field] of [["card", el.payCard], ["upi", el.payUpi], ["credit", el.payCredit]]) {
    field.addEventListener("input", () => {
      state.tenders[method] = field.value;
      save(till);
      renderChange(till);
    });
  }

  for (const field of [el.billDiscount, el.tendered, el.payCard, el.payUpi, el.payCredit]) {
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        focusScan(till);
      } else if (event.key === "Enter" && field === el.billDiscount) {
        // Enter in a tender field completes the sale when it is paid (tender-keys.js).
        event.preventDefault();
        clearTimeout(state.discountTimer);
        reprice(till);
        focusScan(till);
      }
    });
  }

  el.complete.addEventListener("click", () => completeSale(till));
  el.newBill.addEventListener("click", () => {
    if (state.lines.length && !window.confirm(t("till.bill.clear_confirm"))) {
      focusScan(till);
      return;
    }
    clearBill(till);
    focusScan(till);
  });
}
