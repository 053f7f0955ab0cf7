// The scan field: a code (typed or scanned) is looked up on Enter, in order; letters open a
// list of matching products to pick with the arrows and Enter.

import { getJSON } from "../lib/http.js";
import { moneyText, parseFixed } from "../lib/money.js";
import { addProduct } from "./cart.js";
import { focusScan, focusScanIfIdle, hideScanAlert, showScanAlert } from "./ui.js";

function lookupAndAdd(till, code) {
  const { state, cfg } = till;
  state.scanQueue = state.scanQueue.then(async () => {
    const result = await getJSON(`${cfg.lookupUrl}?code=${encodeURIComponent(code)}`);
    if (result.ok) {
      addProduct(till, result.data.product, result.data.quantity, result.data.scale_label);
    } else if (result.status === 404) {
      showScanAlert(till, result.message || `Unknown code: ${code}`);
    } else {
      showScanAlert(till, result.message);
    }
    focusScanIfIdle(till);
  });
  return state.scanQueue;
}

function closeSuggestions(till) {
  const { el } = till;
  const suggest = till.state.suggest;
  suggest.items = [];
  suggest.active = -1;
  el.suggestions.hidden = true;
  el.suggestions.replaceChildren();
  el.scan.setAttribute("aria-expanded", "false");
  el.scan.removeAttribute("aria-activedescendant");
}

function showSuggestions(till, items, query) {
  const { el, format } = till;
  const suggest = till.state.suggest;
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
    price.textContent = moneyText(product.price, format) + (product.unit === "pcs" ? "" : ` /${product.unit}`);
    const stock = document.createElement("span");
    const out = (parseFixed(product.stock, 3) ?? 0) <= 0;
    stock.className = `small suggestion-stock ${out ? "text-danger" : ""}`;
    stock.textContent = out ? "out of stock" : `${product.stock} ${product.unit} in stock`;
    side.append(price, stock);
    li.append(main, side);
    li.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the field
    li.addEventListener("click", () => pickSuggestion(till, index));
    el.suggestions.append(li);
  });
  el.suggestions.hidden = false;
  el.scan.setAttribute("aria-expanded", "true");
}

function highlight(till, index) {
  const { el } = till;
  const suggest = till.state.suggest;
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

function pickSuggestion(till, index) {
  const suggest = till.state.suggest;
  const product = suggest.items[index];
  if (!product) return;
  suggest.seq++;
  clearTimeout(suggest.timer);
  closeSuggestions(till);
  till.el.scan.value = "";
  addProduct(till, product, "1");
  focusScan(till);
}

async function fetchSuggestions(till, query, seq) {
  const url = `${till.cfg.searchUrl}?q=${encodeURIComponent(query)}&per_page=8`;
  const result = await getJSON(url);
  if (seq !== till.state.suggest.seq || till.el.scan.value.trim() !== query) return; // a newer keystroke won
  if (result.ok) showSuggestions(till, result.data.items, query);
  else closeSuggestions(till);
}

/** Listen to the scan field. */
export function bindScan(till) {
  const { el } = till;
  const suggest = till.state.suggest;

  el.scan.addEventListener("input", () => {
    clearTimeout(suggest.timer);
    const query = el.scan.value.trim();
    const seq = ++suggest.seq;
    // Digits only is a barcode being typed or scanned: no suggestions for those.
    if (!query || !/\D/.test(query)) {
      closeSuggestions(till);
      return;
    }
    suggest.timer = setTimeout(() => fetchSuggestions(till, query, seq), 120);
  });

  el.scan.addEventListener("keydown", (event) => {
    const open = !el.suggestions.hidden && suggest.items.length > 0;
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      highlight(till, suggest.active + 1);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlight(till, suggest.active < 0 ? suggest.items.length - 1 : suggest.active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (open && suggest.active >= 0) {
        pickSuggestion(till, suggest.active);
        return;
      }
      const code = el.scan.value.trim();
      suggest.seq++;
      clearTimeout(suggest.timer);
      closeSuggestions(till);
      el.scan.value = "";
      if (code) lookupAndAdd(till, code);
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (!el.suggestions.hidden) {
        suggest.seq++;
        closeSuggestions(till);
      } else if (el.scan.value) {
        el.scan.value = "";
      } else {
        hideScanAlert(till);
      }
    }
  });

  el.scan.addEventListener("blur", () => {
    // Let a click on a suggestion land first; then close the list.
    setTimeout(() => {
      if (document.activeElement !== el.scan) closeSuggestions(till);
    }, 150);
  });
}

// Takes over the codes queued by pos/early.js before this module ran (the classic script stops
// listening in the same turn, so no Enter falls between the two). Call before bindScan.
export function takeEarlyScans() {
  const take = window.tillTakeEarlyScans;
  return typeof take === "function" ? take() : [];
}

// Looks up the early codes in the order they were scanned, after the restored cart is in place.
export function replayScans(till, codes) {
  for (const code of codes) lookupAndAdd(till, code);
}
