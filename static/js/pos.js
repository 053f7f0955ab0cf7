// The till: a scan-first cart priced by the server, cash change, and checkout with F9.
//
// Money never passes through a float: the server sends decimal strings ("42.50"), the page
// turns them into integer paise with string operations, and only the server prices a cart.

const root = document.getElementById("till");
const cfg = root.dataset;
const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const STORAGE_KEY = `tillbook.cart.${cfg.user}`;

const $ = (id) => document.getElementById(id);
const el = {
  scan: $("scan"),
  suggestions: $("suggestions"),
  scanAlert: $("scan-alert"),
  cartBody: $("cart-body"),
  cartEmpty: $("cart-empty"),
  itemCount: $("item-count"),
  totals: $("totals"),
  subtotal: $("subtotal"),
  discountTotal: $("discount-total"),
  taxLabel: $("tax-label"),
  taxTotal: $("tax-total"),
  roundOffRow: $("round-off-row"),
  roundOff: $("round-off"),
  total: $("total-amount"),
  billDiscount: $("bill-discount"),
  billDiscountError: $("bill-discount-error"),
  tendered: $("tendered"),
  tenderedError: $("tendered-error"),
  changeBox: $("change-box"),
  changeLabel: $("change-label"),
  change: $("change"),
  payCard: $("pay-card"),
  payUpi: $("pay-upi"),
  payCredit: $("pay-credit"),
  tenderError: $("tender-error"),
  customerPick: $("customer-pick"),
  customerSearch: $("customer-search"),
  customerSuggestions: $("customer-suggestions"),
  customerNewToggle: $("customer-new-toggle"),
  customerNew: $("customer-new"),
  customerNewName: $("new-customer-name"),
  customerNewPhone: $("new-customer-phone"),
  customerNewAlert: $("customer-new-alert"),
  customerNewCancel: $("customer-new-cancel"),
  customerChip: $("customer-chip"),
  customerName: $("customer-name"),
  customerPhone: $("customer-phone"),
  customerBalance: $("customer-balance"),
  customerAvailable: $("customer-available"),
  customerDetach: $("customer-detach"),
  customerPageLink: $("customer-page-link"),
  customerPayToggle: $("customer-pay-toggle"),
  customerPay: $("customer-pay"),
  customerPayAmount: $("customer-pay-amount"),
  customerPayMethod: $("customer-pay-method"),
  customerPayAlert: $("customer-pay-alert"),
  customerPayCancel: $("customer-pay-cancel"),
  checkoutAlert: $("checkout-alert"),
  complete: $("complete"),
  newBill: $("new-bill"),
  status: $("till-status"),
};

// ---------------------------------------------------------------------------------------------
// Exact decimals: money as integer paise (2 places), quantities as integer thousandths (3).

/** Parse "123.4" into an integer scaled by 10^places; null if malformed or too precise. */
function parseFixed(text, places) {
  const match = /^(-)?(\d+)(?:\.(\d*))?$/.exec(String(text ?? "").trim());
  if (!match) return null;
  const fraction = match[3] ?? "";
  if (fraction.length > places) return null;
  const value = Number(match[2]) * 10 ** places + Number(fraction.padEnd(places, "0") || "0");
  if (!Number.isSafeInteger(value)) return null;
  return match[1] ? -value : value;
}

/** Render a scaled integer back as a decimal string ("1.250"). */
function formatFixed(value, places) {
  const sign = value < 0 ? "-" : "";
  const abs = Math.abs(value);
  const scale = 10 ** places;
  const whole = (abs - (abs % scale)) / scale;
  if (places === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${String(abs % scale).padStart(places, "0")}`;
}

/** Quantities as the server writes them: whole pieces, 3 decimals for measured units. */
function qtyString(milli, unit) {
  if (unit === "pcs" && milli % 1000 === 0) return formatFixed(milli / 1000, 0);
  return formatFixed(milli, 3);
}

const moneyFormat = (() => {
  try {
    return new Intl.NumberFormat(cfg.locale || "en-IN", {
      style: "currency",
      currency: cfg.currency || "INR",
    });
  } catch {
    return new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR" });
  }
})();

/** Format paise for people: the rupees go through Intl as a BigInt, the paise as digits. */
function formatMoney(paise) {
  const abs = Math.abs(paise);
  const major = BigInt((abs - (abs % 100)) / 100);
  const minor = String(abs % 100).padStart(2, "0");
  const text = moneyFormat
    .formatToParts(major)
    .map((part) => (part.type === "fraction" ? minor : part.value))
    .join("");
  return paise < 0 ? `-${text}` : text;
}

const moneyText = (decimal) => formatMoney(parseFixed(decimal, 2) ?? 0);

/** Check a typed quantity for a unit; return [milli, null] or [null, message]. */
function checkQuantity(text, unit) {
  const raw = String(text ?? "").trim();
  if (raw === "") return [null, "Enter a quantity."];
  if (!/^\d*\.?\d*$/.test(raw) || raw === ".") return [null, "Enter a number like 2 or 1.250."];
  if (unit === "pcs" && raw.includes(".") && !/\.0*$/.test(raw)) {
    return [null, "Pieces are counted in whole numbers."];
  }
  const milli = parseFixed(raw.startsWith(".") ? `0${raw}` : raw, 3);
  if (milli === null) return [null, "Quantities take at most 3 decimals."];
  if (milli <= 0) return [null, "More than zero, please (× removes the line)."];
  return [milli, null];
}

/** Check a bill discount: "" (none), an amount "10.00" or a percent "10%". */
function checkDiscount(text) {
  const raw = String(text ?? "").trim();
  if (raw === "") return null;
  if (raw.endsWith("%")) {
    const bp = parseFixed(raw.slice(0, -1).trim(), 2);
    if (bp === null || bp > 10000) return "A percent from 0 to 100, e.g. 10%.";
    return null;
  }
  return parseFixed(raw, 2) === null ? "An amount like 10.00, or a percent like 10%." : null;
}

/** Parse cash tendered ("500", "500.50", "1,000"); null if malformed. */
function parseTendered(text) {
  const value = parseFixed(String(text ?? "").trim().replaceAll(",", ""), 2);
  return value === null || value < 0 ? null : value;
}

const TENDER_METHODS = ["card", "upi", "credit"];

/**
 * Read the split tender in paise: {card, upi, credit, other, cash, error}. Only cash may
 * exceed the total; an empty cash field means "cash pays the rest".
 */
function readTenders(total) {
  const parts = { card: 0, upi: 0, credit: 0 };
  for (const method of TENDER_METHODS) {
    const raw = state.tenders[method].trim();
    if (raw === "") continue;
    const value = parseTendered(raw);
    if (value === null) return { ...parts, error: `${method.toUpperCase()} must be an amount like 100 or 100.50.` };
    parts[method] = value;
  }
  const other = parts.card + parts.upi + parts.credit;
  if (parts.credit && !state.customer) {
    return { ...parts, other, error: "Credit needs a customer: attach one first (F4)." };
  }
  if (total !== null && other > total) {
    return { ...parts, other, error: "Card, UPI and credit together cannot exceed the total; only cash can." };
  }
  let cash = null; // null: cash pays exactly the rest
  if (state.tendered.trim() !== "") cash = parseTendered(state.tendered);
  return { ...parts, other, cash, error: "" };
}

// ---------------------------------------------------------------------------------------------
// State: the cart (kept in sessionStorage so a reload does not lose it) and the server's prices.

const state = {
  lines: [], // {product_id, code, name, unit, price, quantity, stock}
  discount: "",
  tendered: "",
  tenders: { card: "", upi: "", credit: "" }, // the other parts of a split payment
  customer: null, // {id, name, phone, phone_display, balance, available_credit}
  priced: null, // the server's answer for exactly the current cart, or null while pending
  shown: null, // the last answer shown (kept, dimmed, while a new one is on its way)
  priceError: null, // {message, fields}
  lastTouched: null, // product_id of the line scanned or edited last
  busy: false, // a checkout is in flight
};
const qtyErrors = new Map(); // product_id -> message (client-side validation)
let priceSeq = 0;
let pricing = Promise.resolve();
let scanQueue = Promise.resolve();

function save() {
  const data = {
    lines: state.lines,
    discount: state.discount,
    tendered: state.tendered,
    tenders: state.tenders,
    customer: state.customer,
  };
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(data));
  } catch {
    /* storage full or disabled: the cart still works, it just does not survive a reload */
  }
}

function restore() {
  let data = null;
  try {
    data = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
  } catch {
    data = null;
  }
  if (!data || !Array.isArray(data.lines)) return;
  state.lines = data.lines.filter(
    (line) => line && Number.isInteger(line.product_id) && typeof line.name === "string",
  );
  state.discount = typeof data.discount === "string" ? data.discount : "";
  state.tendered = typeof data.tendered === "string" ? data.tendered : "";
  for (const method of TENDER_METHODS) {
    const value = data.tenders?.[method];
    state.tenders[method] = typeof value === "string" ? value : "";
  }
  state.customer =
    data.customer && Number.isInteger(data.customer.id) && typeof data.customer.name === "string"
      ? data.customer
      : null;
  if (!state.customer) state.tenders.credit = "";
  for (const line of state.lines) {
    const [, error] = checkQuantity(line.quantity, line.unit);
    if (error) qtyErrors.set(line.product_id, error);
  }
}

function clearStorage() {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    /* nothing to clear */
  }
}

// ---------------------------------------------------------------------------------------------
// Talking to the server. Every answer is JSON; anything else means the session has ended.

const SESSION_ENDED = "Your session has ended. Reload the page and log in again.";

async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, {
      credentials: "same-origin",
      ...options,
      headers: { Accept: "application/json", ...(options.headers || {}) },
    });
  } catch {
    return { ok: false, status: 0, message: "TillBook is not answering. Is it still running?" };
  }
  const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
  if (!isJson) return { ok: false, status: response.status, message: SESSION_ENDED };
  let data = null;
  try {
    data = await response.json();
  } catch {
    return { ok: false, status: response.status, message: "The server sent a broken answer." };
  }
  if (response.ok) return { ok: true, status: response.status, data };
  const error = (data && data.error) || {};
  const message = response.status === 401 ? SESSION_ENDED : error.message || "Something went wrong.";
  return { ok: false, status: response.status, message, details: error.details || {} };
}

const getJSON = (url) => request(url);
const postJSON = (url, body) =>
  request(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
    body: JSON.stringify(body),
  });

function cartPayload() {
  const payload = {
    items: state.lines.map((line) => ({ product_id: line.product_id, quantity: line.quantity })),
  };
  if (state.discount.trim()) payload.discount = state.discount.trim();
  if (state.customer) payload.customer_id = state.customer.id;
  return payload;
}

/** Ask the server for the totals of the current cart; older answers are ignored. */
function reprice() {
  const seq = ++priceSeq;
  state.priced = null;
  state.priceError = null;
  if (!state.lines.length) {
    state.shown = null;
    render();
    pricing = Promise.resolve();
    return pricing;
  }
  if (qtyErrors.size || checkDiscount(state.discount)) {
    render();
    pricing = Promise.resolve();
    return pricing;
  }
  render();
  pricing = postJSON(cfg.priceUrl, cartPayload()).then((result) => {
    if (seq !== priceSeq) return;
    if (result.ok) {
      state.priced = result.data;
      state.shown = result.data;
    } else {
      state.priceError = { message: result.message, fields: result.details?.fields || {} };
    }
    render();
  });
  return pricing;
}

// ---------------------------------------------------------------------------------------------
// Rendering. Rows are kept per product and updated in place, so a quantity being typed is never
// replaced under the cashier's fingers. User text only ever goes through textContent.

const rows = new Map(); // product_id -> {tr, cells...}

function makeRow(line) {
  const tr = document.createElement("tr");
  tr.dataset.productId = String(line.product_id);
  tr.innerHTML = `
    <td class="col-idx text-body-secondary num"></td>
    <td class="col-item"><div class="item-name fw-semibold"></div>
      <div class="item-code small text-body-secondary font-monospace"></div>
      <div class="item-note small"></div>
      <div class="item-warn small fw-semibold text-danger-emphasis" role="status" hidden></div></td>
    <td class="text-end num item-price"></td>
    <td class="col-qty"><div class="input-group input-group-sm has-validation">
      <input class="form-control text-end num qty-input" type="text" autocomplete="off">
      <span class="input-group-text qty-unit"></span>
      <div class="invalid-feedback qty-error"></div></div></td>
    <td class="text-end num fw-semibold item-total"></td>
    <td class="col-remove text-end"><button type="button" class="btn btn-sm btn-outline-danger remove-line">
      <span aria-hidden="true">×</span></button></td>`;
  const row = {
    tr,
    idx: tr.querySelector(".col-idx"),
    name: tr.querySelector(".item-name"),
    code: tr.querySelector(".item-code"),
    note: tr.querySelector(".item-note"),
    warn: tr.querySelector(".item-warn"),
    price: tr.querySelector(".item-price"),
    qty: tr.querySelector(".qty-input"),
    unit: tr.querySelector(".qty-unit"),
    qtyError: tr.querySelector(".qty-error"),
    total: tr.querySelector(".item-total"),
    remove: tr.querySelector(".remove-line"),
  };
  const id = line.product_id;
  row.name.textContent = line.name;
  row.code.textContent = line.code;
  row.unit.textContent = line.unit;
  row.qty.inputMode = line.unit === "pcs" ? "numeric" : "decimal";
  row.qty.setAttribute("aria-label", `Quantity of ${line.name}`);
  row.remove.setAttribute("aria-label", `Remove ${line.name}`);
  row.remove.title = `Remove ${line.name}`;
  row.qty.addEventListener("change", () => commitQuantity(id, row.qty.value));
  row.qty.addEventListener("focus", () => row.qty.select());
  row.qty.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      commitQuantity(id, row.qty.value);
      focusScan();
    } else if (event.key === "Escape") {
      event.preventDefault();
      const line = findLine(id);
      if (line) row.qty.value = line.quantity;
      focusScan();
    }
  });
  row.remove.addEventListener("click", () => {
    removeLine(id);
    focusScan();
  });
  return row;
}

function findLine(productId) {
  return state.lines.find((line) => line.product_id === productId);
}

function renderRows() {
  const priced = state.priced;
  const pricedById = new Map();
  if (priced) for (const line of priced.lines) pricedById.set(line.product_id, line);
  const fieldErrors = state.priceError?.fields || {};
  const alive = new Set();

  state.lines.forEach((line, index) => {
    const id = line.product_id;
    alive.add(id);
    let row = rows.get(id);
    if (!row) {
      row = makeRow(line);
      rows.set(id, row);
    }
    if (el.cartBody.children[index] !== row.tr) {
      el.cartBody.insertBefore(row.tr, el.cartBody.children[index] || null);
    }
    row.idx.textContent = String(index + 1);
    row.price.textContent =
      moneyText(line.price) + (line.unit === "pcs" ? "" : ` /${line.unit}`);
    if (document.activeElement !== row.qty) row.qty.value = line.quantity;

    const serverError = fieldErrors[`items.${index}.quantity`] || fieldErrors[`items.${index}`];
    const error = qtyErrors.get(id) || serverError || null;
    row.qty.classList.toggle("is-invalid", Boolean(error));
    if (error) row.qty.setAttribute("aria-invalid", "true");
    else row.qty.removeAttribute("aria-invalid");
    row.qtyError.textContent = error || "";

    const pricedLine = pricedById.get(id);
    row.total.textContent = pricedLine ? moneyText(pricedLine.total) : "…";
    row.total.classList.toggle("text-body-secondary", !pricedLine);

    let note = "";
    const stock = pricedLine ? pricedLine.stock : line.stock;
    const qty = parseFixed(line.quantity, 3);
    const stockMilli = parseFixed(stock, 3);
    const warnings = [];
    if (qty !== null && stockMilli !== null && qty > stockMilli) {
      if (priced?.allow_negative_stock) {
        warnings.push(`⚠ Only ${stock} ${line.unit} in stock: this sale takes stock below zero`);
      } else {
        note = `Only ${stock} ${line.unit} in stock`;
      }
    }
    if (pricedLine?.expired) {
      warnings.push(`⚠ Expired stock on the shelf (${pricedLine.expired} ${line.unit}): check the date`);
    }
    row.warn.textContent = warnings.join(" · ");
    row.warn.hidden = warnings.length === 0;
    if (pricedLine && parseFixed(pricedLine.discount, 2) > 0) {
      note = [note, `discount ${moneyText(pricedLine.discount)}`].filter(Boolean).join(" · ");
    }
    row.note.textContent = note;
    row.note.className = `item-note small ${note.startsWith("Only") ? "text-warning-emphasis" : "text-body-secondary"}`;
    row.tr.classList.toggle("table-danger", Boolean(error) || row.tr.dataset.short === "1");
    row.tr.classList.toggle("table-warning", !error && warnings.length > 0);
  });

  for (const [id, row] of rows) {
    if (!alive.has(id)) {
      row.tr.remove();
      rows.delete(id);
    }
  }
  el.cartEmpty.hidden = state.lines.length > 0;
}

function renderTotals() {
  const shown = state.lines.length ? state.priced || state.shown : null;
  const zero = formatMoney(0);
  el.itemCount.textContent = String(state.lines.length);
  el.subtotal.textContent = shown ? moneyText(shown.subtotal) : zero;
  const discount = shown ? parseFixed(shown.discount_total, 2) : 0;
  el.discountTotal.textContent = discount ? `-${formatMoney(discount)}` : zero;
  el.taxTotal.textContent = shown ? moneyText(shown.tax_total) : zero;
  if (shown) el.taxLabel.textContent = shown.prices_include_tax ? "Tax (included)" : "Tax";
  const roundOff = shown ? parseFixed(shown.round_off, 2) : 0;
  el.roundOffRow.hidden = !roundOff;
  el.roundOff.textContent = roundOff ? moneyText(shown.round_off) : "";
  el.total.textContent = shown ? moneyText(shown.total) : zero;
  const pending = state.lines.length > 0 && !state.priced;
  el.totals.parentElement.classList.toggle("is-stale", pending);
}

function renderDiscount() {
  const clientError = checkDiscount(state.discount);
  const error = clientError || state.priceError?.fields?.discount || null;
  el.billDiscount.classList.toggle("is-invalid", Boolean(error));
  el.billDiscountError.textContent = error || "";
}

/**
 * Show the change live, in integer paise: cash tendered + card + UPI + credit − total. Empty
 * cash tendered means exact cash for whatever the other tenders leave.
 */
function renderChange() {
  const total = state.priced ? parseFixed(state.priced.total, 2) : null;
  const tenders = readTenders(total);
  const raw = state.tendered.trim();
  let label = "Change";
  let text = "—";
  let tone = "";
  let error = "";
  if (raw !== "" && tenders.cash === null) {
    error = "An amount like 500 or 500.50.";
  } else if (total !== null && !tenders.error) {
    if (raw === "") {
      const rest = total - tenders.other;
      if (tenders.other && rest > 0) {
        label = "Cash to take";
        text = formatMoney(rest);
      } else {
        text = `${formatMoney(0)} (exact)`;
      }
    } else {
      const change = tenders.cash + tenders.other - total;
      if (change < 0) {
        label = "Short by";
        text = formatMoney(-change);
        tone = "short";
      } else {
        text = formatMoney(change);
        tone = "ok";
      }
    }
  }
  el.tendered.classList.toggle("is-invalid", Boolean(error));
  el.tenderedError.textContent = error;
  el.tenderError.textContent = tenders.error || creditWarning(tenders.credit);
  for (const method of TENDER_METHODS) {
    const field = { card: el.payCard, upi: el.payUpi, credit: el.payCredit }[method];
    const bad = state.tenders[method].trim() !== "" && parseTendered(state.tenders[method]) === null;
    field.classList.toggle("is-invalid", bad);
  }
  el.changeLabel.textContent = label;
  el.change.textContent = text;
  el.changeBox.dataset.tone = tone;
}

/** Warn early when a credit part is more than the customer has left (the server decides). */
function creditWarning(credit) {
  if (!credit || !state.customer) return "";
  const available = parseFixed(state.customer.available_credit, 2);
  if (available === null || credit <= available) return "";
  return `Only ${formatMoney(available)} of credit is left for ${state.customer.name}.`;
}

function renderPriceError() {
  const message = state.priceError?.message;
  if (message) showCheckoutAlert(message);
  else if (el.checkoutAlert.dataset.source === "price") hideCheckoutAlert();
}

function render() {
  renderRows();
  renderTotals();
  renderDiscount();
  renderChange();
  renderPriceError();
  el.complete.disabled = state.busy || state.lines.length === 0;
  el.newBill.disabled = state.busy;
}

// ---------------------------------------------------------------------------------------------
// Alerts, status and focus.

function showScanAlert(message) {
  el.scanAlert.textContent = message;
  el.scanAlert.hidden = false;
  beep();
}

function hideScanAlert() {
  el.scanAlert.hidden = true;
  el.scanAlert.textContent = "";
}

function showCheckoutAlert(message, source = "price") {
  el.checkoutAlert.textContent = message;
  el.checkoutAlert.dataset.source = source;
  el.checkoutAlert.hidden = false;
}

function hideCheckoutAlert() {
  el.checkoutAlert.hidden = true;
  el.checkoutAlert.textContent = "";
  delete el.checkoutAlert.dataset.source;
}

function announce(message) {
  el.status.textContent = message;
}

let audio = null;
function beep() {
  try {
    audio = audio || new AudioContext();
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

const TYPING_FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);

function focusScan() {
  el.scan.focus();
}

/** Give the scan field its focus back, unless the cashier is typing somewhere else. */
function focusScanIfIdle() {
  const active = document.activeElement;
  if (!active || active === document.body || active === el.scan || !TYPING_FIELDS.has(active.tagName)) {
    focusScan();
  }
}

// ---------------------------------------------------------------------------------------------
// Cart changes.

function touched(productId) {
  state.lastTouched = productId;
  const row = rows.get(productId);
  if (row) {
    row.tr.classList.remove("row-flash");
    void row.tr.offsetWidth; // restart the animation
    row.tr.classList.add("row-flash");
  }
}

function addProduct(product, quantity) {
  const scanned = parseFixed(quantity, 3) ?? 1000;
  const existing = findLine(product.id);
  if (existing) {
    const current = qtyErrors.has(product.id) ? 0 : parseFixed(existing.quantity, 3) ?? 0;
    existing.quantity = qtyString(current + scanned, existing.unit);
    existing.stock = product.stock;
    existing.price = product.price;
    qtyErrors.delete(product.id);
  } else {
    state.lines.push({
      product_id: product.id,
      code: product.code,
      name: product.name,
      unit: product.unit,
      price: product.price,
      quantity: qtyString(scanned, product.unit),
      stock: product.stock,
    });
  }
  clearShortMark();
  hideScanAlert();
  if (el.checkoutAlert.dataset.source === "checkout") hideCheckoutAlert();
  save();
  reprice();
  touched(product.id);
  announce(`${product.name}: ${findLine(product.id).quantity} ${product.unit}`);
}

function commitQuantity(productId, text) {
  const line = findLine(productId);
  if (!line) return;
  const raw = String(text).trim();
  const [milli, error] = checkQuantity(raw, line.unit);
  const next = error ? raw : qtyString(milli, line.unit);
  if (next === line.quantity && qtyErrors.get(productId) === (error || undefined)) return;
  line.quantity = next;
  if (error) qtyErrors.set(productId, error);
  else qtyErrors.delete(productId);
  state.lastTouched = productId;
  clearShortMark();
  save();
  reprice();
}

function removeLine(productId) {
  state.lines = state.lines.filter((line) => line.product_id !== productId);
  qtyErrors.delete(productId);
  if (state.lastTouched === productId) state.lastTouched = null;
  clearShortMark();
  hideCheckoutAlert();
  save();
  reprice();
}

function clearBill() {
  state.lines = [];
  state.discount = "";
  state.tendered = "";
  state.tenders = { card: "", upi: "", credit: "" };
  state.customer = null;
  state.lastTouched = null;
  qtyErrors.clear();
  el.billDiscount.value = "";
  el.tendered.value = "";
  el.payCard.value = "";
  el.payUpi.value = "";
  el.payCredit.value = "";
  closeCustomerForm();
  closePaymentForm();
  renderCustomer();
  hideScanAlert();
  hideCheckoutAlert();
  clearStorage();
  reprice();
}

function clearShortMark() {
  for (const row of rows.values()) delete row.tr.dataset.short;
}

// ---------------------------------------------------------------------------------------------
// Scanning and name search.

function lookupAndAdd(code) {
  scanQueue = scanQueue.then(async () => {
    const result = await getJSON(`${cfg.lookupUrl}?code=${encodeURIComponent(code)}`);
    if (result.ok) {
      addProduct(result.data.product, result.data.quantity);
    } else if (result.status === 404) {
      showScanAlert(result.message || `Unknown code: ${code}`);
    } else {
      showScanAlert(result.message);
    }
    focusScanIfIdle();
  });
  return scanQueue;
}

const suggest = { items: [], active: -1, seq: 0, timer: null };

function closeSuggestions() {
  suggest.items = [];
  suggest.active = -1;
  el.suggestions.hidden = true;
  el.suggestions.replaceChildren();
  el.scan.setAttribute("aria-expanded", "false");
  el.scan.removeAttribute("aria-activedescendant");
}

function showSuggestions(items, query) {
  suggest.items = items;
  suggest.active = -1;
  el.suggestions.replaceChildren();
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "list-group-item text-body-secondary small";
    li.textContent = `No product matches “${query}”. Enter looks it up as a code.`;
    el.suggestions.append(li);
  }
  items.forEach((product, index) => {
    const li = document.createElement("li");
    li.className = "list-group-item list-group-item-action suggestion";
    li.id = `suggestion-${index}`;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    const main = document.createElement("div");
    main.className = "suggestion-main";
    const name = document.createElement("span");
    name.className = "fw-semibold";
    name.textContent = product.name;
    const code = document.createElement("span");
    code.className = "small font-monospace suggestion-code";
    code.textContent = product.code;
    main.append(name, code);
    const side = document.createElement("div");
    side.className = "suggestion-side text-end";
    const price = document.createElement("span");
    price.className = "num";
    price.textContent = moneyText(product.price) + (product.unit === "pcs" ? "" : ` /${product.unit}`);
    const stock = document.createElement("span");
    const out = (parseFixed(product.stock, 3) ?? 0) <= 0;
    stock.className = `small suggestion-stock ${out ? "text-danger" : ""}`;
    stock.textContent = out ? "out of stock" : `${product.stock} ${product.unit} in stock`;
    side.append(price, stock);
    li.append(main, side);
    li.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the field
    li.addEventListener("click", () => pickSuggestion(index));
    el.suggestions.append(li);
  });
  el.suggestions.hidden = false;
  el.scan.setAttribute("aria-expanded", "true");
}

function highlight(index) {
  const count = suggest.items.length;
  if (!count) return;
  suggest.active = (index + count) % count;
  [...el.suggestions.children].forEach((li, i) => {
    const on = i === suggest.active;
    li.classList.toggle("active", on);
    li.setAttribute("aria-selected", String(on));
    if (on) li.scrollIntoView({ block: "nearest" });
  });
  el.scan.setAttribute("aria-activedescendant", `suggestion-${suggest.active}`);
}

function pickSuggestion(index) {
  const product = suggest.items[index];
  if (!product) return;
  suggest.seq++;
  clearTimeout(suggest.timer);
  closeSuggestions();
  el.scan.value = "";
  addProduct(product, "1");
  focusScan();
}

async function fetchSuggestions(query, seq) {
  const url = `${cfg.searchUrl}?q=${encodeURIComponent(query)}&per_page=8`;
  const result = await getJSON(url);
  if (seq !== suggest.seq || el.scan.value.trim() !== query) return; // a newer keystroke won
  if (result.ok) showSuggestions(result.data.items, query);
  else closeSuggestions();
}

el.scan.addEventListener("input", () => {
  clearTimeout(suggest.timer);
  const query = el.scan.value.trim();
  const seq = ++suggest.seq;
  // Digits only is a barcode being typed or scanned: no suggestions for those.
  if (!query || !/\D/.test(query)) {
    closeSuggestions();
    return;
  }
  suggest.timer = setTimeout(() => fetchSuggestions(query, seq), 120);
});

el.scan.addEventListener("keydown", (event) => {
  const open = !el.suggestions.hidden && suggest.items.length > 0;
  if (event.key === "ArrowDown" && open) {
    event.preventDefault();
    highlight(suggest.active + 1);
  } else if (event.key === "ArrowUp" && open) {
    event.preventDefault();
    highlight(suggest.active < 0 ? suggest.items.length - 1 : suggest.active - 1);
  } else if (event.key === "Enter") {
    event.preventDefault();
    if (open && suggest.active >= 0) {
      pickSuggestion(suggest.active);
      return;
    }
    const code = el.scan.value.trim();
    suggest.seq++;
    clearTimeout(suggest.timer);
    closeSuggestions();
    el.scan.value = "";
    if (code) lookupAndAdd(code);
  } else if (event.key === "Escape") {
    event.preventDefault();
    if (!el.suggestions.hidden) {
      suggest.seq++;
      closeSuggestions();
    } else if (el.scan.value) {
      el.scan.value = "";
    } else {
      hideScanAlert();
    }
  }
});

el.scan.addEventListener("blur", () => {
  // Let a click on a suggestion land first; then close the list.
  setTimeout(() => {
    if (document.activeElement !== el.scan) closeSuggestions();
  }, 150);
});

// ---------------------------------------------------------------------------------------------
// Discount, tendered cash, checkout.

let discountTimer = null;
el.billDiscount.addEventListener("input", () => {
  state.discount = el.billDiscount.value;
  save();
  clearTimeout(discountTimer);
  discountTimer = setTimeout(reprice, 300);
  renderDiscount();
});
el.billDiscount.addEventListener("change", () => {
  clearTimeout(discountTimer);
  state.discount = el.billDiscount.value;
  save();
  reprice();
});

el.tendered.addEventListener("input", () => {
  state.tendered = el.tendered.value;
  save();
  renderChange();
});

for (const [method, field] of [["card", el.payCard], ["upi", el.payUpi], ["credit", el.payCredit]]) {
  field.addEventListener("input", () => {
    state.tenders[method] = field.value;
    save();
    renderChange();
  });
}

for (const field of [el.billDiscount, el.tendered, el.payCard, el.payUpi, el.payCredit]) {
  field.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      focusScan();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (field === el.billDiscount) {
        clearTimeout(discountTimer);
        reprice();
      }
      focusScan();
    }
  });
}

function receiptUrl(id) {
  return `${cfg.receiptUrl.replace(/\/0$/, `/${id}`)}?print=1`;
}

function setBusy(busy) {
  state.busy = busy;
  el.complete.querySelector(".spinner-border").hidden = !busy;
  el.complete.querySelector(".complete-label").textContent = busy ? "Completing…" : "Complete sale";
  el.complete.disabled = busy || state.lines.length === 0;
  el.newBill.disabled = busy;
  heldEl.hold.disabled = busy;
}

async function completeSale() {
  if (state.busy) return;
  if (!state.lines.length) {
    showCheckoutAlert("The bill is empty: scan an item first.", "checkout");
    focusScan();
    return;
  }
  setBusy(true);
  let leaving = false;
  try {
    await scanQueue; // a scan typed just before F9 belongs to this bill
    await pricing;
    if (qtyErrors.size) {
      showCheckoutAlert("Fix the quantity marked in red first.", "checkout");
      return;
    }
    if (checkDiscount(state.discount)) {
      showCheckoutAlert(checkDiscount(state.discount), "checkout");
      return;
    }
    if (!state.priced) {
      showCheckoutAlert(state.priceError?.message || "The totals are not ready yet.", "checkout");
      return;
    }
    const total = parseFixed(state.priced.total, 2);
    const tenders = readTenders(total);
    if (tenders.error) {
      showCheckoutAlert(tenders.error, "checkout");
      return;
    }
    const payments = [];
    for (const method of TENDER_METHODS) {
      if (tenders[method] > 0) payments.push({ method, amount: formatFixed(tenders[method], 2) });
    }
    if (state.tendered.trim()) {
      if (tenders.cash === null) {
        showCheckoutAlert("Cash tendered must be an amount like 500 or 500.50.", "checkout");
        el.tendered.focus();
        return;
      }
      if (tenders.cash + tenders.other < total) {
        const short = formatMoney(total - tenders.other - tenders.cash);
        showCheckoutAlert(`The payment is short by ${short}.`, "checkout");
        el.tendered.focus();
        return;
      }
      if (tenders.cash > 0) payments.push({ method: "cash", amount: formatFixed(tenders.cash, 2) });
    } else if (total - tenders.other > 0) {
      payments.push({ method: "cash", amount: formatFixed(total - tenders.other, 2) });
    }
    const payload = { ...cartPayload(), payments };
    const result = await postJSON(cfg.checkoutUrl, payload);
    if (result.ok) {
      leaving = true;
      clearStorage();
      announce(`Sale ${result.data.number} completed.`);
      window.location.assign(receiptUrl(result.data.id));
      return;
    }
    showCheckoutAlert(result.message, "checkout");
    if (result.status === 409 && result.details?.available !== undefined && state.customer &&
        result.details.customer_id === state.customer.id) {
      state.customer.available_credit = result.details.available;
      state.customer.balance = result.details.balance;
      renderCustomer();
      el.payCredit.focus();
    }
    const shortId = result.details?.product_id;
    if (result.status === 409 && rows.has(shortId)) {
      rows.get(shortId).tr.dataset.short = "1";
      const line = findLine(shortId);
      if (line && result.details.available !== undefined) line.stock = result.details.available;
      render();
    }
  } finally {
    if (!leaving) {
      setBusy(false);
      render();
    }
  }
}

el.complete.addEventListener("click", () => completeSale());
el.newBill.addEventListener("click", () => {
  if (state.lines.length && !window.confirm("Clear this bill? Its items will be removed.")) {
    focusScan();
    return;
  }
  clearBill();
  focusScan();
});

// ---------------------------------------------------------------------------------------------
// The customer of the bill: find by phone or name (arrows + Enter), or add one inline.

const customerFind = { items: [], active: -1, seq: 0, timer: null };

function customerPageUrl(id) {
  return cfg.customerPageUrl.replace(/\/0$/, `/${id}`);
}

function renderCustomer() {
  const customer = state.customer;
  el.customerChip.hidden = !customer;
  el.customerPick.hidden = Boolean(customer);
  el.payCredit.disabled = !customer;
  el.payCredit.title = customer ? "" : "Attach a customer to sell on credit";
  if (!customer) return;
  el.customerName.textContent = customer.name;
  el.customerPhone.textContent = customer.phone_display || customer.phone;
  const balance = parseFixed(customer.balance, 2) ?? 0;
  el.customerBalance.textContent =
    balance < 0 ? `Advance ${formatMoney(-balance)}` : `Owes ${formatMoney(balance)}`;
  el.customerAvailable.textContent = `credit left ${moneyText(customer.available_credit)}`;
  el.customerPageLink.href = customerPageUrl(customer.id);
}

function closeCustomerSuggestions() {
  customerFind.items = [];
  customerFind.active = -1;
  el.customerSuggestions.hidden = true;
  el.customerSuggestions.replaceChildren();
  el.customerSearch.setAttribute("aria-expanded", "false");
  el.customerSearch.removeAttribute("aria-activedescendant");
}

function showCustomerSuggestions(items, query) {
  customerFind.items = items;
  customerFind.active = items.length ? 0 : -1;
  el.customerSuggestions.replaceChildren();
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "list-group-item text-body-secondary small";
    li.textContent = `No customer matches “${query}”. Enter adds a new one.`;
    el.customerSuggestions.append(li);
  }
  items.forEach((customer, index) => {
    const li = document.createElement("li");
    li.className = "list-group-item list-group-item-action suggestion";
    li.id = `customer-suggestion-${index}`;
    li.setAttribute("role", "option");
    const main = document.createElement("div");
    main.className = "suggestion-main";
    const name = document.createElement("span");
    name.className = "fw-semibold";
    name.textContent = customer.name;
    const phone = document.createElement("span");
    phone.className = "small suggestion-code num";
    phone.textContent = customer.phone_display || customer.phone;
    main.append(name, phone);
    const side = document.createElement("div");
    side.className = "suggestion-side text-end small num";
    const balance = parseFixed(customer.balance, 2) ?? 0;
    side.textContent = balance > 0 ? `owes ${formatMoney(balance)}` : "";
    li.append(main, side);
    li.addEventListener("mousedown", (event) => event.preventDefault());
    li.addEventListener("click", () => attachCustomer(customer.id));
    el.customerSuggestions.append(li);
  });
  el.customerSuggestions.hidden = false;
  el.customerSearch.setAttribute("aria-expanded", "true");
  highlightCustomer(customerFind.active);
}

function highlightCustomer(index) {
  const count = customerFind.items.length;
  if (!count) return;
  customerFind.active = (index + count) % count;
  [...el.customerSuggestions.children].forEach((li, i) => {
    const on = i === customerFind.active;
    li.classList.toggle("active", on);
    li.setAttribute("aria-selected", String(on));
  });
  el.customerSearch.setAttribute(
    "aria-activedescendant",
    `customer-suggestion-${customerFind.active}`,
  );
}

/** Phone digits need at least 3 to mean anything; names at least 2 letters. */
function customerQueryReady(query) {
  if (/^[\d\s+\-().]+$/.test(query)) return query.replace(/\D/g, "").length >= 3;
  return query.length >= 2;
}

async function fetchCustomers(query, seq) {
  const result = await getJSON(`${cfg.customersUrl}?q=${encodeURIComponent(query)}&per_page=8`);
  if (seq !== customerFind.seq || el.customerSearch.value.trim() !== query) return;
  if (result.ok) showCustomerSuggestions(result.data.items, query);
  else closeCustomerSuggestions();
}

async function attachCustomer(id) {
  closeCustomerSuggestions();
  const result = await getJSON(`${cfg.customersUrl}/${id}`);
  if (!result.ok) {
    showCheckoutAlert(result.message, "checkout");
    return;
  }
  const c = result.data;
  state.customer = {
    id: c.id,
    name: c.name,
    phone: c.phone,
    phone_display: c.phone_display,
    balance: c.balance,
    available_credit: c.available_credit,
  };
  el.customerSearch.value = "";
  closeCustomerForm();
  closePaymentForm();
  save();
  renderCustomer();
  renderChange();
  announce(`Customer ${c.name} attached to the bill.`);
  focusScan();
}

function detachCustomer() {
  closePaymentForm();
  state.customer = null;
  state.tenders.credit = "";
  el.payCredit.value = "";
  save();
  renderCustomer();
  renderChange();
  focusCustomerSearch();
}

function focusCustomerSearch() {
  if (state.customer) {
    el.customerDetach.focus();
    return;
  }
  el.customerSearch.focus();
  el.customerSearch.select();
}

function openCustomerForm(prefill) {
  el.customerNew.hidden = false;
  el.customerNewAlert.hidden = true;
  for (const input of [el.customerNewName, el.customerNewPhone]) input.classList.remove("is-invalid");
  const query = String(prefill || "").trim();
  if (/^[\d\s+\-().]+$/.test(query)) {
    el.customerNewPhone.value = query;
    el.customerNewName.focus();
  } else {
    el.customerNewName.value = query;
    el.customerNewPhone.focus();
  }
}

function closeCustomerForm() {
  el.customerNew.hidden = true;
  el.customerNewName.value = "";
  el.customerNewPhone.value = "";
  el.customerNewAlert.hidden = true;
}

el.customerSearch.addEventListener("input", () => {
  clearTimeout(customerFind.timer);
  const query = el.customerSearch.value.trim();
  const seq = ++customerFind.seq;
  if (!customerQueryReady(query)) {
    closeCustomerSuggestions();
    return;
  }
  customerFind.timer = setTimeout(() => fetchCustomers(query, seq), 150);
});

el.customerSearch.addEventListener("keydown", (event) => {
  const open = !el.customerSuggestions.hidden && customerFind.items.length > 0;
  if (event.key === "ArrowDown" && open) {
    event.preventDefault();
    highlightCustomer(customerFind.active + 1);
  } else if (event.key === "ArrowUp" && open) {
    event.preventDefault();
    highlightCustomer(customerFind.active - 1);
  } else if (event.key === "Enter") {
    event.preventDefault();
    const query = el.customerSearch.value.trim();
    if (open && customerFind.active >= 0) {
      attachCustomer(customerFind.items[customerFind.active].id);
    } else if (query && !el.customerSuggestions.hidden) {
      closeCustomerSuggestions();
      openCustomerForm(query); // nothing matched: add this customer
    } else if (query && customerQueryReady(query)) {
      const seq = ++customerFind.seq;
      clearTimeout(customerFind.timer);
      fetchCustomers(query, seq);
    }
  } else if (event.key === "Escape") {
    event.preventDefault();
    customerFind.seq++;
    closeCustomerSuggestions();
    el.customerSearch.value = "";
    focusScan();
  }
});

el.customerSearch.addEventListener("blur", () => {
  setTimeout(() => {
    if (document.activeElement !== el.customerSearch) closeCustomerSuggestions();
  }, 150);
});

el.customerNewToggle.addEventListener("click", () => openCustomerForm(el.customerSearch.value));
el.customerNewCancel.addEventListener("click", () => {
  closeCustomerForm();
  focusCustomerSearch();
});
el.customerNew.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    event.preventDefault();
    closeCustomerForm();
    focusCustomerSearch();
  }
});
el.customerNew.addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { name: el.customerNewName.value, phone: el.customerNewPhone.value };
  const result = await postJSON(cfg.customersUrl, body);
  if (result.ok) {
    await attachCustomer(result.data.id);
    return;
  }
  const fields = result.details?.fields || {};
  for (const [name, input] of [["name", el.customerNewName], ["phone", el.customerNewPhone]]) {
    input.classList.toggle("is-invalid", Boolean(fields[name]));
    const feedback = el.customerNew.querySelector(`[data-field="${name}"]`);
    feedback.textContent = fields[name] || "";
  }
  el.customerNewAlert.textContent = result.message;
  el.customerNewAlert.hidden = false;
  if (result.status === 409 && Number.isInteger(result.details?.customer_id)) {
    const existing = result.details.customer_id;
    const use = document.createElement("button");
    use.type = "button";
    use.className = "btn btn-link btn-sm p-0 ms-1 align-baseline";
    use.textContent = "Attach them instead";
    use.addEventListener("click", () => attachCustomer(existing));
    el.customerNewAlert.append(" ", use);
  }
});

el.customerDetach.addEventListener("click", detachCustomer);

// A payment on account from the till: allocated by the server, then its receipt prints.
function closePaymentForm() {
  el.customerPay.hidden = true;
  el.customerPayAmount.value = "";
  el.customerPayAlert.hidden = true;
}

el.customerPayToggle.addEventListener("click", () => {
  el.customerPay.hidden = false;
  const balance = parseFixed(state.customer?.balance, 2) ?? 0;
  if (balance > 0 && !el.customerPayAmount.value) el.customerPayAmount.value = formatFixed(balance, 2);
  el.customerPayAmount.focus();
  el.customerPayAmount.select();
});
el.customerPayCancel.addEventListener("click", () => {
  closePaymentForm();
  focusScan();
});
el.customerPay.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    event.preventDefault();
    closePaymentForm();
    focusScan();
  }
});
el.customerPay.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!state.customer) return;
  const result = await postJSON(`${cfg.customersUrl}/${state.customer.id}/payments`, {
    amount: el.customerPayAmount.value.trim(),
    method: el.customerPayMethod.value,
  });
  if (result.ok) {
    save(); // the bill in progress waits in this tab's storage
    const url = cfg.paymentReceiptUrl.replace(/\/0\/receipt$/, `/${result.data.id}/receipt`);
    window.location.assign(`${url}?print=1`);
    return;
  }
  el.customerPayAlert.textContent = result.message;
  el.customerPayAlert.hidden = false;
  el.customerPayAmount.focus();
});

/** Bring a restored customer's balance and credit left up to date. */
async function refreshCustomer() {
  if (!state.customer) return;
  const result = await getJSON(`${cfg.customersUrl}/${state.customer.id}`);
  if (!result.ok || !state.customer || result.data.id !== state.customer.id) return;
  state.customer.balance = result.data.balance;
  state.customer.available_credit = result.data.available_credit;
  save();
  renderCustomer();
  renderChange();
}

/** F8: put whatever card, UPI and cash tendered do not cover on the customer's credit. */
function restOnCredit() {
  if (!state.customer) {
    showCheckoutAlert("Attach a customer first (F4) to sell on credit.", "checkout");
    focusCustomerSearch();
    return;
  }
  const total = state.priced ? parseFixed(state.priced.total, 2) : null;
  if (total === null) return;
  const card = parseTendered(state.tenders.card) ?? 0;
  const upi = parseTendered(state.tenders.upi) ?? 0;
  const cash = state.tendered.trim() ? parseTendered(state.tendered) ?? 0 : 0;
  const rest = Math.max(0, total - card - upi - cash);
  state.tenders.credit = rest ? formatFixed(rest, 2) : "";
  el.payCredit.value = state.tenders.credit;
  save();
  renderChange();
  el.payCredit.focus();
}


// ---------------------------------------------------------------------------------------------
// Held bills: park the cart (F6) with an optional label, recall it later (also after a
// restart: they live on the server). A held cart keeps no stock aside; recalling removes it.

const heldEl = {
  hold: $("hold-bill"),
  toggle: $("held-toggle"),
  count: $("held-count"),
  panel: $("held-panel"),
  list: $("held-list"),
  empty: $("held-empty"),
  alert: $("held-alert"),
};

function heldMessage(message) {
  heldEl.alert.textContent = message;
  heldEl.alert.hidden = !message;
}

function showHeldPanel(show) {
  heldEl.panel.hidden = !show;
  heldEl.toggle.setAttribute("aria-expanded", String(show));
}

function heldRow(item) {
  const li = document.createElement("li");
  li.className = "list-group-item d-flex align-items-center gap-2 px-1";
  li.dataset.held = String(item.id);
  const text = document.createElement("div");
  text.className = "me-auto";
  const title = document.createElement("div");
  title.className = "fw-semibold";
  title.textContent = item.label || `Bill ${item.id}`;
  if (item.stale) {
    const badge = document.createElement("span");
    badge.className = "badge text-bg-warning ms-1";
    badge.dataset.stale = "1";
    badge.textContent = "older than today";
    title.append(badge);
  }
  const meta = document.createElement("div");
  meta.className = "text-body-secondary";
  const when = new Date(item.created_at).toLocaleString(cfg.locale, {
    dateStyle: "short",
    timeStyle: "short",
  });
  meta.textContent = `${item.items} ${item.items === 1 ? "item" : "items"} · ${when} · ${item.user}`;
  text.append(title, meta);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-sm btn-primary";
  button.textContent = "Recall";
  button.addEventListener("click", () => recallHeld(item.id));
  li.append(text, button);
  return li;
}

function renderHeld(items) {
  heldEl.count.textContent = String(items.length);
  heldEl.count.className = `badge rounded-pill ${
    items.some((item) => item.stale) ? "text-bg-warning" : "text-bg-secondary"
  }`;
  heldEl.list.replaceChildren(...items.map(heldRow));
  heldEl.empty.hidden = items.length > 0;
}

async function loadHeld() {
  const result = await getJSON(cfg.heldUrl);
  if (result.ok) renderHeld(result.data.items);
  else heldMessage(result.message);
}

async function holdBill() {
  if (state.busy) return;
  if (!state.lines.length) {
    heldMessage("The bill is empty: there is nothing to hold.");
    showHeldPanel(true);
    return;
  }
  if (qtyErrors.size) {
    showCheckoutAlert("Fix the quantity marked in red first.", "checkout");
    return;
  }
  const label = window.prompt("Label for the held bill (optional):", state.customer?.name || "");
  if (label === null) {
    focusScan();
    return;
  }
  const result = await postJSON(cfg.heldUrl, { ...cartPayload(), label: label.trim() });
  if (!result.ok) {
    showCheckoutAlert(result.message, "checkout");
    return;
  }
  clearBill();
  heldMessage("");
  announce(`Bill held${result.data.label ? `: ${result.data.label}` : ""}. New bill started.`);
  await loadHeld();
  focusScan();
}

async function recallHeld(id) {
  if (state.busy) return;
  if (state.lines.length) {
    heldMessage("Hold or finish the current bill first.");
    return;
  }
  const result = await postJSON(`${cfg.heldUrl}/${id}/recall`, {});
  if (!result.ok) {
    heldMessage(result.message);
    await loadHeld();
    return;
  }
  const cart = result.data.cart;
  clearBill();
  state.lines = cart.lines.map((line) => ({
    product_id: line.product_id,
    code: line.code,
    name: line.name,
    unit: line.unit,
    price: line.price,
    quantity: line.quantity,
    stock: line.stock,
  }));
  for (const line of state.lines) {
    const [, error] = checkQuantity(line.quantity, line.unit);
    if (error) qtyErrors.set(line.product_id, error);
  }
  state.discount = typeof cart.discount === "string" ? cart.discount : "";
  el.billDiscount.value = state.discount;
  heldMessage("");
  showHeldPanel(false);
  save();
  reprice();
  if (cart.customer_id) await attachCustomer(cart.customer_id);
  announce(`Recalled ${cart.label || "the held bill"}.`);
  await loadHeld();
  focusScan();
}

heldEl.hold.addEventListener("click", () => holdBill());
heldEl.toggle.addEventListener("click", () => {
  const show = heldEl.panel.hidden;
  showHeldPanel(show);
  if (show) loadHeld();
});

// ---------------------------------------------------------------------------------------------
// Page-wide keys: F9 completes, F2 edits the last quantity, typing anywhere goes to the scan field.

document.addEventListener("keydown", (event) => {
  if (event.key === "F9") {
    event.preventDefault();
    completeSale();
    return;
  }
  if (event.key === "F4") {
    event.preventDefault();
    focusCustomerSearch();
    return;
  }
  if (event.key === "F6") {
    event.preventDefault();
    holdBill();
    return;
  }
  if (event.key === "F8") {
    event.preventDefault();
    restOnCredit();
    return;
  }
  if (event.key === "F2") {
    event.preventDefault();
    const id = state.lastTouched ?? state.lines.at(-1)?.product_id;
    const row = rows.get(id);
    if (row) row.qty.focus();
    return;
  }
  const active = document.activeElement;
  const typing = active && TYPING_FIELDS.has(active.tagName);
  if (!typing && event.key.length === 1 && !event.ctrlKey && !event.altKey && !event.metaKey) {
    focusScan(); // the keystroke lands in the scan field: a scanner never loses a digit
  }
});

window.addEventListener("focus", focusScanIfIdle);
document.addEventListener("click", (event) => {
  // A click on empty space gives the scan field its focus back.
  if (!event.target.closest("input, button, a, select, textarea, label, .suggestions")) {
    focusScanIfIdle();
  }
});

// ---------------------------------------------------------------------------------------------
// Start: restore a cart left by a reload, price it, focus the scan field.

restore();
el.billDiscount.value = state.discount;
el.tendered.value = state.tendered;
el.payCard.value = state.tenders.card;
el.payUpi.value = state.tenders.upi;
el.payCredit.value = state.tenders.credit;
renderCustomer();
refreshCustomer();
reprice();
loadHeld();
focusScan();
