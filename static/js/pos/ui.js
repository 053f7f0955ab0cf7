// The till's alerts, spoken status and focus: the scan field keeps the focus whenever the
// cashier is not typing somewhere else, so a scanner never loses a digit.

/** The fields where a keystroke belongs where it is (not to the scan field). */
export const TYPING_FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);

export function showScanAlert(till, message) {
  till.el.scanAlert.textContent = message;
  till.el.scanAlert.hidden = false;
  beep(till);
}

export function hideScanAlert(till) {
  till.el.scanAlert.hidden = true;
  till.el.scanAlert.textContent = "";
}

/** `source` says who owns the alert: "price" ones go away when the cart is priced again. */
export function showCheckoutAlert(till, message, source = "price") {
  const alert = till.el.checkoutAlert;
  alert.textContent = message;
  alert.dataset.source = source;
  alert.hidden = false;
}

export function hideCheckoutAlert(till) {
  const alert = till.el.checkoutAlert;
  alert.hidden = true;
  alert.textContent = "";
  delete alert.dataset.source;
}

/** Say it to screen readers (the status region is polite). */
export function announce(till, message) {
  till.el.status.textContent = message;
}

/** A short low tone for a failed scan: the cashier looks at the scanner, not the screen. */
export function beep(till) {
  try {
    till.state.audio = till.state.audio || new AudioContext();
    const audio = till.state.audio;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 330;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.15);
  } catch {
    /* no sound available: the alert is enough */
  }
}

export function focusScan(till) {
  till.el.scan.focus();
}

/** Give the scan field its focus back, unless the cashier is typing somewhere else. */
export function focusScanIfIdle(till) {
  const active = document.activeElement;
  if (!active || active === document.body || active === till.el.scan || !TYPING_FIELDS.has(active.tagName)) {
    focusScan(till);
  }
}
