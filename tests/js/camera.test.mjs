// static/js/pos/camera.js and pos/pack.js: why a page cannot have the camera, what a refused
// camera says, and how a GS1 pack's batch and expiry read on a bill line (run by
// tests/web/test_js_units.py).

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { cameraBlocker, cameraErrorText } from "../../static/js/pos/camera.js";
import { packText } from "../../static/js/pos/pack.js";
import { useEnglish } from "./english.mjs";

useEnglish();

const page = (secure, port = "8000", media = true) => ({
  isSecureContext: secure,
  location: { port, pathname: "/pos/" },
  navigator: { mediaDevices: media ? { getUserMedia() {} } : undefined },
});

describe("cameraBlocker", () => {
  it("lets a secure page ask for the camera", () => {
    assert.equal(cameraBlocker(page(true)), null);
  });

  it("names the addresses that work on an insecure page", () => {
    assert.equal(
      cameraBlocker(page(false, "8000")),
      "The camera needs a secure address: open the till as https://… (the shop's HTTPS address; " +
        "its steps and certificate are on the page /network/trust) or, on this computer, as " +
        "http://127.0.0.1:8000/pos/.",
    );
    assert.match(cameraBlocker(page(false, "")), /as http:\/\/127\.0\.0\.1\/pos\/\.$/);
  });

  it("says when the browser has no camera API", () => {
    assert.match(cameraBlocker(page(true, "8000", false)), /cannot use a camera/);
  });
});

describe("cameraErrorText", () => {
  it("explains each refusal", () => {
    assert.match(cameraErrorText({ name: "NotAllowedError" }), /not allowed.*site settings/);
    assert.match(cameraErrorText({ name: "NotFoundError" }), /No camera was found/);
    assert.match(cameraErrorText({ name: "NotReadableError" }), /busy/);
    assert.match(cameraErrorText({ name: "TypeError" }), /could not start \(TypeError\)/);
  });
});

describe("packText", () => {
  it("shows batch and expiry in small text", () => {
    const line = { batch: "AB12", expiry_label: "31-12-2026" };
    assert.deepEqual(packText(line), { note: "batch AB12 · expires 31-12-2026", warning: "" });
  });

  it("warns about an expired batch", () => {
    const line = { batch: "L7", expiry_label: "30-06-2025", expired_batch: "L7", expired_on: "30-06-2025" };
    assert.equal(packText(line).warning, "⚠ Expired batch L7 (expired on 30-06-2025): check the pack");
  });

  it("shows nothing for an ordinary line and ignores odd stored values", () => {
    assert.deepEqual(packText({}), { note: "", warning: "" });
    assert.deepEqual(packText({ batch: 5, expiry_label: null, expired_on: {} }), { note: "", warning: "" });
  });
});
