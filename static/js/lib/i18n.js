// The page's strings in the user's language: the catalog the server put in #tb-i18n
// (posapp/web/js_strings.py). A script never holds the words it shows, only their keys.

import { shownDigits } from "./digits.js";

const block = typeof document !== "undefined" ? document.getElementById("tb-i18n") : null;
let catalog = {};
try {
  catalog = block ? JSON.parse(block.textContent || "{}") : {};
} catch {
  catalog = {};
}
const language = typeof document !== "undefined" ? document.documentElement.lang || "en" : "en";

const fill = (text, values) =>
  text.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));

/** The string for `key` with its %(name)s places filled from `values`. */
export function t(key, values = {}) {
  const text = catalog[key];
  if (typeof text !== "string") {
    console.warn(`tillbook: no string for ${key}`);
    return key;
  }
  return fill(text, values);
}

/** The plural string for `key` and `count` (%(num)s is the count). */
export function tn(key, count, values = {}) {
  const forms = catalog[key];
  if (!forms || typeof forms !== "object") {
    console.warn(`tillbook: no plural string for ${key}`);
    return `${key} ${count}`;
  }
  const form = new Intl.PluralRules(language).select(count);
  // The count as the page writes numbers (०-९ on a Devanagari-digits page).
  return fill(forms[form] || forms.other, { ...values, num: shownDigits(count) });
}

/** Replace the catalog (tests, and pages that build their own). */
export function setCatalog(next) {
  catalog = next || {};
}
