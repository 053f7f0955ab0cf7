// The receipt page: size the printed page to the receipt, print on arrival when asked
// (?print=1); Enter prints, Esc starts a new sale.

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

if (page) {
  const printButton = document.getElementById("print-receipt");
  const newSale = document.getElementById("new-sale");

  fitPageToReceipt();
  window.addEventListener("beforeprint", fitPageToReceipt);
  printButton?.addEventListener("click", () => window.print());

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && newSale) {
      event.preventDefault();
      window.location.assign(newSale.href);
    }
  });

  if (page.dataset.autoprint === "1") {
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
