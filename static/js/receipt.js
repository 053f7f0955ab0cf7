// The receipt page: size the printed page to the receipt, print on arrival when asked
// (?print=1); Enter prints, Esc starts a new sale (on a sale's receipt, receipt_scan.js also
// turns a scan into the next sale). With an ESC/POS receipt printer set up, a fresh sale's
// receipt goes to that printer instead (automatic printing on) and the cash drawer opens for a
// cash sale (when set); the server decides and audits, once per sale.

import { send } from "./lib/http.js";
import { t } from "./lib/i18n.js";

const page = document.querySelector("[data-receipt]");

/** Make the printed page exactly as long as the receipt, so a roll printer cuts right after it. */
function fitPageToReceipt() {
  const widthMm = Number(page.dataset.widthMm) || 80;
  const heightMm = Math.ceil((page.getBoundingClientRect().height * 25.4) / 96) + 4;
  let style = document.getElementById("receipt-page-size");
  if (!style) {
    style = document.createElement("style");
    style.id = "receipt-page-size";
    document.head.append(style);
  }
  style.textContent = `@page { size: ${widthMm}mm ${heightMm}mm; margin: 0; }`;
}

/** Send the receipt to the ESC/POS printer and say what happened; resolves to "printed". */
async function escposPrint(afterSale) {
  let ok = false;
  let printed = false;
  let message = "";
  try {
    const response = await send(page.dataset.escposUrl, {
      method: "POST",
      headers: { Accept: "application/json" },
      json: { after_sale: afterSale, duplicate: page.dataset.duplicate === "1" },
    });
    const body = await response.json().catch(() => ({}));
    ok = response.ok;
    printed = ok && body.printed === true;
    if (!ok) message = body.error?.message || t("receipt.printer_failed", { status: response.status });
    else if (body.printed || body.drawer || !afterSale) message = body.message;
  } catch {
    message = t("receipt.no_answer");
  }
  const status = document.getElementById("escpos-status");
  if (status && message) {
    status.textContent = ok ? message : t("receipt.print_instead", { message });
    status.classList.remove("d-none", "alert-success", "alert-danger");
    status.classList.add(ok ? "alert-success" : "alert-danger");
  }
  return printed;
}

if (page) {
  const printButton = document.getElementById("print-receipt");
  const escposButton = document.getElementById("escpos-print");
  const newSale = document.getElementById("new-sale");
  escposButton?.addEventListener("click", () => escposPrint(false));

  fitPageToReceipt();
  window.addEventListener("beforeprint", fitPageToReceipt);
  printButton?.addEventListener("click", () => window.print());

  // Esc and the next scan are bound by receipt_scan.js, which runs before this module.

  const freshSale = page.dataset.autoprint === "1" && page.dataset.duplicate !== "1";
  const escposAuto = Boolean(page.dataset.escposUrl) && page.dataset.escposAuto === "1";
  const escposDrawer = Boolean(page.dataset.escposUrl) && page.dataset.escposDrawer === "1";
  if (freshSale && escposAuto) {
    // The thermal printer prints it; no browser print dialog in the cashier's way.
    escposPrint(true).finally(() => newSale?.focus());
  } else if (page.dataset.autoprint === "1") {
    if (freshSale && escposDrawer) escposPrint(true);
    // After the automatic print the next keystroke most likely starts the next sale.
    window.addEventListener("afterprint", () => newSale?.focus(), { once: true });
    window.addEventListener(
      "load",
      () => {
        fitPageToReceipt();
        window.print();
      },
      { once: true },
    );
  } else {
    printButton?.focus();
  }
}
