// The scan field: a code (typed or scanned) is looked up on Enter, in order; letters open a
// list of matching products, and Enter adds the highlighted one (the first if none is).
// "3*" before a code or a name adds 3 (see pos/scantext.js for the rules of the text).
// An order's number ("ORD-12", from its packing slip's QR) opens that order. The order form
// uses this module too: its state object brings its own `addProduct` and `openOrder`.

import { getJSON } from "../lib/http.js";
import { t } from "../lib/i18n.js";
import { moneyText, parseFixed } from "../lib/money.js";
import { addProduct } from "./cart.js";
import { orderNumber, prefixedQuantity, prefixHint, readScanText } from "./scantext.js";
import { focusScan, focusScanIfIdle, hideScanAlert, showScanAlert } from "./ui.js";

/** Show (or hide, with null) the quantity waiting for its item. */
function setPrefix(till, milli) {
  till.state.scanPrefix = milli;
  const hint = till.el.scanPrefix;
  if (!hint) return;
  hint.textContent = milli === null ? "" : prefixHint(milli);
  hint.hidden = milli === null;
}

/**
 * Something the cashier cannot add: say so and put what they typed back in the field,
 * selected, to correct it — unless they have already started typing or scanning the next
 * thing (that is never overwritten).
 */
function refuse(till, message, typed, prefix) {
  const { el, state } = till;
  showScanAlert(till, message);
  if (el.scan.value === "") {
    el.scan.value = typed;
    if (prefix !== null && state.scanPrefix === null && !/[*×]/.test(typed)) setPrefix(till, prefix);
    focusScanIfIdle(till);
    if (document.activeElement === el.scan) el.scan.select();
  }
}

/** Add a product with the quantity its code carries, times the prefix (if any); `pack` is a
 * GS1 code's batch and expiry ({batch, expiry, expired}), or null. */
function addWithPrefix(till, product, scanned, prefix, typed, scaleLabel = null, pack = null) {
  const [quantity, error] = prefixedQuantity(prefix, scanned, product, Boolean(scaleLabel));
  if (error) {
    refuse(till, error, typed, prefix);
    return;
  }
  (till.addProduct ?? addProduct)(till, product, quantity, scaleLabel, pack);
}

/** An order's number: open the order (the till), or whatever the page's own `openOrder` does. */
function openOrder(till, number, typed) {
  if (till.openOrder) {
    till.openOrder(number, typed);
    return;
  }
  const url = till.cfg.orderFindUrl;
  if (!url) {
    refuse(till, t("till.scan.order_number", { number }), typed, null);
    return;
  }
  window.location.assign(`${url}?number=${encodeURIComponent(number)}`);
}

/** The batch and expiry a GS1 code carried, or null for an ordinary code. */
function packOf(data) {
  if (!data.batch && !data.expiry) return null;
  return { batch: data.batch, expiry_label: data.expiry_label, expired: data.expired === true };
}

/** The products matching `query` (the suggestion search), or null when the search failed. */
function searchFor(till, query) {
  const suggest = till.state.suggest;
  if (suggest.pending?.query === query) return suggest.pending.promise;
  const url = `${till.cfg.searchUrl}?q=${encodeURIComponent(query)}&per_page=8`;
  const promise = getJSON(url).then((result) => (result.ok ? result.data.items : null));
  suggest.pending = { query, promise };
  promise.finally(() => {
    if (suggest.pending?.promise === promise) suggest.pending = null;
  });
  return promise;
}

/**
 * Enter in the scan field (or a scan queued before the page started): work out what the text
 * names, in the order things were entered. `shown` is the suggestion list on screen for this
 * very text ({items, active}), if any.
 */
export function submitScan(till, typed, shown = null) {
  const { state } = till;
  const read = readScanText(typed);
  if (read.kind === "empty") return state.scanQueue;
  if (read.kind === "error") {
    refuse(till, read.message, typed, null);
    return state.scanQueue;
  }
  if (read.kind === "prefix") {
    setPrefix(till, read.milli);
    hideScanAlert(till); // the cashier has moved on from the last refusal
    return state.scanQueue;
  }
  const order = read.milli === null ? orderNumber(read.text) : null;
  if (order) {
    setPrefix(till, null);
    state.scanQueue = state.scanQueue.then(() => openOrder(till, order, typed));
    return state.scanQueue;
  }
  // A prefix typed with the item wins over one waiting from before; either is used up here.
  const prefix = read.milli ?? state.scanPrefix;
  setPrefix(till, null);
  const { text } = read;
  const picked = shown && shown.active >= 0 ? shown.items[shown.active] : null;
  state.scanQueue = state.scanQueue.then(async () => {
    if (picked) {
      addWithPrefix(till, picked, "1", prefix, typed);
    } else if (read.code) {
      await addCode(till, text, typed, prefix, shown);
    } else {
      await addByName(till, text, typed, prefix, shown);
    }
    focusScanIfIdle(till);
  });
  return state.scanQueue;
}

/** A code: exactly that code (or a scale label) first; a code with letters may also be the
 * start of one ("R-1") or a name ("7up"), so the top suggestion comes next. */
async function addCode(till, code, typed, prefix, shown) {
  const result = await getJSON(`${till.cfg.lookupUrl}?code=${encodeURIComponent(code)}`);
  if (result.ok) {
    const { data } = result;
    addWithPrefix(till, data.product, data.quantity, prefix, typed, data.scale_label, packOf(data));
    return;
  }
  if (result.status !== 404) {
    refuse(till, result.message, typed, prefix);
    return;
  }
  if (/\D/.test(code)) {
    const items = shown ? shown.items : await searchFor(till, code);
    if (items?.length) {
      addWithPrefix(till, items[0], "1", prefix, typed);
      return;
    }
  }
  refuse(till, t("till.scan.unknown", { code }), typed, prefix);
}

/** Words: the top suggestion (waiting for the search when it is still on its way); when
 * nothing matches, the words may still be a shop's own code made of letters. */
async function addByName(till, words, typed, prefix, shown) {
  const items = shown ? shown.items : await searchFor(till, words);
  if (items === null) {
    refuse(till, t("till.scan.search_failed"), typed, prefix);
    return;
  }
  if (items.length) {
    addWithPrefix(till, items[0], "1", prefix, typed);
    return;
  }
  const result = await getJSON(`${till.cfg.lookupUrl}?code=${encodeURIComponent(words)}`);
  if (result.ok) addWithPrefix(till, result.data.product, result.data.quantity, prefix, typed);
  else if (result.status === 404) refuse(till, t("till.scan.not_found", { query: words }), typed, prefix);
  else refuse(till, result.message, typed, prefix);
}

function closeSuggestions(till) {
  const { el } = till;
  const suggest = till.state.suggest;
  suggest.items = [];
  suggest.query = "";
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
  suggest.query = query;
  suggest.active = -1;
  el.suggestions.replaceChildren();
  if (!items.length) {
    const li = document.createElement("li");
    li.className = "list-group-item text-body-secondary small";
    li.textContent = t("till.scan.no_match", { query });
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
    // What is free to sell: on hand less what confirmed orders hold (`available`), when the
    // search tells it.
    const reserved = product.available !== undefined && product.available !== product.stock;
    const free = reserved ? product.available : product.stock;
    const out = (parseFixed(free, 3) ?? 0) <= 0;
    stock.className = `small suggestion-stock ${out ? "text-danger" : ""}`;
    const amount = { stock: free, unit: product.unit };
    if (reserved) stock.textContent = out ? t("till.suggest.all_held") : t("till.suggest.available", amount);
    else stock.textContent = out ? t("till.suggest.out") : t("till.suggest.in_stock", amount);
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
  const { el, state } = till;
  const suggest = state.suggest;
  if (!suggest.items[index]) return;
  const typed = el.scan.value;
  const shown = { items: suggest.items, active: index };
  suggest.seq++;
  clearTimeout(suggest.timer);
  closeSuggestions(till);
  el.scan.value = "";
  submitScan(till, typed, shown);
  focusScan(till);
}

async function fetchSuggestions(till, query, seq) {
  const items = await searchFor(till, query);
  const current = readScanText(till.el.scan.value);
  if (seq !== till.state.suggest.seq || current.text !== query) return; // a newer keystroke won
  if (items) showSuggestions(till, items, query);
  else closeSuggestions(till);
}

/** Listen to the scan field. */
export function bindScan(till) {
  const { el } = till;
  const suggest = till.state.suggest;

  el.scan.addEventListener("input", () => {
    clearTimeout(suggest.timer);
    const read = readScanText(el.scan.value);
    const seq = ++suggest.seq;
    // Digits only (a barcode being typed or scanned) and a bare "3*" get no suggestions;
    // anything with a letter does, for the text after any "3*".
    if (read.kind !== "item" || !/\D/.test(read.text)) {
      closeSuggestions(till);
      return;
    }
    suggest.timer = setTimeout(() => fetchSuggestions(till, read.text, seq), 120);
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
      if (event.isComposing) return;
      event.preventDefault();
      const typed = el.scan.value;
      const read = readScanText(typed);
      // The list on screen counts only if it answers exactly this text: Enter takes its
      // highlighted row; without one, a code is looked up exactly first, words take the top row.
      const shown =
        !el.suggestions.hidden && read.kind === "item" && suggest.query === read.text
          ? { items: suggest.items, active: suggest.active }
          : null;
      suggest.seq++;
      clearTimeout(suggest.timer);
      closeSuggestions(till);
      el.scan.value = "";
      submitScan(till, typed, shown);
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (!el.suggestions.hidden) {
        suggest.seq++;
        closeSuggestions(till);
      } else if (el.scan.value) {
        el.scan.value = "";
      } else if (till.state.scanPrefix !== null) {
        setPrefix(till, null);
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
  for (const code of codes) submitScan(till, code);
}
