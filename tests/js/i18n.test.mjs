// static/js/lib/i18n.js: the page's catalog (#tb-i18n) read once; t() fills %(name)s places and
// tn() picks the plural form the page's language needs (run by tests/web/test_js_units.py).

import assert from "node:assert/strict";
import { describe, it } from "node:test";

// A Hindi page, as the server renders it: <html lang="hi"> and the catalog in #tb-i18n.
const CATALOG = {
  "till.pay.short": "भुगतान में %(amount)s कम है।",
  "till.line.short": "स्टॉक में सिर्फ़ %(stock)s %(unit)s",
  "common.items": { one: "%(num)s आइटम", other: "%(num)s आइटम" },
  "test.bills": { one: "%(num)s bill of %(name)s", other: "%(num)s bills of %(name)s" },
};
globalThis.document = {
  documentElement: { lang: "hi" },
  getElementById: (id) => (id === "tb-i18n" ? { textContent: JSON.stringify(CATALOG) } : null),
};
const { setCatalog, t, tn } = await import("../../static/js/lib/i18n.js");

describe("t", () => {
  it("reads the page's catalog and fills every named place", () => {
    assert.equal(t("till.pay.short", { amount: "₹5.00" }), "भुगतान में ₹5.00 कम है।");
    assert.equal(t("till.line.short", { stock: "2", unit: "kg" }), "स्टॉक में सिर्फ़ 2 kg");
  });

  it("leaves a place it has no value for as it is, and a value's own %(…)s alone", () => {
    assert.equal(t("till.line.short", { stock: "%(unit)s" }), "स्टॉक में सिर्फ़ %(unit)s %(unit)s");
  });

  it("falls back to the key for a string the page was not sent", () => {
    const warn = console.warn;
    console.warn = () => {};
    try {
      assert.equal(t("till.nowhere"), "till.nowhere");
    } finally {
      console.warn = warn;
    }
  });
});

describe("tn", () => {
  it("picks the form by the page language's rules: Hindi says 0 and 1 alike", () => {
    setCatalog({ ...CATALOG, "common.items": { one: "ONE %(num)s", other: "OTHER %(num)s" } });
    assert.equal(tn("common.items", 0), "ONE 0");
    assert.equal(tn("common.items", 1), "ONE 1");
    assert.equal(tn("common.items", 2), "OTHER 2");
    assert.equal(tn("common.items", 15), "OTHER 15");
    setCatalog(CATALOG);
  });

  it("fills the count and the other places", () => {
    assert.equal(tn("common.items", 3), "3 आइटम");
    assert.equal(tn("test.bills", 1, { name: "Asha" }), "1 bill of Asha");
    assert.equal(tn("test.bills", 4, { name: "Asha" }), "4 bills of Asha");
  });

  it("uses the other form when the language sent only that one", () => {
    setCatalog({ "x.count": { other: "%(num)s" } });
    assert.equal(tn("x.count", 1), "1");
    setCatalog(CATALOG);
  });
});
