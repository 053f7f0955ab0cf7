// Exact decimals for the browser: money as integer paise (2 places), quantities as integer
// thousandths (3 places). Pure: no DOM, no fetch, so `node --test tests/js/` checks it.
//
// Money never passes through a float: the server sends decimal strings ("42.50"), this turns
// them into integers with string operations, and only Intl's grouping ever sees a number (the
// major units, as a BigInt).

import { devanagariPage, latinDigits, shownDigits } from "./digits.js";
import { t } from "./i18n.js";

// The page's digits (lib/digits.js), here too for the scripts that import only this module.
export { latinDigits, setDigits, shownDigits } from "./digits.js";

/** Parse "123.4" into an integer scaled by 10^places; null if malformed or too precise. */
export function parseFixed(text, places) {
  const match = /^(-)?(\d+)(?:\.(\d*))?$/.exec(latinDigits(text).trim());
  if (!match) return null;
  const fraction = match[3] ?? "";
  if (fraction.length > places) return null;
  const value = Number(match[2]) * 10 ** places + Number(fraction.padEnd(places, "0") || "0");
  if (!Number.isSafeInteger(value)) return null;
  return match[1] ? -value : value;
}

/** Render a scaled integer back as a decimal string ("1.250"). */
export function formatFixed(value, places) {
  const sign = value < 0 ? "-" : "";
  const abs = Math.abs(value);
  const scale = 10 ** places;
  const whole = (abs - (abs % scale)) / scale;
  if (places === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${String(abs % scale).padStart(places, "0")}`;
}

/** Quantities as the server writes them: whole pieces, 3 decimals for measured units. */
export function qtyString(milli, unit) {
  if (unit === "pcs" && milli % 1000 === 0) return formatFixed(milli / 1000, 0);
  return formatFixed(milli, 3);
}

// Intl writes the digits itself for a chart's ticks and tooltips (they call format() directly).
const numbering = () => (devanagariPage() ? { numberingSystem: "deva" } : {});

/**
 * The shop's currency formatter (locale like "en-IN", currency like "INR"); an unknown locale
 * or code falls back to en-IN rupees rather than breaking the page.
 */
export function moneyFormat(locale, currency) {
  const digits = numbering();
  try {
    return new Intl.NumberFormat(locale || "en-IN", { style: "currency", currency: currency || "INR", ...digits });
  } catch {
    return new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR", ...digits });
  }
}

/** The same currency style without paise, for chart axes (₹12,000 not ₹12,000.00). */
export function axisFormat(locale, currency) {
  const whole = {
    style: "currency",
    currency: currency || "INR",
    minimumFractionDigits: 0,
    maximumFractionDigits: 0,
    ...numbering(),
  };
  try {
    return new Intl.NumberFormat(locale || "en-IN", whole);
  } catch {
    return new Intl.NumberFormat("en-IN", { ...whole, currency: "INR" });
  }
}

/** Format paise for people: the rupees go through Intl as a BigInt, the paise as digits. */
export function formatMoney(paise, format) {
  const abs = Math.abs(paise);
  const major = BigInt((abs - (abs % 100)) / 100);
  const minor = String(abs % 100).padStart(2, "0");
  const text = format
    .formatToParts(major)
    .map((part) => (part.type === "fraction" ? minor : part.value))
    .join("");
  // The paise were written 0-9 above: the page's digits go on last, over the whole text.
  return shownDigits(paise < 0 ? `-${text}` : text);
}

/** Format a decimal string from the server ("42.50"); a malformed one shows as zero. */
export const moneyText = (decimal, format) => formatMoney(parseFixed(decimal, 2) ?? 0, format);

/** Check a typed quantity for a unit; return [milli, null] or [null, message]. */
export function checkQuantity(text, unit) {
  const raw = latinDigits(text).trim();
  if (raw === "") return [null, t("common.qty.empty")];
  if (!/^\d*\.?\d*$/.test(raw) || raw === ".") return [null, t("common.qty.number")];
  if (unit === "pcs" && raw.includes(".") && !/\.0*$/.test(raw)) {
    return [null, t("common.qty.pieces")];
  }
  const milli = parseFixed(raw.startsWith(".") ? `0${raw}` : raw, 3);
  if (milli === null) return [null, t("common.qty.decimals")];
  if (milli <= 0) return [null, t("common.qty.zero")];
  return [milli, null];
}

/** Check a bill discount: "" (none), an amount "10.00" or a percent "10%"; the error or null. */
export function checkDiscount(text) {
  const raw = String(text ?? "").trim();
  if (raw === "") return null;
  if (raw.endsWith("%")) {
    const bp = parseFixed(raw.slice(0, -1).trim(), 2);
    if (bp === null || bp > 10000) return t("common.discount.percent");
    return null;
  }
  return parseFixed(raw, 2) === null ? t("common.discount.format") : null;
}

/** Parse cash tendered ("500", "500.50", "1,000"); null if malformed. */
export function parseTendered(text) {
  const value = parseFixed(String(text ?? "").trim().replaceAll(",", ""), 2);
  return value === null || value < 0 ? null : value;
}
