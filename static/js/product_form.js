// The product form: a scanner's Enter in the code field moves on instead of saving; tax presets;
// the scale PLU field shown for loose units.

const form = document.querySelector("[data-product-form]");

if (form) {
  const code = form.querySelector("[data-scan-target]");
  const name = form.querySelector("[name=name]");
  const tax = form.querySelector("[name=tax_rate]");

  // A USB scanner types the barcode and Enter: that must not save a half-filled form.
  code?.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      (name && !name.value ? name : form.querySelector("[name=price]"))?.focus();
    }
  });

  const presets = form.querySelectorAll("[data-tax-preset]");
  const markPreset = () => {
    const value = (tax?.value || "").trim().replace(/%$/, "");
    presets.forEach((button) => {
      const on = button.dataset.taxPreset === value;
      button.classList.toggle("active", on);
      button.setAttribute("aria-pressed", String(on));
    });
  };
  presets.forEach((button) =>
    button.addEventListener("click", () => {
      if (!tax) return;
      tax.value = button.dataset.taxPreset;
      markPreset();
      tax.dispatchEvent(new Event("change", { bubbles: true }));
    }),
  );
  tax?.addEventListener("input", markPreset);
  markPreset();

  // The scale PLU is asked only for what a scale weighs (kg, g, l), or while it holds a value.
  const unit = form.querySelector("[name=unit]");
  const pluBox = form.querySelector("[data-scale-plu]");
  const plu = pluBox?.querySelector("[name=scale_plu]");
  const looseUnits = new Set(["kg", "g", "l"]);
  unit?.addEventListener("change", () => {
    if (pluBox) pluBox.hidden = !looseUnits.has(unit.value) && !plu?.value;
  });
}
