// static/js/lib/money.js: exact decimals in the browser (run by tests/web/test_js_units.py).

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  axisFormat,
  checkDiscount,
  checkQuantity,
  formatFixed,
  formatMoney,
  moneyFormat,
  moneyText,
  parseFixed,
  parseTendered,
  qtyString,
} from "../../static/js/lib/money.js";
import { useEnglish } from "./english.mjs";

useEnglish();

const inr = moneyFormat("en-IN", "INR");

describe("parseFixed", () => {
  it("scales decimal text to an integer with string arithmetic", () => {
    assert.equal(parseFixed("42.50", 2), 4250);
    assert.equal(parseFixed("42.5", 2), 4250);
    assert.equal(parseFixed("42", 2), 4200);
    assert.equal(parseFixed("42.", 2), 4200);
    assert.equal(parseFixed(" 0.01 ", 2), 1);
    assert.equal(parseFixed("-3.25", 2), -325);
    assert.equal(parseFixed("1.250", 3), 1250);
    assert.equal(parseFixed("0.1", 3), 100);
  });

  it("never rounds through a float", () => {
    // 0.1 + 0.2 style trouble: these are exact in paise.
    assert.equal(parseFixed("0.29", 2), 29);
    assert.equal(parseFixed("1.15", 2), 115);
    assert.equal(parseFixed("4.35", 2), 435);
  });

  it("refuses malformed, too precise or unsafe input", () => {
    for (const text of ["", "abc", "1.2.3", ".5", "1,000", "1e3", "+1", "12.345", null, undefined]) {
      assert.equal(parseFixed(text, 2), null, String(text));
    }
    assert.equal(parseFixed("99999999999999999", 2), null);
  });
});

describe("formatFixed and qtyString", () => {
  it("writes a scaled integer back as a decimal string", () => {
    assert.equal(formatFixed(4250, 2), "42.50");
    assert.equal(formatFixed(5, 2), "0.05");
    assert.equal(formatFixed(-5, 2), "-0.05");
    assert.equal(formatFixed(1250, 3), "1.250");
    assert.equal(formatFixed(7, 0), "7");
  });

  it("round-trips with parseFixed", () => {
    for (const text of ["0.00", "0.01", "1.10", "123456.78", "-0.99"]) {
      assert.equal(formatFixed(parseFixed(text, 2), 2), text);
    }
  });

  it("writes quantities as the server does", () => {
    assert.equal(qtyString(3000, "pcs"), "3");
    assert.equal(qtyString(1500, "pcs"), "1.500");
    assert.equal(qtyString(1000, "kg"), "1.000");
    assert.equal(qtyString(250, "kg"), "0.250");
  });
});

describe("formatMoney", () => {
  it("groups the Indian way with the rupee sign", () => {
    assert.equal(formatMoney(12345678, inr), "₹1,23,456.78");
    assert.equal(formatMoney(0, inr), "₹0.00");
    assert.equal(formatMoney(5, inr), "₹0.05");
    assert.equal(formatMoney(-31550, inr), "-₹315.50");
  });

  it("keeps every paisa up to the largest safe integer", () => {
    // Dividing by 100 in floating point would round the paise; they go through as digits.
    assert.equal(formatMoney(Number.MAX_SAFE_INTEGER, inr), "₹9,00,71,99,25,47,409.91");
  });

  it("follows the shop's currency and locale", () => {
    assert.equal(formatMoney(123456, moneyFormat("en-US", "USD")), "$1,234.56");
  });

  it("falls back to rupees when the settings are unusable", () => {
    assert.equal(formatMoney(1234, moneyFormat("not a locale!", "??")), "₹12.34");
    assert.equal(formatMoney(1234, moneyFormat("", "")), "₹12.34");
  });

  it("formats the server's decimal strings", () => {
    assert.equal(moneyText("42.50", inr), "₹42.50");
    assert.equal(moneyText("broken", inr), "₹0.00");
  });
});

describe("checkQuantity", () => {
  it("accepts whole pieces and measured amounts", () => {
    assert.deepEqual(checkQuantity("2", "pcs"), [2000, null]);
    assert.deepEqual(checkQuantity("2.000", "pcs"), [2000, null]);
    assert.deepEqual(checkQuantity("1.25", "kg"), [1250, null]);
    assert.deepEqual(checkQuantity(".5", "kg"), [500, null]);
  });

  it("explains what is wrong", () => {
    assert.deepEqual(checkQuantity("", "pcs"), [null, "Enter a quantity."]);
    assert.deepEqual(checkQuantity("two", "pcs"), [null, "Enter a number like 2 or 1.250."]);
    assert.deepEqual(checkQuantity(".", "kg"), [null, "Enter a number like 2 or 1.250."]);
    assert.deepEqual(checkQuantity("1.5", "pcs"), [null, "Pieces are counted in whole numbers."]);
    assert.deepEqual(checkQuantity("1.2345", "kg"), [null, "Quantities take at most 3 decimals."]);
    assert.deepEqual(checkQuantity("0", "kg"), [null, "More than zero, please (× removes the line)."]);
  });
});

describe("checkDiscount", () => {
  it("accepts nothing, an amount or a percent", () => {
    for (const text of ["", "  ", "10", "10.50", "10%", "12.5 %", "100%", "0%"]) {
      assert.equal(checkDiscount(text), null, text);
    }
  });

  it("refuses anything else", () => {
    assert.equal(checkDiscount("101%"), "A percent from 0 to 100, e.g. 10%.");
    assert.equal(checkDiscount("ten%"), "A percent from 0 to 100, e.g. 10%.");
    assert.equal(checkDiscount("10.001"), "An amount like 10.00, or a percent like 10%.");
    assert.equal(checkDiscount("-"), "An amount like 10.00, or a percent like 10%.");
  });
});

describe("parseTendered", () => {
  it("reads cash as typed, thousands separators included", () => {
    assert.equal(parseTendered("500"), 50000);
    assert.equal(parseTendered(" 500.50 "), 50050);
    assert.equal(parseTendered("1,000"), 100000);
  });

  it("refuses negative or malformed amounts", () => {
    assert.equal(parseTendered("-1"), null);
    assert.equal(parseTendered("abc"), null);
    assert.equal(parseTendered(""), null);
  });
});

describe("axisFormat", () => {
  it("writes chart axes in whole rupees, grouped the Indian way", () => {
    assert.equal(axisFormat("en-IN", "INR").format(1250000), "₹12,50,000");
    assert.equal(axisFormat("en-IN", "INR").format(0), "₹0");
    assert.equal(axisFormat("en-US", "USD").format(1500), "$1,500");
    assert.equal(axisFormat("xx-bad", "NOPE").format(10), "₹10");
  });
});
