// The till's one state object: the page's settings and elements, and everything that changes
// while the cashier works. Every pos/ module receives it as its first argument, so no module
// keeps mutable state of its own and the entry (pos.js) decides what exists.

import { moneyFormat } from "../lib/money.js";

/** Look up the till page's elements once; every id here is in templates/pos/index.html. */
function elements() {
  const $ = (id) => document.getElementById(id);
  return {
    scan: $("scan"),
    suggestions: $("suggestions"),
    scanAlert: $("scan-alert"),
    scanPrefix: $("scan-prefix"),
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
    tenderDue: $("tender-due"),
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
    // Held bills (F6)
    hold: $("hold-bill"),
    heldToggle: $("held-toggle"),
    heldCount: $("held-count"),
    heldPanel: $("held-panel"),
    heldList: $("held-list"),
    heldEmpty: $("held-empty"),
    heldAlert: $("held-alert"),
  };
}

/** A list being searched as the cashier types (products in the scan field, customers). */
const finder = () => ({ items: [], active: -1, seq: 0, timer: null, query: "", pending: null });

/**
 * Build the till from its root element (#till, whose data-* attributes carry the URLs, the
 * shop's currency and locale, and the user whose cart this tab keeps).
 */
export function createTill(root) {
  const cfg = root.dataset;
  return {
    cfg,
    el: elements(),
    format: moneyFormat(cfg.locale, cfg.currency),
    storageKey: `tillbook.cart.${cfg.user}`,
    state: {
      // The bill (kept in sessionStorage so a reload does not lose it).
      lines: [], // {product_id, code, name, unit, price, quantity, stock}
      discount: "",
      tendered: "",
      tenders: { card: "", upi: "", credit: "" }, // the other parts of a split payment
      upi: { tr: "", reference: "", amount: null, received: false }, // the UPI QR (pos/upi.js)
      customer: null, // {id, name, phone, phone_display, balance, available_credit}
      // The server's prices.
      priced: null, // the server's answer for exactly the current cart, or null while pending
      shown: null, // the last answer shown (kept, dimmed, while a new one is on its way)
      priceError: null, // {message, fields}
      priceSeq: 0, // numbers the price requests: only the newest answer counts
      pricing: Promise.resolve(), // the price request in flight (checkout waits for it)
      // The page.
      qtyErrors: new Map(), // product_id -> message (client-side validation)
      rows: new Map(), // product_id -> the cart row's elements
      lastTouched: null, // product_id of the line scanned or edited last
      busy: false, // a checkout is in flight
      scanQueue: Promise.resolve(), // scans are looked up one after another, in order
      scanPrefix: null, // thousandths typed as "3*", waiting for the item to scan
      suggest: finder(), // products matching what is typed in the scan field
      customerFind: finder(), // customers matching the customer search
      discountTimer: null, // the bill discount reprices once typing pauses
      audio: null, // the AudioContext for the error beep, made on first use
      display: null, // the customer display's publisher (pos/display.js)
    },
  };
}
