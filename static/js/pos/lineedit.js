// F7: the selected line's discount (an amount, or a percent of the line) and unit price, in a
// small dialog driven by the keyboard (Tab between the two, Enter applies, Esc cancels). The
// server prices and checks them like every cart; limits and approvals are its business.

import { checkDiscount, formatFixed, parseFixed } from "../lib/money.js";
import { t } from "../lib/i18n.js";
import { findLine, reprice, save } from "./cart.js";
import { focusScan } from "./ui.js";

/** The line's discount as the amount the API takes ("12.50"), or null for none. */
export function lineDiscountAmount(line) {
  const raw = String(line.discountText ?? "").trim();
  if (!raw || checkDiscount(raw)) return null;
  if (!raw.endsWith("%")) return formatFixed(parseFixed(raw, 2), 2);
  // A percent follows the line: worked out from its price and quantity as they are now, in
  // integers (paise × thousandths), rounded half up as the server rounds a line's gross.
  const bp = parseFixed(raw.slice(0, -1).trim(), 2);
  const unit = parseFixed(line.override ?? line.price, 2);
  const qty = parseFixed(line.quantity, 3);
  if (bp === null || unit === null || qty === null) return null;
  const gross = Math.floor((unit * qty + 500) / 1000);
  return formatFixed(Math.floor((gross * bp + 5000) / 10000), 2);
}

/** Open the editor on the line touched last (or the last line). */
export function editLine(till) {
  const { state } = till;
  const id = state.lastTouched ?? state.lines.at(-1)?.product_id;
  const line = id === undefined ? null : findLine(till, id);
  if (!line || state.busy) return;
  const dialog = document.getElementById("line-dialog");
  const form = document.getElementById("line-form");
  const discount = document.getElementById("line-discount");
  const price = document.getElementById("line-price");
  const error = document.getElementById("line-error");
  const cancel = document.getElementById("line-cancel");
  document.getElementById("line-name").textContent = `${line.name} · ${line.quantity} ${line.unit}`;
  discount.value = line.discountText ?? "";
  price.value = line.override ?? line.price;
  error.textContent = "";

  const finish = () => {
    form.removeEventListener("submit", onSubmit);
    dialog.removeEventListener("cancel", onCancel);
    cancel.removeEventListener("click", onCancel);
    if (dialog.open) dialog.close();
    focusScan(till);
  };
  const onCancel = (event) => {
    event.preventDefault();
    finish();
  };
  const onSubmit = (event) => {
    event.preventDefault();
    const discountText = discount.value.trim();
    const discountError = checkDiscount(discountText);
    if (discountError) {
      error.textContent = discountError;
      discount.focus();
      return;
    }
    const priceMinor = parseFixed(price.value.trim(), 2);
    if (priceMinor === null || priceMinor < 0) {
      error.textContent = t("till.line.price_format");
      price.focus();
      return;
    }
    const newPrice = formatFixed(priceMinor, 2);
    if (newPrice === formatFixed(parseFixed(line.price, 2), 2)) delete line.override;
    else line.override = newPrice;
    if (discountText) line.discountText = discountText;
    else delete line.discountText;
    save(till);
    reprice(till);
    finish();
  };
  form.addEventListener("submit", onSubmit);
  dialog.addEventListener("cancel", onCancel);
  cancel.addEventListener("click", onCancel);
  dialog.showModal();
  discount.focus();
  discount.select();
}
