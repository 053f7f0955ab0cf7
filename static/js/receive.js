// Receive stock: "Add line" clones an empty line; a scanner's Enter in a code field moves on.

import { t } from "./lib/i18n.js";

// The name each input of a line is read out with, for the line's number.
const LINE_LABELS = {
  code: (line) => t("receive.line.code", { line }),
  quantity: (line) => t("receive.line.quantity", { line }),
  unit_cost: (line) => t("receive.line.unit_cost", { line }),
  tax_rate: (line) => t("receive.line.tax_rate", { line }),
  expiry: (line) => t("receive.line.expiry", { line }),
  batch: (line) => t("receive.line.batch", { line }),
};

const form = document.querySelector("[data-receive-form]");

if (form) {
  const body = form.querySelector("#receive-lines tbody");
  form.querySelector("[data-add-line]")?.addEventListener("click", () => {
    const last = body.querySelector("tr[data-line]:last-of-type");
    const copy = last.cloneNode(true);
    const number = body.querySelectorAll("tr[data-line]").length + 1;
    copy.querySelectorAll("input").forEach((input) => {
      input.value = "";
      input.classList.remove("is-invalid");
      const label = LINE_LABELS[input.name];
      if (label) input.setAttribute("aria-label", label(number));

    });
    copy.querySelectorAll(".invalid-feedback").forEach((node) => node.remove());
    body.append(copy);
    copy.querySelector("input")?.focus();
  });
  form.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key === "Enter" && target.matches?.("[data-scan-target]")) {
      event.preventDefault();
      target.closest("tr").querySelector("[name=quantity]")?.focus();
    }
  });
}
