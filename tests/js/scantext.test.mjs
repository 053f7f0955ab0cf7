// static/js/pos/scantext.js: the scan field's text read as prefix, code or name (run by
// tests/web/test_js_units.py).

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  looksLikeCode,
  orderNumber,
  prefixedQuantity,
  prefixHint,
  readScanText,
} from "../../static/js/pos/scantext.js";
import { useEnglish } from "./english.mjs";

useEnglish();

const pcs = { name: "Tata Salt 1kg", unit: "pcs" };
const kg = { name: "Sugar (loose)", unit: "kg" };

describe("looksLikeCode", () => {
  it("takes digits, and codes with a digit and no spaces", () => {
    for (const text of ["8901234567890", "99999", "R-100", "7UP", " 123 "]) {
      assert.equal(looksLikeCode(text), true, text);
    }
  });

  it("reads words without digits, or with spaces, as names", () => {
    for (const text of ["taj", "chini", "tata salt", "salt 1kg", "", "   "]) {
      assert.equal(looksLikeCode(text), false, text);
    }
  });
});

describe("readScanText", () => {
  it("reads plain codes and names without a quantity", () => {
    assert.deepEqual(readScanText(" 8901234567890 "), {
      kind: "item",
      milli: null,
      text: "8901234567890",
      code: true,
    });
    assert.deepEqual(readScanText("taj"), { kind: "item", milli: null, text: "taj", code: false });
    assert.deepEqual(readScanText("  "), { kind: "empty" });
  });

  it("reads a quantity before the code, as thousandths from the digits", () => {
    assert.deepEqual(readScanText("3*8901234567890"), {
      kind: "item",
      milli: 3000,
      text: "8901234567890",
      code: true,
    });
    assert.deepEqual(readScanText("1.5 * chini"), { kind: "item", milli: 1500, text: "chini", code: false });
    assert.deepEqual(readScanText("0.1×99"), { kind: "item", milli: 100, text: "99", code: true });
    // Never a float: 0.1 + 0.2 style errors cannot happen, 1.005 stays 1005.
    assert.equal(readScanText("1.005*x").milli, 1005);
    assert.equal(readScanText(".250*x").milli, 250);
  });

  it("reads a prefix alone as waiting for the item", () => {
    assert.deepEqual(readScanText("3*"), { kind: "prefix", milli: 3000 });
    assert.deepEqual(readScanText("1.5* "), { kind: "prefix", milli: 1500 });
  });

  it("refuses what is not a quantity, with a message", () => {
    for (const text of ["*123", "abc*123", "1e3*123", "-2*123", "1,5*123", "3**123", "2*3*123", ".*1"]) {
      const read = readScanText(text);
      assert.equal(read.kind, "error", text);
      assert.match(read.message, /quantity|\*/, text);
    }
    assert.match(readScanText("0*123").message, /more than zero/);
    assert.match(readScanText("1.2345*123").message, /at most 3 decimals/);
    assert.match(readScanText("10000*123").message, /At most 9999/);
    assert.equal(readScanText("9999*123").milli, 9_999_000);
  });
});

describe("prefixedQuantity", () => {
  it("adds one without a prefix, or what the label carries", () => {
    assert.deepEqual(prefixedQuantity(null, "1", pcs), ["1.000", null]);
    assert.deepEqual(prefixedQuantity(null, "0.750", kg), ["0.750", null]);
  });

  it("takes the prefix for a plain barcode", () => {
    assert.deepEqual(prefixedQuantity(3000, "1", pcs), ["3.000", null]);
    assert.deepEqual(prefixedQuantity(1500, "1", kg), ["1.500", null]);
  });

  it("refuses a fraction of a piece item, naming it", () => {
    const [quantity, message] = prefixedQuantity(1500, "1", pcs);
    assert.equal(quantity, null);
    assert.equal(message, "Tata Salt 1kg is sold in whole pieces: 1.5* is not a number of pieces.");
  });

  it("takes no prefix before a scale label, which is one package", () => {
    assert.deepEqual(prefixedQuantity(null, "0.500", kg, true), ["0.500", null]);
    assert.equal(prefixedQuantity(3000, "0.500", kg, true)[0], null);
    assert.match(prefixedQuantity(3000, "0.500", kg, true)[1], /one package/);
  });
});

describe("prefixHint", () => {
  it("shows the quantity without trailing zeros", () => {
    assert.equal(prefixHint(3000), "×3 — scan the item");
    assert.equal(prefixHint(1500), "×1.5 — scan the item");
    assert.equal(prefixHint(10_000), "×10 — scan the item");
    assert.equal(prefixHint(250), "×0.25 — scan the item");
  });
});

describe("orderNumber", () => {
  it("reads an order's number as its slip prints it, in any case", () => {
    assert.equal(orderNumber("ORD-12"), "ORD-12");
    assert.equal(orderNumber(" ord-0042 "), "ORD-0042");
  });
  it("leaves everything else to the item lookup", () => {
    assert.equal(orderNumber("ORD-"), null);
    assert.equal(orderNumber("ORD-12a"), null);
    assert.equal(orderNumber("8901234567890"), null);
    assert.equal(orderNumber("3*ORD-12"), null);
    assert.equal(orderNumber("ORD-1234567890123"), null);
  });
});
