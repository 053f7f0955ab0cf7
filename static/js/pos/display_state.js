// What the customer display shows of the till's bill, built from the till's state. Pure (no
// DOM, no fetch): tests/js checks it. Amounts are integer paise, quantities integer
// thousandths, as the server's parse_state (services/display_mirror.py) takes them.

import { parseFixed } from "../lib/money.js";
import { readTenders } from "./tenders.js";

const NO_TENDERS = { cash: 0, card: 0, upi: 0, credit: 0 };

/** The idle screen: no bill on the till. */
export const IDLE = Object.freeze({
  stage: "idle",
  lines: [],
  total: 0,
  discount: 0,
  tax: 0,
  tenders: NO_TENDERS,
  change: null,
  upi: null,
  invoice: null,
});

const paise = (decimal) => parseFixed(decimal, 2);

/**
 * The bill as the customer sees it: lines (name, quantity, unit, the server's line total or
 * null while it is being priced), totals, the typed tenders, the change once cash covers the
 * bill, and — when a UPI amount is typed — the UPI part with the till's `upi://pay` link
 * (null when the till has none to show). Unreadable typed amounts count as nothing here; the
 * till itself says what is wrong with them.
 */
export function displayState(state, upiLink = null) {
  if (!state.lines.length) return IDLE;
  const priced = state.priced;
  const shown = priced || state.shown;
  const lines = state.lines.map((line, index) => {
    const pricedLine = priced?.lines[index];
    const qty = parseFixed(pricedLine ? pricedLine.quantity : line.quantity, 3);
    return {
      name: String(line.name),
      qty: qty !== null && qty >= 0 ? qty : 0,
      unit: String(line.unit || ""),
      amount: pricedLine ? paise(pricedLine.total) : null,
    };
  });
  const total = shown ? paise(shown.total) ?? 0 : 0;
  const read = readTenders(
    { tenders: state.tenders, tendered: state.tendered, hasCustomer: Boolean(state.customer) },
    priced ? total : null,
  );
  const ok = !read.error;
  const tenders = {
    cash: ok && read.cash !== null ? read.cash : 0,
    card: ok ? read.card : 0,
    upi: ok ? read.upi : 0,
    credit: ok ? read.credit : 0,
  };
  let change = null;
  if (priced && ok && read.cash !== null && read.cash + read.other >= total) {
    change = read.cash + read.other - total;
  }
  const upi = tenders.upi > 0 ? { amount: tenders.upi, link: upiLink || null } : null;
  return {
    stage: upi ? "upi" : "billing",
    lines,
    total,
    discount: Math.max(0, shown ? paise(shown.discount_total) ?? 0 : 0),
    tax: Math.max(0, shown ? paise(shown.tax_total) ?? 0 : 0),
    tenders,
    change,
    upi,
    invoice: null,
  };
}

/** The thank-you screen for a completed sale (the invoice JSON checkout answered). */
export function paidState(invoice) {
  const payments = { ...NO_TENDERS };
  for (const payment of invoice.payments || []) {
    const amount = paise(payment.amount);
    if (amount !== null && amount > 0 && payment.method in payments) payments[payment.method] += amount;
  }
  const change = paise(invoice.change);
  return {
    ...IDLE,
    stage: "paid",
    total: Math.max(0, paise(invoice.total) ?? 0),
    tenders: payments,
    change: change !== null && change > 0 ? change : null,
    invoice: String(invoice.number || "").slice(0, 40),
  };
}
