// Digits as the page shows them. <html data-digits="deva"> (a Hindi or Marathi screen with the
// shop's Devanagari digits on; posapp/web/filters.py) writes amounts and counts ०-९, grouped as
// ever. Typed text may hold ०-९ too: the parsers (lib/money.js) read them as 0-9, and what goes
// to the server (input values, JSON) is written 0-9.

const DEVANAGARI = "०१२३४५६७८९";
let devanagari = typeof document !== "undefined" && document.documentElement?.dataset?.digits === "deva";

/** Choose the shown digits: "deva" for ०-९, anything else for 0-9 (tests; pages read <html>). */
export function setDigits(kind) {
  devanagari = kind === "deva";
}

/** Whether this page writes its numbers ०-९. */
export const devanagariPage = () => devanagari;

/** Text with its ०-९ read as 0-9 (what the parsers read; nothing else changes). */
export function latinDigits(text) {
  return String(text ?? "").replace(/[०-९]/g, (digit) => String(DEVANAGARI.indexOf(digit)));
}

/** Formatted text as the page shows it: 0-9 written ०-९ on a Devanagari-digits page. */
export function shownDigits(text) {
  return devanagari ? String(text).replace(/[0-9]/g, (digit) => DEVANAGARI[Number(digit)]) : String(text);
}
