// What the cashier typed or scanned into the till's scan field, read as text: a quantity
// prefix ("3*", "1.5*8901234567890") and whether the rest is a code or words of a name.
// Pure: no DOM, no fetch, so `node --test tests/js/` checks it. Quantities stay integer
// thousandths parsed from the digits (never a float), like lib/money.js.

import { formatFixed, parseFixed } from "../lib/money.js";
import { t } from "../lib/i18n.js";

/** The largest prefix taken (thousandths): 9999 of anything at one go is surely a typo. */
export const MAX_PREFIX_MILLI = 9_999_000;

/** A quantity as people write it: 3, 1.5, 0.25 (no trailing zeros). */
const shortQty = (milli) => formatFixed(milli, 3).replace(/\.?0+$/, "");

// Looked up when shown: the catalog may be set after this module loads (tests).
const prefixHelp = () => t("till.scan.prefix_help");

/**
 * Does this text look like a code? No spaces, and at least one digit ("8901234567890",
 * "R-100", "7UP"). Words without digits ("taj", "tata salt") are names. A code that matches
 * nothing is "Unknown code: …"; a name that matches nothing is "No product matches …".
 */
export function looksLikeCode(text) {
  const t = String(text ?? "").trim();
  return t !== "" && !/\s/.test(t) && /\d/.test(t);
}

/** Read a prefix quantity ("3", "1.5", ".250"): [milli, null] or [null, message]. */
function readPrefix(head) {
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(head)) return [null, prefixHelp()];
  const milli = parseFixed(head.startsWith(".") ? `0${head}` : head, 3);
  if (milli === null) return [null, t("till.scan.prefix_decimals")];
  if (milli <= 0) return [null, t("till.scan.prefix_zero")];
  if (milli > MAX_PREFIX_MILLI) return [null, t("till.scan.prefix_max", { max: formatFixed(MAX_PREFIX_MILLI / 1000, 0) })];
  return [milli, null];
}

/**
 * Read the scan field's text. One of:
 * - {kind: "empty"}
 * - {kind: "prefix", milli}: "3*" alone, waiting for the item
 * - {kind: "item", milli, text, code}: the item (with its own prefix, or milli null), and
 *   whether its text looks like a code
 * - {kind: "error", message}: a prefix that is not a quantity
 */
export function readScanText(typed) {
  const raw = String(typed ?? "").trim();
  if (raw === "") return { kind: "empty" };
  const star = raw.search(/[*×]/);
  if (star < 0) return { kind: "item", milli: null, text: raw, code: looksLikeCode(raw) };
  const [milli, error] = readPrefix(raw.slice(0, star).trim());
  if (error) return { kind: "error", message: error };
  const text = raw.slice(star + 1).trim();
  if (text === "") return { kind: "prefix", milli };
  if (/[*×]/.test(text)) return { kind: "error", message: prefixHelp() };
  return { kind: "item", milli, text, code: looksLikeCode(text) };
}

/**
 * The quantity to add when a prefix meets a product: [quantity string, null] or [null, message].
 * `scanned` is what the code itself carries ("1" for a barcode, "0.500" from a weight label).
 * A scale label (`isLabel`) is one package, a line of its own, so no prefix goes before it.
 * Piece items take whole numbers.
 */
export function prefixedQuantity(prefixMilli, scanned, product, isLabel = false) {
  const scannedMilli = parseFixed(scanned ?? "1", 3) ?? 1000;
  if (prefixMilli === null || prefixMilli === undefined) return [formatFixed(scannedMilli, 3), null];
  if (product.unit === "pcs" && prefixMilli % 1000 !== 0) {
    return [null, t("till.scan.prefix_pieces", { name: product.name, qty: `${shortQty(prefixMilli)}*` })];
  }
  if (isLabel) {
    return [null, t("till.scan.prefix_label")];
  }
  return [formatFixed(prefixMilli, 3), null];
}

/** The hint shown while a prefix waits for its item: "×3 — scan the item". */
export function prefixHint(milli) {
  return t("till.scan.prefix_hint", { qty: `×${shortQty(milli)}` });
}

/** An order's number as its packing slip prints it and its QR holds ("ORD-12"), typed or
 * scanned in any case, with no quantity prefix: the number in capitals, else null. */
export function orderNumber(text) {
  const match = /^ord-(\d{1,12})$/i.exec(String(text ?? "").trim());
  return match ? `ORD-${match[1]}` : null;
}
