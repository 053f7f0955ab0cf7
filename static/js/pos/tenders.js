// Split tender arithmetic for the till, in integer paise. Pure (no DOM): tests/js checks it.

import { parseTendered } from "../lib/money.js";
import { t } from "../lib/i18n.js";

/** The non-cash parts of a split payment, in the order they are sent to the server. */
export const TENDER_METHODS = ["card", "upi", "credit"];
// The message for a malformed amount in each field (a key per method: the words differ).
const FORMAT_ERRORS = { card: "till.pay.card_format", upi: "till.pay.upi_format", credit: "till.pay.credit_format" };

/**
 * Read the split tender in paise: {card, upi, credit, other, cash, error}. Only cash may
 * exceed the total; an empty cash field means "cash pays the rest" (cash is then null).
 * `tenders` holds the typed card/UPI/credit texts, `tendered` the typed cash, `total` the
 * bill's total in paise (null while the server has not priced it).
 */
export function readTenders({ tenders, tendered, hasCustomer }, total) {
  const parts = { card: 0, upi: 0, credit: 0 };
  for (const method of TENDER_METHODS) {
    const raw = tenders[method].trim();
    if (raw === "") continue;
    const value = parseTendered(raw);
    if (value === null) return { ...parts, error: t(FORMAT_ERRORS[method]) };
    parts[method] = value;
  }
  const other = parts.card + parts.upi + parts.credit;
  if (parts.credit && !hasCustomer) {
    return { ...parts, other, error: t("till.pay.credit_no_customer") };
  }
  if (total !== null && other > total) {
    return { ...parts, other, error: t("till.pay.over_total") };
  }
  let cash = null; // null: cash pays exactly the rest
  if (tendered.trim() !== "") cash = parseTendered(tendered);
  return { ...parts, other, cash, error: "" };
}

/** F8's amount: what card, UPI and cash tendered leave of the total, never below zero. */
export function restForCredit({ tenders, tendered }, total) {
  const card = parseTendered(tenders.card) ?? 0;
  const upi = parseTendered(tenders.upi) ?? 0;
  const cash = tendered.trim() ? parseTendered(tendered) ?? 0 : 0;
  return Math.max(0, total - card - upi - cash);
}
