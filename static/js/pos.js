// The till: a scan-first cart priced by the server, cash change, and checkout with F9.
//
// This entry builds the one state object (pos/till.js), hands it to each part's listeners and
// starts the page. Money never passes through a float: see lib/money.js.

import { bindCamera } from "./pos/camera.js";
import { restore, reprice } from "./pos/cart.js";
import { bindCustomer, refreshCustomer, renderCustomer } from "./pos/customer.js";
import { bindDisplay } from "./pos/display.js";
import { bindHeld, loadHeld } from "./pos/held.js";
import { bindKeys } from "./pos/keys.js";
import { bindPayments } from "./pos/payments.js";
import { bindScan, replayScans, takeEarlyScans } from "./pos/scan.js";
import { bindTenderKeys } from "./pos/tender-keys.js";
import { createTill } from "./pos/till.js";
import { focusScan } from "./pos/ui.js";
import { bindUpi } from "./pos/upi.js";

/**
 * A code scanned on the receipt page after the last sale arrives as `?scan=CODE`: it is the
 * next bill's first item. The address is put back without it, so a reload does not add it again.
 */
function scanFromAddress() {
  const url = new URL(window.location.href);
  const code = (url.searchParams.get("scan") || "").trim().slice(0, 100);
  if (!url.searchParams.has("scan")) return [];
  url.searchParams.delete("scan");
  window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
  return code ? [code] : [];
}

const till = createTill(document.getElementById("till"));
const { state, el } = till;

const early = [...scanFromAddress(), ...takeEarlyScans()];
bindScan(till);
bindPayments(till);
bindCustomer(till);
bindHeld(till);
bindKeys(till);
bindUpi(till); // before bindTenderKeys: the UPI field's Enter shows the QR first
bindTenderKeys(till);
bindCamera(till);
bindDisplay(till);

// Start: restore a cart left by a reload, price it, focus the scan field.
restore(till);
el.billDiscount.value = state.discount;
el.tendered.value = state.tendered;
el.payCard.value = state.tenders.card;
el.payUpi.value = state.tenders.upi;
el.payCredit.value = state.tenders.credit;
renderCustomer(till);
refreshCustomer(till);
reprice(till);
replayScans(till, early);
loadHeld(till);
focusScan(till);
