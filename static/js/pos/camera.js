// Scanning with a camera: a small live preview that reads EAN-13, EAN-8, UPC-A, Code 128 and
// QR codes continuously and hands each code to the scan field's own path (submitScan, exactly
// as if it had been typed and Enter pressed), with a beep and a cool-down against reading the
// same pack twice. The browser's BarcodeDetector is used where it reads all these formats;
// otherwise the vendored ZXing WebAssembly reader (static/vendor/zxing-wasm-3.1.4/), loaded
// only when the camera is first opened. Nothing leaves the machine: the .wasm is served by
// TillBook itself, never from the package's default CDN.
//
// Browsers give the camera to secure pages only (https://, or http://127.0.0.1 and localhost
// on the computer itself); anywhere else, and when there is no camera or permission is
// refused, the panel says precisely why instead of a button that does nothing.

import { submitScan } from "./scan.js";
import { t } from "../lib/i18n.js";
import { focusScanIfIdle } from "./ui.js";

const VENDOR = new URL("../../vendor/zxing-wasm-3.1.4/", import.meta.url);
const FORMATS = ["ean_13", "ean_8", "upc_a", "code_128", "qr_code"]; // BarcodeDetector names
const ZXING_FORMATS = ["EAN13", "EAN8", "UPCA", "Code128", "QRCode"];
// The GS1 carriers' symbology identifiers: a GS1-128 or GS1 QR code goes to the till with its
// identifier, so the server reads it as GS1 whatever the decoder made of the FNC1.
const GS1_IDENTIFIERS = new Set(["]C1", "]Q3", "]d2", "]e0", "]J1"]);
const COOL_DOWN_MS = 1500; // the same code again within this time is the same pack, still in view
const MAX_CODE_LENGTH = 300; // longer QR codes are not product codes (and not sent)
const FRAME_GAP_MS = 60; // between decodes: leaves the CPU to the till on a slow laptop

/** Why this page cannot have the camera, or null when it may ask for it. */
export function cameraBlocker(win = window) {
  if (!win.isSecureContext) {
    const port = win.location.port ? `:${win.location.port}` : "";
    // The trust page (open without login on every address) gives this device the shop's
    // HTTPS address and the steps to trust its certificate.
    return t("till.camera.insecure", { address: `http://127.0.0.1${port}${win.location.pathname}` });
  }
  if (!win.navigator.mediaDevices?.getUserMedia) {
    return t("till.camera.unsupported");
  }
  return null;
}

/** A precise message for a camera that would not start. */
export function cameraErrorText(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return t("till.camera.denied");
    case "NotFoundError":
    case "OverconstrainedError":
      return t("till.camera.none");
    case "NotReadableError":
    case "AbortError":
      return t("till.camera.busy");
    default:
      return t("till.camera.failed", { error: error?.name || error });
  }
}

/** BarcodeDetector when it reads every format the till needs, else the vendored ZXing. */
async function makeDecoder() {
  if ("BarcodeDetector" in window) {
    try {
      const supported = await window.BarcodeDetector.getSupportedFormats();
      if (FORMATS.every((format) => supported.includes(format))) {
        const detector = new window.BarcodeDetector({ formats: FORMATS });
        return {
          name: "BarcodeDetector",
          async read(video) {
            const found = await detector.detect(video);
            return found.length ? { text: found[0].rawValue, format: found[0].format } : null;
          },
        };
      }
    } catch {
      /* fall through to ZXing */
    }
  }
  const zxing = await import(new URL("es/reader/index.js", VENDOR).href);
  await zxing.prepareZXingModule({
    overrides: { locateFile: (path) => new URL(`reader/${path}`, VENDOR).href },
    fireImmediately: true,
  });
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const options = { formats: ZXING_FORMATS, maxNumberOfSymbols: 1, tryInvert: false };
  return {
    name: "ZXing",
    async read(video) {
      const width = video.videoWidth;
      const height = video.videoHeight;
      if (!width || !height) return null;
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      context.drawImage(video, 0, 0, width, height);
      const [found] = await zxing.readBarcodes(context.getImageData(0, 0, width, height), options);
      if (!found || !found.isValid) return null;
      const { symbologyIdentifier } = found;
      const gs1 = found.contentType === "GS1" && GS1_IDENTIFIERS.has(symbologyIdentifier);
      // ZXing writes GS1 data the human way, "(01)…(17)…", which the till reads as it is;
      // anything else of a GS1 carrier goes with its identifier ("]Q3…").
      return { text: found.text, format: found.format, gs1: gs1 ? symbologyIdentifier : null };
    },
  };
}

/** A short high tone for a code read (the error beep is low: pos/ui.js). */
function readBeep(till) {
  try {
    till.state.audio = till.state.audio || new AudioContext();
    const audio = till.state.audio;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 1760;
    gain.gain.value = 0.06;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.08);
  } catch {
    /* no sound available: the line flashing is enough */
  }
}

/** Wire the camera button, its panel and its key (F3). */
export function bindCamera(till) {
  const $ = (id) => document.getElementById(id);
  const ui = {
    toggle: $("camera-toggle"),
    panel: $("camera-panel"),
    video: $("camera-video"),
    status: $("camera-status"),
    close: $("camera-close"),
  };
  if (!ui.toggle || !ui.panel) return;
  const cam = { stream: null, decoder: null, running: false, last: "", lastAt: 0, session: 0 };

  function say(message, problem = false) {
    ui.status.textContent = message;
    ui.status.classList.toggle("text-danger-emphasis", problem);
    ui.status.classList.toggle("fw-semibold", problem);
  }

  function stop() {
    cam.running = false;
    cam.session++;
    if (cam.stream) for (const track of cam.stream.getTracks()) track.stop();
    cam.stream = null;
    ui.video.srcObject = null;
    ui.video.hidden = true; // no black box beside a message saying why there is no picture
  }

  function close() {
    stop();
    ui.panel.hidden = true;
    ui.toggle.setAttribute("aria-expanded", "false");
    focusScanIfIdle(till);
  }

  /** Every decode is announced (`tillbook:camera-read`, with how long the frame took to
   * read); only a new code, or the same one after the cool-down, goes to the bill. */
  function handle(code, started) {
    const text = code.gs1 && !/^[(\]]/.test(code.text) ? `${code.gs1}${code.text}` : code.text;
    const now = performance.now();
    const again = text === cam.last && now - cam.lastAt < COOL_DOWN_MS;
    const usable = text.length <= MAX_CODE_LENGTH && !/[\r\n]/.test(text);
    // The cool-down runs from the last sighting: a pack held in view is read once.
    cam.last = text;
    cam.lastAt = now;
    document.dispatchEvent(
      new CustomEvent("tillbook:camera-read", {
        detail: { text, format: code.format, decoder: cam.decoder.name, ms: now - started, added: !again && usable },
      }),
    );
    if (again) return;
    if (!usable) {
      say(t("till.camera.not_product"), true);
      return;
    }
    readBeep(till);
    say(t("till.camera.read", { code: text }));
    submitScan(till, text);
  }

  async function loop(session) {
    while (cam.running && session === cam.session) {
      const started = performance.now();
      let code = null;
      try {
        if (ui.video.readyState >= 2) code = await cam.decoder.read(ui.video);
      } catch {
        code = null; // a frame the decoder could not take: try the next one
      }
      if (!cam.running || session !== cam.session) return;
      // While the approval dialog is open the bill waits, for the camera as for the keys.
      if (code?.text && !document.querySelector("dialog[open]")) handle(code, started);
      await new Promise((resolve) => setTimeout(resolve, FRAME_GAP_MS));
    }
  }

  async function open() {
    ui.panel.hidden = false;
    ui.toggle.setAttribute("aria-expanded", "true");
    const blocker = cameraBlocker();
    if (blocker) {
      say(blocker, true);
      return;
    }
    const session = ++cam.session;
    say(t("till.camera.starting"));
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      if (session !== cam.session) {
        for (const track of stream.getTracks()) track.stop(); // closed while it was starting
        return;
      }
      cam.stream = stream;
      ui.video.srcObject = stream;
      ui.video.hidden = false;
      await ui.video.play();
    } catch (error) {
      if (session === cam.session) {
        stop();
        say(cameraErrorText(error), true);
      }
      return;
    }
    try {
      cam.decoder = cam.decoder || (await makeDecoder());
    } catch (error) {
      stop();
      say(t("till.camera.reader_failed", { error: error?.message || error }), true);
      return;
    }
    if (session !== cam.session) return;
    say(t("till.camera.hold"));
    ui.panel.dataset.decoder = cam.decoder.name;
    cam.running = true;
    cam.last = "";
    loop(session);
  }

  function toggle() {
    if (ui.panel.hidden) open();
    else close();
  }

  ui.toggle.addEventListener("click", toggle);
  ui.close.addEventListener("click", close);
  ui.panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "F3" || document.querySelector("dialog[open]")) return;
    event.preventDefault(); // the browser's "find next"
    toggle();
  });
  // A hidden page (another tab, the window minimised, the phone locked) gives the camera back.
  document.addEventListener("visibilitychange", () => {
    if (document.hidden && !ui.panel.hidden) close();
  });
  window.addEventListener("pagehide", stop);
  if (cameraBlocker()) ui.toggle.title = cameraBlocker();
}
