// The order form (templates/orders/form.html): items are added with the till's own scan field
// (pos/scan.js: codes, names with suggestions, "3*" prefixes, scale labels; the camera through
// pos/camera.js), each as a row of the form with its quantity; the customer is found by phone
// as it is typed. The form posts like any other, so the server re-shows it with its messages
// when something is wrong.
//
// Keyboard: Enter in the scan field adds, Enter in another field goes to the next one, and
// Ctrl+Enter saves the order. User text only ever goes through textContent.

import { getJSON } from "./lib/http.js";
import { t } from "./lib/i18n.js";
import { moneyFormat, moneyText, parseFixed, qtyString } from "./lib/money.js";
import { bindCamera } from "./pos/camera.js";
import { bindScan } from "./pos/scan.js";
import { focusScan, hideScanAlert, showScanAlert } from "./pos/ui.js";

const form = document.getElementById("order-form");
const $ = (id) => document.getElementById(id);
const lines = $("order-lines");
const empty = $("order-empty");
const phone = form.querySelector("[data-order-phone]");
const name = form.querySelector("[data-order-name]");
const found = $("customer-found");

/** A row's elements by product id (rows re-shown by the server included). */
function rowFor(productId) {
  return lines.querySelector(`tr[data-line="${CSS.escape(String(productId))}"]`);
}

function refreshEmpty() {
  empty.hidden = lines.rows.length > 0;
}

function cell(text, className = "") {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

/** What is free to promise: on hand less what other confirmed orders hold (`available`). */
function availableText(product) {
  const free = product.available ?? product.stock;
  return free === undefined ? "" : `${free} ${product.unit}`;
}

/** Add a product (pos/scan.js calls this as the till's `addProduct`): a new row, or more of
 * the row already there. A weighed package's label brings its own weight. */
function addProduct(till, product, quantity) {
  const scanned = parseFixed(quantity, 3) ?? 1000;
  const existing = rowFor(product.id);
  if (existing) {
    const input = existing.querySelector("input[name=quantity]");
    const current = parseFixed(input.value, 3);
    if (current === null) {
      showScanAlert(till, t("orders.form.fix_quantity", { name: product.name }));
      input.focus();
      return;
    }
    input.value = qtyString(current + scanned, product.unit);
  } else {
    const tr = document.createElement("tr");
    tr.dataset.line = String(product.id);
    const item = document.createElement("td");
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "product_id";
    hidden.value = String(product.id);
    const title = document.createElement("div");
    title.className = "fw-semibold";
    title.dataset.lineName = "";
    title.textContent = product.name;
    const code = document.createElement("div");
    code.className = "small text-body-secondary font-monospace";
    code.textContent = product.code;
    item.append(hidden, title, code);
    const qtyCell = document.createElement("td");
    const input = document.createElement("input");
    input.className = "form-control qty-input";
    input.name = "quantity";
    input.inputMode = "decimal";
    input.maxLength = 20;
    input.value = qtyString(scanned, product.unit);
    input.dataset.unit = product.unit;
    input.setAttribute("aria-label", t("orders.form.quantity_of", { name: product.name }));
    qtyCell.append(input);
    const removeCell = document.createElement("td");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "btn btn-sm btn-outline-danger";
    remove.dataset.removeLine = "";
    remove.setAttribute("aria-label", t("orders.form.remove", { name: product.name }));
    remove.textContent = "✕";
    removeCell.append(remove);
    tr.append(
      item,
      cell(moneyText(product.price, till.format), "text-end num d-none d-sm-table-cell"),
      cell(availableText(product), "text-end num small"),
      qtyCell,
      removeCell,
    );
    lines.append(tr);
  }
  hideScanAlert(till);
  refreshEmpty();
}

/** The state object pos/scan.js works on, with this page's elements and its own add. */
const till = {
  cfg: form.dataset,
  el: {
    scan: $("scan"),
    suggestions: $("suggestions"),
    scanAlert: $("scan-alert"),
    scanPrefix: $("scan-prefix"),
  },
  format: moneyFormat(form.dataset.locale, form.dataset.currency),
  addProduct,
  openOrder: (number, typed) =>
    showScanAlert(till, t("orders.form.order_number", { typed: typed.trim(), number })),
  state: {
    scanQueue: Promise.resolve(),
    scanPrefix: null,
    suggest: { items: [], active: -1, seq: 0, timer: null, query: "", pending: null },
    audio: null,
  },
};
bindScan(till);
bindCamera(till); // each code the camera reads goes through the same scan path

lines.addEventListener("click", (event) => {
  const button = event.target.closest("[data-remove-line]");
  if (!button) return;
  button.closest("tr").remove();
  refreshEmpty();
  focusScan(till);
});

// ------------------------------------------------------------------ pickup or delivery

function showDelivery() {
  const delivery = form.querySelector("input[name=fulfilment]:checked")?.value === "delivery";
  for (const part of form.querySelectorAll("[data-delivery-only]")) part.hidden = !delivery;
}
form.addEventListener("change", (event) => {
  if (event.target.name === "fulfilment") showDelivery();
});
showDelivery();

// ------------------------------------------------------------------ the customer by phone

let phoneSeq = 0;
let phoneTimer = null;

function digits(text) {
  return String(text ?? "").replace(/\D/g, "");
}

async function lookUpPhone() {
  const typed = digits(phone.value);
  const seq = ++phoneSeq;
  if (typed.length < 10) {
    found.hidden = true;
    name.disabled = false;
    return;
  }
  const result = await getJSON(`${form.dataset.customersUrl}?q=${encodeURIComponent(typed)}&per_page=5`);
  if (seq !== phoneSeq) return; // a newer keystroke won
  const match = result.ok ? result.data.items.find((c) => digits(c.phone).endsWith(typed.slice(-10))) : null;
  if (match) {
    found.textContent = t("orders.form.existing_customer", { name: match.name, phone: match.phone_display });
    found.hidden = false;
    name.value = "";
    name.disabled = true;
  } else {
    found.hidden = true;
    name.disabled = false;
  }
}

phone.addEventListener("input", () => {
  clearTimeout(phoneTimer);
  phoneTimer = setTimeout(lookUpPhone, 200);
});
if (phone.value) lookUpPhone();

// ------------------------------------------------------------------ keyboard

/** The fields Enter moves between, in the page's order (hidden and disabled ones skipped). */
function fields() {
  return [...form.querySelectorAll("input, select, textarea, button[type=submit]")].filter(
    (f) => f.type !== "hidden" && !f.disabled && f.offsetParent !== null,
  );
}

form.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.isComposing) return;
  const target = event.target;
  if (event.ctrlKey || event.metaKey) {
    event.preventDefault();
    form.requestSubmit();
    return;
  }
  // The scan field has its own Enter (pos/scan.js); a text area takes new lines; a button
  // is pressed.
  if (target === till.el.scan || target.tagName === "TEXTAREA" || target.tagName === "BUTTON") return;
  event.preventDefault();
  const all = fields();
  const next = all[all.indexOf(target) + 1];
  if (next) next.focus();
});

form.addEventListener("submit", () => {
  // A quantity left empty is a row the cashier meant to drop.
  for (const input of lines.querySelectorAll("input[name=quantity]")) {
    if (input.value.trim() === "") input.closest("tr").remove();
  }
});
