// static/js/lib/restock.js: the return form's "Back on the shelf" rule (run by
// tests/web/test_js_units.py).

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { isChosen, shelfTicked } from "../../static/js/lib/restock.js";

const line = (chosen, perishable, returnable = true) => ({ chosen, perishable, returnable });

describe("isChosen", () => {
  it("takes a quantity with a non-zero digit", () => {
    for (const value of ["1", "0.5", " 2 ", "0.001"]) assert.equal(isChosen(value), true, value);
  });

  it("leaves blanks and zeros unchosen", () => {
    for (const value of ["", "0", "0.000", " ", null, undefined]) {
      assert.equal(isChosen(value), false, String(value));
    }
  });
});

describe("shelfTicked", () => {
  it("unticks as soon as a chosen line is perishable", () => {
    assert.equal(shelfTicked([line(true, true), line(false, false)]), false);
    assert.equal(shelfTicked([line(true, true), line(true, false)]), false);
  });

  it("ticks when no chosen line is perishable", () => {
    assert.equal(shelfTicked([line(false, true), line(true, false)]), true);
  });

  it("with nothing chosen, unticks only when every returnable line is perishable", () => {
    assert.equal(shelfTicked([line(false, true), line(false, false)]), true);
    assert.equal(shelfTicked([line(false, true), line(false, true)]), false);
    // A line already all back does not count, even when "chosen" text lingers in it.
    assert.equal(shelfTicked([line(false, true), line(true, false, false)]), false);
    assert.equal(shelfTicked([]), true);
  });
});
