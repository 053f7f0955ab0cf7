// The scripts' catalog in English, as the server sends it to an English page: read from
// posapp/web/js_strings.py, so the tests of the page scripts see the real messages (a test
// without it would see only the keys t() falls back to).

import { readFileSync } from "node:fs";

import { setCatalog } from "../../static/js/lib/i18n.js";

const SOURCE = readFileSync(new URL("../../posapp/web/js_strings.py", import.meta.url), "utf-8");
// One or more adjacent Python string literals (implicit concatenation across lines).
const PIECES = String.raw`((?:\s*"(?:[^"\\]|\\.)*")+)\s*,?\s*`;
const join = (pieces) => [...pieces.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`)).join("");

/** Every script string in English: key -> text, plural key -> {one, other}. */
export function englishCatalog() {
  const catalog = {};
  for (const match of SOURCE.matchAll(new RegExp(String.raw`"([\w.-]+)":\s*lazy\(` + PIECES + String.raw`\)`, "g"))) {
    catalog[match[1]] = join(match[2]);
  }
  const plural = new RegExp(String.raw`"([\w.-]+)":\s*lazy_plural\(` + PIECES + PIECES + String.raw`\)`, "g");
  for (const match of SOURCE.matchAll(plural)) {
    catalog[match[1]] = { one: join(match[2]), other: join(match[3]) };
  }
  return catalog;
}

/** Give the scripts the English catalog (call before the code under test runs). */
export function useEnglish() {
  setCatalog(englishCatalog());
}
