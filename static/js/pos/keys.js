// Page-wide keys: F9 completes, F4 finds a customer, F6 holds, F8 puts the rest on credit,
// F2 edits the last quantity; typing anywhere else goes to the scan field.

import { lineKey } from "./cart.js";
import { focusCustomerSearch } from "./customer.js";
import { holdBill } from "./held.js";
import { editLine } from "./lineedit.js";
import { completeSale, restOnCredit } from "./payments.js";
import { focusScan, focusScanIfIdle, TYPING_FIELDS } from "./ui.js";

/** The function keys and what they do. */
const FUNCTION_KEYS = new Map([
  ["F9", completeSale],
  ["F4", focusCustomerSearch],
  ["F6", holdBill],
  ["F8", restOnCredit],
  ["F2", editLastQuantity],
  ["F7", editLine],
]);

function editLastQuantity(till) {
  const { state } = till;
  const last = state.lines.at(-1);
  const id = state.lastTouched ?? (last ? lineKey(last) : undefined);
  const row = state.rows.get(id);
  if (row) row.qty.focus();
}

/** Listen on the whole page (keys, window focus, clicks on empty space). */
export function bindKeys(till) {
  document.addEventListener("keydown", (event) => {
    // The approval dialog is modal: the bill's keys wait until it is closed.
    if (document.querySelector("dialog[open]")) return;
    const action = FUNCTION_KEYS.get(event.key);
    if (action) {
      event.preventDefault();
      action(till);
      return;
    }
    const active = document.activeElement;
    const typing = active && TYPING_FIELDS.has(active.tagName);
    if (!typing && event.key.length === 1 && !event.ctrlKey && !event.altKey && !event.metaKey) {
      focusScan(till); // the keystroke lands in the scan field: a scanner never loses a digit
    }
  });

  window.addEventListener("focus", () => focusScanIfIdle(till));
  document.addEventListener("click", (event) => {
    // A click on empty space gives the scan field its focus back.
    if (!event.target.closest("input, button, a, select, textarea, label, .suggestions")) {
      focusScanIfIdle(till);
    }
  });
}
