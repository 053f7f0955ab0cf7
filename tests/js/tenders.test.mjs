// static/js/pos/tenders.js: the till's split tender in paise (run by tests/web/test_js_units.py).

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { readTenders, restForCredit, TENDER_METHODS } from "../../static/js/pos/tenders.js";
import { useEnglish } from "./english.mjs";

useEnglish();

const typed = (tenders = {}, tendered = "", hasCustomer = false) => ({
  tenders: { card: "", upi: "", credit: "", ...tenders },
  tendered,
  hasCustomer,
});

describe("readTenders", () => {
  it("lets empty cash pay exactly the rest", () => {
    const result = readTenders(typed({ card: "100" }), 25000);
    assert.deepEqual(result, { card: 10000, upi: 0, credit: 0, other: 10000, cash: null, error: "" });
  });

  it("reads typed cash, which may exceed the total", () => {
    const result = readTenders(typed({ upi: "50.50" }, "1,000"), 25000);
    assert.equal(result.cash, 100000);
    assert.equal(result.other, 5050);
    assert.equal(result.error, "");
  });

  it("marks malformed cash as null for the caller to explain", () => {
    assert.equal(readTenders(typed({}, "abc"), 25000).cash, null);
  });

  it("names the tender that is not an amount", () => {
    assert.equal(readTenders(typed({ upi: "1.2.3" }), 100).error, "UPI must be an amount like 100 or 100.50.");
  });

  it("needs a customer for credit", () => {
    assert.equal(
      readTenders(typed({ credit: "10" }), 100000).error,
      "Credit needs a customer: attach one first (F4).",
    );
    assert.equal(readTenders(typed({ credit: "10" }, "", true), 100000).error, "");
  });

  it("lets only cash exceed the total", () => {
    assert.equal(
      readTenders(typed({ card: "200", upi: "100" }), 25000).error,
      "Card, UPI and credit together cannot exceed the total; only cash can.",
    );
    // Not priced yet: nothing to compare with.
    assert.equal(readTenders(typed({ card: "200", upi: "100" }), null).error, "");
  });

  it("sends the non-cash tenders in a fixed order", () => {
    assert.deepEqual(TENDER_METHODS, ["card", "upi", "credit"]);
  });
});

describe("restForCredit", () => {
  it("puts on credit what card, UPI and cash leave", () => {
    assert.equal(restForCredit(typed({ card: "100", upi: "50" }, "20"), 25000), 8000);
  });

  it("is never negative and ignores malformed parts", () => {
    assert.equal(restForCredit(typed({ card: "500" }), 25000), 0);
    assert.equal(restForCredit(typed({ card: "oops" }, "x"), 25000), 25000);
  });
});
