// The invoice page's return form: "Back on the shelf" follows the lines the cashier chooses
// (unticked once a perishable line is chosen) until the cashier ticks or unticks it; from then
// on their choice stands, also when the form comes back with an error (restock_touched).

import { isChosen, shelfTicked } from "./lib/restock.js";

const form = document.querySelector("[data-return-form]");
const box = form?.querySelector("[data-restock]");
const touched = form?.querySelector("[data-restock-touched]");

if (form && box && touched) {
  const lines = () =>
    [...form.querySelectorAll("tbody tr")].map((row) => {
      const input = row.querySelector("input[name^='qty-']");
      const returnable = Boolean(input) && !input.disabled;
      return {
        returnable,
        chosen: returnable && isChosen(input.value),
        perishable: row.hasAttribute("data-perishable"),
      };
    });
  const follow = () => {
    if (touched.value !== "1") box.checked = shelfTicked(lines());
  };
  // Setting `checked` from a script fires no change event: only the cashier's own click or
  // Space lands here.
  box.addEventListener("change", () => {
    touched.value = "1";
  });
  form.addEventListener("input", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.name.startsWith("qty-")) follow();
  });
  follow();
}
