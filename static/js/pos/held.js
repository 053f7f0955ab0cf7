// Held bills: park the cart (F6) with an optional label, recall it later (also after a
// restart: they live on the server). A held cart keeps no stock aside; recalling removes it.

import { getJSON, postJSON } from "../lib/http.js";
import { t, tn } from "../lib/i18n.js";
import { cartPayload, checkQuantities, clearBill, reprice, save } from "./cart.js";
import { attachCustomer } from "./customer.js";
import { announce, focusScan, showCheckoutAlert } from "./ui.js";

function heldMessage(till, message) {
  till.el.heldAlert.textContent = message;
  till.el.heldAlert.hidden = !message;
}

function showHeldPanel(till, show) {
  till.el.heldPanel.hidden = !show;
  till.el.heldToggle.setAttribute("aria-expanded", String(show));
}

function heldRow(till, item) {
  const li = document.createElement("li");
  li.className = "list-group-item d-flex align-items-center gap-2 px-1";
  li.dataset.held = String(item.id);
  const text = document.createElement("div");
  text.className = "me-auto";
  const title = document.createElement("div");
  title.className = "fw-semibold";
  title.textContent = item.label || t("till.held.untitled", { id: item.id });
  if (item.stale) {
    const badge = document.createElement("span");
    badge.className = "badge text-bg-warning ms-1";
    badge.dataset.stale = "1";
    badge.textContent = t("till.held.stale");
    title.append(badge);
  }
  const meta = document.createElement("div");
  meta.className = "text-body-secondary";
  const when = new Date(item.created_at).toLocaleString(till.cfg.locale, {
    dateStyle: "short",
    timeStyle: "short",
  });
  meta.textContent = `${tn("common.items", item.items)} · ${when} · ${item.user}`;
  text.append(title, meta);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-sm btn-primary";
  button.textContent = t("till.held.recall");
  button.addEventListener("click", () => recallHeld(till, item.id));
  li.append(text, button);
  return li;
}

function renderHeld(till, items) {
  const { el } = till;
  el.heldCount.textContent = String(items.length);
  el.heldCount.className = `badge rounded-pill ${
    items.some((item) => item.stale) ? "text-bg-warning" : "text-bg-secondary"
  }`;
  el.heldList.replaceChildren(...items.map((item) => heldRow(till, item)));
  el.heldEmpty.hidden = items.length > 0;
}

export async function loadHeld(till) {
  const result = await getJSON(till.cfg.heldUrl);
  if (result.ok) renderHeld(till, result.data.items);
  else heldMessage(till, result.message);
}

/** F6: park the bill on the server under a label and start a new one. */
export async function holdBill(till) {
  const { state } = till;
  if (state.busy) return;
  if (!state.lines.length) {
    heldMessage(till, t("till.held.empty"));
    showHeldPanel(till, true);
    return;
  }
  if (state.qtyErrors.size) {
    showCheckoutAlert(till, t("till.bill.fix_quantity"), "checkout");
    return;
  }
  const label = window.prompt(t("till.held.label_prompt"), state.customer?.name || "");
  if (label === null) {
    focusScan(till);
    return;
  }
  const result = await postJSON(till.cfg.heldUrl, { ...cartPayload(till), label: label.trim() });
  if (!result.ok) {
    showCheckoutAlert(till, result.message, "checkout");
    return;
  }
  clearBill(till);
  heldMessage(till, "");
  announce(till, result.data.label ? t("till.held.held_as", { label: result.data.label }) : t("till.held.held"));
  // Focus first: the next customer's scan can start at once, and a key the cashier presses
  // while the list reloads (e.g. opening Held bills) is not taken back by a late focus.
  focusScan(till);
  await loadHeld(till);
}

async function recallHeld(till, id) {
  const { state, el } = till;
  if (state.busy) return;
  if (state.lines.length) {
    heldMessage(till, t("till.held.busy"));
    return;
  }
  const result = await postJSON(`${till.cfg.heldUrl}/${id}/recall`, {});
  if (!result.ok) {
    heldMessage(till, result.message);
    await loadHeld(till);
    return;
  }
  const cart = result.data.cart;
  clearBill(till);
  state.lines = cart.lines.map((line) => {
    const restored = {
      product_id: line.product_id,
      ...(line.scale_label ? { scale_label: line.scale_label } : {}),
      code: line.code,
      name: line.name,
      unit: line.unit,
      price: line.price,
      quantity: line.quantity,
      stock: line.stock,
    };
    // What F7 set (lineedit.js) comes back with the bill: the discount as an amount.
    if (line.discount) restored.discountText = line.discount;
    if (line.override_price) restored.override = line.override_price;
    return restored;
  });
  checkQuantities(till);
  state.discount = typeof cart.discount === "string" ? cart.discount : "";
  el.billDiscount.value = state.discount;
  heldMessage(till, "");
  showHeldPanel(till, false);
  save(till);
  reprice(till);
  if (cart.customer_id) await attachCustomer(till, cart.customer_id);
  announce(till, cart.label ? t("till.held.recalled_as", { label: cart.label }) : t("till.held.recalled"));
  await loadHeld(till);
  focusScan(till);
}

/** Listen to Hold and the held-bills toggle. */
export function bindHeld(till) {
  const { el } = till;
  el.hold.addEventListener("click", () => holdBill(till));
  el.heldToggle.addEventListener("click", () => {
    const show = el.heldPanel.hidden;
    showHeldPanel(till, show);
    if (show) loadHeld(till);
  });
}
