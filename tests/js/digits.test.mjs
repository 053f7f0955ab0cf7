// static/js/lib/money.js and lib/i18n.js on a page with <html data-digits="deva"> (a Hindi or Marathi screen
// with the shop's Devanagari digits on): amounts shown ०-९, typed ०-९ read as 0-9.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";

import {
  axisFormat,
  checkDiscount,
  checkQuantity,
  formatFixed,
  formatMoney,
  latinDigits,
  moneyFormat,
  moneyText,
  parseFixed,
  parseTendered,
  qtyString,
  setDigits,
  shownDigits,
} from "../../static/js/lib/money.js";
import { setCatalog, tn } from "../../static/js/lib/i18n.js";
import { useEnglish } from "./english.mjs";

useEnglish();

describe("a page with Devanagari digits", () => {
  beforeEach(() => setDigits("deva"));
  afterEach(() => setDigits("latn"));

  it("writes amounts ०-९, grouped the Indian way", () => {
    const inr = moneyFormat("en-IN", "INR");
    assert.equal(formatMoney(12500000, inr), "₹१,२५,०००.००");
    assert.equal(formatMoney(-4250, inr), "-₹४२.५०");
    assert.equal(moneyText("1234567.89", inr), "₹१२,३४,५६७.८९");
    assert.equal(formatMoney(0, inr), "₹०.००");
  });

  it("converts the digits even with a format made before the page chose them", () => {
    setDigits("latn");
    const inr = moneyFormat("en-IN", "INR");
    setDigits("deva");
    assert.equal(formatMoney(12500000, inr), "₹१,२५,०००.००");
  });

  it("writes chart axes and tooltips ०-९ (they call Intl's format directly)", () => {
    assert.equal(axisFormat("en-IN", "INR").format(1250000), "₹१२,५०,०००");
    assert.equal(moneyFormat("en-IN", "INR").format(1250.5), "₹१,२५०.५०");
  });

  it("keeps what goes to the server 0-9", () => {
    assert.equal(formatFixed(125000, 2), "1250.00");
    assert.equal(qtyString(1250, "kg"), "1.250");
    assert.equal(qtyString(2000, "pcs"), "2");
  });

  it("reads typed ०-९ as 0-9, mixed scripts too", () => {
    assert.equal(parseFixed("१२.५०", 2), 1250);
    assert.equal(parseFixed("1२.5०", 2), 1250);
    assert.equal(parseTendered("१,०००"), 100000);
    assert.deepEqual(checkQuantity("१.२५०", "kg"), [1250, null]);
    assert.deepEqual(checkQuantity("२", "pcs"), [2000, null]);
    assert.equal(checkDiscount("१०%"), null);
    assert.equal(checkDiscount("२५.००"), null);
  });

  it("still refuses what is not a number", () => {
    assert.equal(parseFixed("१२.५०.१", 2), null);
    assert.equal(parseFixed("१२.५०१", 2), null);
    assert.deepEqual(checkQuantity("१.२३४५", "kg"), [null, "Quantities take at most 3 decimals."]);
    // Other scripts' digits are not read: only ०-९ are.
    assert.equal(parseFixed("١٢", 2), null);
  });

  it("parses back every amount it shows, to the same paise", () => {
    const inr = moneyFormat("en-IN", "INR");
    // A fixed walk over many magnitudes (deterministic, no random numbers).
    for (let paise = 0; paise < 10 ** 13; paise = paise * 7 + 13) {
      const shown = formatMoney(paise, inr);
      assert.match(shown, /^₹[०-९,]+\.[०-९]{2}$/);
      assert.equal(parseTendered(shown.slice(1)), paise, shown);
    }
  });
});

describe("a page without Devanagari digits", () => {
  it("writes 0-9 as before", () => {
    setDigits("latn");
    const inr = moneyFormat("en-IN", "INR");
    assert.equal(formatMoney(12500000, inr), "₹1,25,000.00");
    assert.equal(axisFormat("en-IN", "INR").format(1250000), "₹12,50,000");
    assert.equal(shownDigits("12-11-2026"), "12-11-2026");
  });

  it("still reads typed ०-९ (a Hindi keyboard on an English screen)", () => {
    setDigits("latn");
    assert.equal(parseFixed("४२.५०", 2), 4250);
    assert.equal(latinDigits("₹१,२५,०००.००"), "₹1,25,000.00");
  });
});

describe("counts in the scripts' plural strings", () => {
  afterEach(() => {
    setDigits("latn");
    useEnglish();
  });

  it("are written ०-९ on a Devanagari-digits page, 0-9 elsewhere", () => {
    setCatalog({ "t.items": { one: "%(num)s आइटम", other: "%(num)s आइटम" } });
    assert.equal(tn("t.items", 12), "12 आइटम");
    setDigits("deva");
    assert.equal(tn("t.items", 12), "१२ आइटम");
  });
});
