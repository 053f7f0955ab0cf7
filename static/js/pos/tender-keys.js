// One key per tender and Enter to finish: F10 cash, F11 UPI, F12 card (F8, credit, lives in
// keys.js). A tender key focuses its field with the text selected, so the amount typed next
// replaces it; Enter in a tender field completes the sale once the typed amounts pay the
// total, and otherwise says how much is still to come and leaves the cashier where they are.

import { formatMoney, parseFixed } from "../lib/money.js";
import { t } from "../lib/i18n.js";
import { completeSale } from "./payments.js";
import { readTenders } from "./tenders.js";

/** The tender keys and the element (in till.el) each one focuses. */
const TENDER_KEYS = new Map([
  ["F10", "tendered"],
  ["F11", "payUpi"],
  ["F12", "payCard"],
]);

/** Focus a tender field with its content selected (typing then replaces the amount). */
export function focusTender(till, name) {
  const field = till.el[name];
  if (!field || field.disabled) return;
  field.focus();
  field.select();
}

/**
 * What the typed amounts leave unpaid, in paise (0 when paid), or null when the till cannot
 * tell (no priced total yet, an amount it cannot read): then checkout itself says why.
 * An empty cash field counts as nothing, except when Enter is pressed in it: "Exact amount"
 * is what it offers, so cash then pays whatever the other tenders leave.
 */
export function amountToGo(till, inCashField) {
  const { state } = till;
  const total = state.priced ? parseFixed(state.priced.total, 2) : null;
  if (total === null) return null;
  const tenders = readTenders(
    { tenders: state.tenders, tendered: state.tendered, hasCustomer: Boolean(state.customer) },
    total,
  );
  if (tenders.error) return null;
  const cashTyped = state.tendered.trim() !== "";
  if (cashTyped && tenders.cash === null) return null;
  if (!cashTyped && inCashField) return 0;
  return Math.max(0, total - tenders.other - (tenders.cash ?? 0));
}

function showDue(till, paise) {
  const due = till.el.tenderDue;
  due.textContent = t("till.pay.not_paid", { amount: formatMoney(paise, till.format) });
  due.hidden = false;
}

function hideDue(till) {
  till.el.tenderDue.hidden = true;
  till.el.tenderDue.textContent = "";
}

/** Enter in a tender field: complete when paid, else say what is missing and stay. */
export async function enterInTender(till, field) {
  const { state } = till;
  if (state.busy) return;
  if (state.lines.length) {
    // The total must be the one for the whole cart: a scan or a reprice may be in flight.
    await state.scanQueue;
    await state.pricing;
  }
  const toGo = state.lines.length ? amountToGo(till, field === till.el.tendered) : null;
  if (toGo !== null && toGo > 0) {
    showDue(till, toGo);
    field.focus();
    return;
  }
  hideDue(till);
  await completeSale(till);
}

/** Listen for the tender keys on the page and for Enter in each tender field. */
export function bindTenderKeys(till) {
  const { el } = till;
  document.addEventListener("keydown", (event) => {
    const name = TENDER_KEYS.get(event.key);
    if (!name || event.ctrlKey || event.altKey || event.metaKey) return;
    // F11 (full screen), F12 (developer tools) and F10 (the menu bar on Windows) are the
    // browser's keys otherwise; on the till they are tenders.
    event.preventDefault();
    focusTender(till, name);
  });

  const fields = [el.tendered, el.payUpi, el.payCard, el.payCredit];
  for (const field of fields) {
    field.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || event.isComposing) return;
      event.preventDefault();
      enterInTender(till, field);
    });
    field.addEventListener("input", () => hideDue(till));
  }
  // A changed total makes the note's figure stale.
  new MutationObserver(() => hideDue(till)).observe(el.total, {
    childList: true,
    characterData: true,
    subtree: true,
  });
}
