// The bill's lines: kept in sessionStorage across a reload, priced only by the server, drawn
// as rows updated in place (a quantity being typed is never replaced under the cashier's
// fingers). User text only ever goes through textContent.

import { postJSON } from "../lib/http.js";
import { t } from "../lib/i18n.js";
import { checkDiscount, checkQuantity, formatMoney, latinDigits, moneyText, parseFixed, qtyString } from "../lib/money.js";
import { editLine, lineDiscountAmount } from "./lineedit.js";
import { notePack, packText } from "./pack.js";
import { closeCustomerForm, closePaymentForm, renderCustomer } from "./customer.js";
import { renderChange, renderDiscount } from "./payments.js";
import { TENDER_METHODS } from "./tenders.js";
import {
  announce,
  focusScan,
  hideCheckoutAlert,
  hideScanAlert,
  showCheckoutAlert,
  showScanAlert,
} from "./ui.js";

// ---------------------------------------------------------------------------------------------
// Storage: this tab's bill survives a reload (and a trip to a payment receipt).

/** A line's key: its scale label (each weighed package is its own line), else its product. */
export function lineKey(line) {
  return typeof line.scale_label === "string" ? line.scale_label : line.product_id;
}

export function save(till) {
  const { state } = till;
  const data = {
    lines: state.lines,
    discount: state.discount,
    tendered: state.tendered,
    tenders: state.tenders,
    customer: state.customer,
  };
  try {
    sessionStorage.setItem(till.storageKey, JSON.stringify(data));
  } catch {
    /* storage full or disabled: the cart still works, it just does not survive a reload */
  }
}

export function restore(till) {
  const { state } = till;
  let data = null;
  try {
    data = JSON.parse(sessionStorage.getItem(till.storageKey) || "null");
  } catch {
    data = null;
  }
  if (!data || !Array.isArray(data.lines)) return;
  state.lines = data.lines.filter(
    (line) =>
      line &&
      Number.isInteger(line.product_id) &&
      typeof line.name === "string" &&
      (line.scale_label === undefined || /^[0-9]{13}$/.test(line.scale_label)),
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
  checkQuantities(till);
}

export function clearStorage(till) {
  try {
    sessionStorage.removeItem(till.storageKey);
  } catch {
    /* nothing to clear */
  }
}

/** Mark the lines whose quantity the page itself rejects (restored or recalled carts). */
export function checkQuantities(till) {
  for (const line of till.state.lines) {
    if (line.scale_label) continue; // the label's quantity is the server's
    const [, error] = checkQuantity(line.quantity, line.unit);
    if (error) till.state.qtyErrors.set(lineKey(line), error);
  }
}

// ---------------------------------------------------------------------------------------------
// Pricing: the server prices the cart; only the answer to the newest request is kept.

export function cartPayload(till) {
  const { state } = till;
  const payload = {
    items: state.lines.map((line) => {
      // A scale label goes back as it was scanned: the server reads quantity and price from it
      // (the quantity sent along is only what a held bill shows until it is priced again).
      const item = line.scale_label
        ? { product_id: line.product_id, scale_label: line.scale_label, quantity: line.quantity }
        : { product_id: line.product_id, quantity: line.quantity };
      // Set with F7 (lineedit.js): another unit price, a line discount.
      if (line.override) item.price = line.override;
      const discount = lineDiscountAmount(line);
      if (discount) item.discount = discount;
      return item;
    }),
  };
  // Typed ०-९ go to the server as 0-9 (what is sent stays Latin).
  if (state.discount.trim()) payload.discount = latinDigits(state.discount.trim());
  if (state.customer) payload.customer_id = state.customer.id;
  return payload;
}

/** Ask the server for the totals of the current cart; older answers are ignored. */
export function reprice(till) {
  const { state } = till;
  const seq = ++state.priceSeq;
  state.priced = null;
  state.priceError = null;
  if (!state.lines.length) {
    state.shown = null;
    render(till);
    state.pricing = Promise.resolve();
    return state.pricing;
  }
  if (state.qtyErrors.size || checkDiscount(state.discount)) {
    render(till);
    state.pricing = Promise.resolve();
    return state.pricing;
  }
  render(till);
  state.pricing = postJSON(till.cfg.priceUrl, cartPayload(till)).then((result) => {
    if (seq !== state.priceSeq) return;
    if (result.ok) {
      state.priced = result.data;
      state.shown = result.data;
    } else {
      state.priceError = { message: result.message, fields: result.details?.fields || {} };
    }
    render(till);
  });
  return state.pricing;
}

// ---------------------------------------------------------------------------------------------
// Rendering.

export function findLine(till, key) {
  return till.state.lines.find((line) => lineKey(line) === key);
}

function makeRow(till, line) {
  const tr = document.createElement("tr");
  tr.dataset.productId = String(line.product_id);
  if (line.scale_label) tr.dataset.scaleLabel = line.scale_label;
  tr.innerHTML = `
    <td class="col-idx text-body-secondary num"></td>
    <td class="col-item"><button type="button" tabindex="-1"
        class="item-name btn btn-link p-0 border-0 fw-semibold text-start text-reset text-decoration-none"></button>
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
  const id = lineKey(line);
  row.name.textContent = line.name;
  row.code.textContent = line.scale_label ? t("till.line.scale_label", { label: line.scale_label }) : line.code;
  // A weighed package's quantity is printed on its label: it is not typed over.
  row.qty.readOnly = Boolean(line.scale_label);
  row.unit.textContent = line.unit;
  row.qty.inputMode = line.unit === "pcs" ? "numeric" : "decimal";
  row.qty.setAttribute("aria-label", t("till.line.quantity_of", { name: line.name }));
  row.remove.setAttribute("aria-label", t("till.line.remove", { name: line.name }));
  row.remove.title = t("till.line.remove", { name: line.name });
  // A phone has no F7: tapping the item's name opens the same price / discount editor. It is
  // left out of the Tab order, which the keyboard keeps for the quantities and tenders.
  row.name.title = t("till.line.edit", { name: line.name });
  row.name.addEventListener("click", () => {
    till.state.lastTouched = id;
    editLine(till);
  });
  row.qty.addEventListener("change", () => commitQuantity(till, id, row.qty.value));
  row.qty.addEventListener("focus", () => row.qty.select());
  row.qty.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      commitQuantity(till, id, row.qty.value);
      focusScan(till);
    } else if (event.key === "Escape") {
      event.preventDefault();
      const current = findLine(till, id);
      if (current) row.qty.value = current.quantity;
      focusScan(till);
    }
  });
  row.remove.addEventListener("click", () => {
    removeLine(till, id);
    focusScan(till);
  });
  return row;
}

function renderRows(till) {
  const { state, el, format } = till;
  const { rows, priced } = state;
  const fieldErrors = state.priceError?.fields || {};
  const alive = new Set();

  state.lines.forEach((line, index) => {
    const id = lineKey(line);
    alive.add(id);
    let row = rows.get(id);
    if (!row) {
      row = makeRow(till, line);
      rows.set(id, row);
    }
    if (el.cartBody.children[index] !== row.tr) {
      el.cartBody.insertBefore(row.tr, el.cartBody.children[index] || null);
    }
    row.idx.textContent = String(index + 1);
    row.price.textContent =
      moneyText(line.override ?? line.price, format) + (line.unit === "pcs" ? "" : ` /${line.unit}`);
    row.price.classList.toggle("text-warning-emphasis", Boolean(line.override));
    if (document.activeElement !== row.qty) row.qty.value = line.quantity;

    const serverError = fieldErrors[`items.${index}.quantity`] || fieldErrors[`items.${index}`];
    const error = state.qtyErrors.get(id) || serverError || null;
    row.qty.classList.toggle("is-invalid", Boolean(error));
    if (error) row.qty.setAttribute("aria-invalid", "true");
    else row.qty.removeAttribute("aria-invalid");
    row.qtyError.textContent = error || "";

    // The server prices the lines in the cart's order (a product may be on several lines).
    const pricedLine = priced?.lines[index];
    if (line.scale_label && pricedLine && line.quantity !== pricedLine.quantity) {
      line.quantity = pricedLine.quantity;
      row.qty.value = line.quantity;
    }
    row.total.textContent = pricedLine ? moneyText(pricedLine.total, format) : "…";
    row.total.classList.toggle("text-body-secondary", !pricedLine);

    let note = "";
    let short = false;
    // Stock held for confirmed orders is not for the counter: the server's `available`.
    const held = pricedLine?.available !== undefined && pricedLine.available !== pricedLine.stock;
    const stock = pricedLine ? pricedLine.available ?? pricedLine.stock : line.stock;
    const stockWords = { stock, unit: line.unit };
    const qty = parseFixed(line.quantity, 3);
    const stockMilli = parseFixed(stock, 3);
    const warnings = [];
    if (qty !== null && stockMilli !== null && qty > stockMilli) {
      if (priced?.allow_negative_stock) {
        warnings.push(held ? t("till.line.below_zero_held", stockWords) : t("till.line.below_zero", stockWords));
      } else {
        note = held ? t("till.line.short_held", stockWords) : t("till.line.short", stockWords);
        short = true;
      }
    }
    const pack = packText(line);
    if (pack.warning) warnings.push(pack.warning);
    if (pricedLine?.expired) {
      warnings.push(t("till.line.expired_stock", { stock: pricedLine.expired, unit: line.unit }));
    }
    row.warn.textContent = warnings.join(" · ");
    row.warn.hidden = warnings.length === 0;
    if (pricedLine && parseFixed(pricedLine.discount, 2) > 0) {
      note = [note, t("till.line.discount", { amount: moneyText(pricedLine.discount, format) })].filter(Boolean).join(" · ");
    }
    if (pack.note) note = [note, pack.note].filter(Boolean).join(" · ");
    row.note.textContent = note;
    row.note.className = `item-note small ${short ? "text-warning-emphasis" : "text-body-secondary"}`;
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

function renderTotals(till) {
  const { state, el, format } = till;
  const shown = state.lines.length ? state.priced || state.shown : null;
  const zero = formatMoney(0, format);
  el.itemCount.textContent = String(state.lines.length);
  el.subtotal.textContent = shown ? moneyText(shown.subtotal, format) : zero;
  const discount = shown ? parseFixed(shown.discount_total, 2) : 0;
  el.discountTotal.textContent = discount ? `-${formatMoney(discount, format)}` : zero;
  el.taxTotal.textContent = shown ? moneyText(shown.tax_total, format) : zero;
  if (shown) el.taxLabel.textContent = shown.prices_include_tax ? t("till.totals.tax_included") : t("till.totals.tax");
  const roundOff = shown ? parseFixed(shown.round_off, 2) : 0;
  el.roundOffRow.hidden = !roundOff;
  el.roundOff.textContent = roundOff ? moneyText(shown.round_off, format) : "";
  el.total.textContent = shown ? moneyText(shown.total, format) : zero;
  const pending = state.lines.length > 0 && !state.priced;
  el.totals.parentElement.classList.toggle("is-stale", pending);
}

function renderPriceError(till) {
  const message = till.state.priceError?.message;
  if (message) showCheckoutAlert(till, message);
  else if (till.el.checkoutAlert.dataset.source === "price") hideCheckoutAlert(till);
}

/** Draw the whole bill from the state. */
export function render(till) {
  const { state, el } = till;
  renderRows(till);
  renderTotals(till);
  renderDiscount(till);
  renderChange(till);
  renderPriceError(till);
  el.complete.disabled = state.busy || state.lines.length === 0;
  el.newBill.disabled = state.busy;
}

// ---------------------------------------------------------------------------------------------
// Cart changes.

function touched(till, productId) {
  till.state.lastTouched = productId;
  const row = till.state.rows.get(productId);
  if (row) {
    row.tr.classList.remove("row-flash");
    void row.tr.offsetWidth; // restart the animation
    row.tr.classList.add("row-flash");
  }
}

/** Add a scanned or picked product (another scan of a line adds to its quantity); a scale
 * label is a line of its own. `pack` is a GS1 code's {batch, expiry, expired}: the line shows
 * the last one scanned, and stays marked once an expired pack was scanned onto it. */
export function addProduct(till, product, quantity, scaleLabel = null, pack = null) {
  const { state, el } = till;
  const scanned = parseFixed(quantity, 3) ?? 1000;
  const key = scaleLabel || product.id;
  const existing = findLine(till, key);
  if (existing && scaleLabel) {
    showScanAlert(till, t("till.scan.label_twice", { name: product.name }));
    return;
  }
  if (scaleLabel) {
    state.lines.push({
      product_id: product.id,
      scale_label: scaleLabel,
      code: product.code,
      name: product.name,
      unit: product.unit,
      price: product.price,
      quantity: qtyString(scanned, product.unit),
      stock: product.stock,
    });
  } else if (existing) {
    const current = state.qtyErrors.has(product.id) ? 0 : parseFixed(existing.quantity, 3) ?? 0;
    existing.quantity = qtyString(current + scanned, existing.unit);
    existing.stock = product.stock;
    existing.price = product.price;
    state.qtyErrors.delete(product.id);
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
  if (pack) notePack(till, findLine(till, key), pack);
  clearShortMark(till);
  hideScanAlert(till);
  if (el.checkoutAlert.dataset.source === "checkout") hideCheckoutAlert(till);
  save(till);
  reprice(till);
  touched(till, key);
  announce(till, `${product.name}: ${findLine(till, key).quantity} ${product.unit}`);
}

function commitQuantity(till, productId, text) {
  const { state } = till;
  const line = findLine(till, productId);
  if (!line) return;
  const raw = String(text).trim();
  const [milli, error] = checkQuantity(raw, line.unit);
  const next = error ? raw : qtyString(milli, line.unit);
  if (next === line.quantity && state.qtyErrors.get(productId) === (error || undefined)) return;
  line.quantity = next;
  if (error) state.qtyErrors.set(productId, error);
  else state.qtyErrors.delete(productId);
  state.lastTouched = productId;
  clearShortMark(till);
  if (!error) hideScanAlert(till); // a successful action clears an old "Unknown code"
  save(till);
  reprice(till);
}

function removeLine(till, productId) {
  const { state } = till;
  state.lines = state.lines.filter((line) => lineKey(line) !== productId);
  state.qtyErrors.delete(productId);
  if (state.lastTouched === productId) state.lastTouched = null;
  clearShortMark(till);
  hideScanAlert(till);
  hideCheckoutAlert(till);
  save(till);
  reprice(till);
}

/** Start a new bill: empty cart, no customer, no tenders, nothing kept in storage. */
export function clearBill(till) {
  const { state, el } = till;
  state.lines = [];
  state.discount = "";
  state.tendered = "";
  state.tenders = { card: "", upi: "", credit: "" };
  state.customer = null;
  state.lastTouched = null;
  state.qtyErrors.clear();
  el.billDiscount.value = "";
  el.tendered.value = "";
  el.payCard.value = "";
  el.payUpi.value = "";
  el.payCredit.value = "";
  closeCustomerForm(till);
  closePaymentForm(till);
  renderCustomer(till);
  hideScanAlert(till);
  hideCheckoutAlert(till);
  clearStorage(till);
  reprice(till);
}

/** Forget which line the last checkout found short of stock (the cart has changed). */
function clearShortMark(till) {
  for (const row of till.state.rows.values()) delete row.tr.dataset.short;
}
