// static/js/pos/display_state.js: what the customer display is sent (run by tests/web/test_js_units.py).

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { displayState, IDLE, paidState } from "../../static/js/pos/display_state.js";

const till = (overrides = {}) => ({
  lines: [
    { product_id: 1, name: "Tata Salt 1kg", unit: "pcs", quantity: "2" },
    { product_id: 2, name: "Basmati Rice", unit: "kg", quantity: "1.25" },
  ],
  priced: {
    lines: [
      { quantity: "2", total: "56.00" },
      { quantity: "1.250", total: "150.00" },
    ],
    total: "206.00",
    discount_total: "4.00",
    tax_total: "9.81",
  },
  shown: null,
  tenders: { card: "", upi: "", credit: "" },
  tendered: "",
  customer: null,
  ...overrides,
});

describe("displayState", () => {
  it("is idle without lines", () => {
    assert.equal(displayState(till({ lines: [] })), IDLE);
  });

  it("sends lines in thousandths and paise, with the server's totals", () => {
    const state = displayState(till());
    assert.equal(state.stage, "billing");
    assert.deepEqual(state.lines, [
      { name: "Tata Salt 1kg", qty: 2000, unit: "pcs", amount: 5600 },
      { name: "Basmati Rice", qty: 1250, unit: "kg", amount: 15000 },
    ]);
    assert.equal(state.total, 20600);
    assert.equal(state.discount, 400);
    assert.equal(state.tax, 981);
    assert.equal(state.change, null);
    assert.equal(state.upi, null);
  });

  it("shows lines still being priced without an amount, and the last totals", () => {
    const shown = till().priced;
    const state = displayState(till({ priced: null, shown }));
    assert.equal(state.lines[0].amount, null);
    assert.equal(state.lines[1].qty, 1250);
    assert.equal(state.total, 20600);
    assert.equal(state.change, null); // no change until the new total is known
  });

  it("gives the change once typed cash covers the bill", () => {
    assert.equal(displayState(till({ tendered: "500" })).change, 29400);
    assert.equal(displayState(till({ tendered: "100" })).change, null);
    assert.equal(displayState(till({ tendered: "abc" })).change, null);
    assert.equal(displayState(till({ tendered: "100", tenders: { card: "106", upi: "", credit: "" } })).change, 0);
  });

  it("turns to the UPI stage with the amount and the till's link", () => {
    const state = displayState(till({ tenders: { card: "", upi: "206", credit: "" } }), "upi://pay?pa=a@b");
    assert.equal(state.stage, "upi");
    assert.deepEqual(state.upi, { amount: 20600, link: "upi://pay?pa=a@b" });
    const noLink = displayState(till({ tenders: { card: "", upi: "6", credit: "" } }));
    assert.deepEqual(noLink.upi, { amount: 600, link: null });
  });

  it("sends nothing of tenders the till refuses", () => {
    const state = displayState(till({ tenders: { card: "", upi: "999", credit: "" } }));
    assert.equal(state.stage, "billing"); // more than the total by UPI: the till says why
    assert.deepEqual(state.tenders, { cash: 0, card: 0, upi: 0, credit: 0 });
  });

  it("never sends a negative or unreadable quantity", () => {
    const state = displayState(till({ priced: null, lines: [{ name: "X", unit: "pcs", quantity: "-2" }] }));
    assert.equal(state.lines[0].qty, 0);
  });
});

describe("paidState", () => {
  it("says the invoice number, what was paid and the change", () => {
    const state = paidState({
      number: "INV2026-000042",
      total: "206.00",
      change: "44.00",
      payments: [
        { method: "cash", amount: "250.00" },
        { method: "upi", amount: "0.00" },
      ],
    });
    assert.equal(state.stage, "paid");
    assert.equal(state.invoice, "INV2026-000042");
    assert.equal(state.total, 20600);
    assert.equal(state.change, 4400);
    assert.deepEqual(state.tenders, { cash: 25000, card: 0, upi: 0, credit: 0 });
    assert.deepEqual(state.lines, []);
  });

  it("leaves out a zero change", () => {
    assert.equal(paidState({ number: "A", total: "1.00", change: "0.00", payments: [] }).change, null);
  });
});
