// Print labels: find products by name and add them as lines; "Add line" and clear buttons;
// a scanner's Enter in a code field moves to its count. Without JS the form still works.

import { getJSON } from "./lib/http.js";
import { t } from "./lib/i18n.js";

const form = document.querySelector("[data-labels-form]");
const search = document.querySelector("[data-label-search]");

if (form) {
  const body = form.querySelector("#label-lines tbody");
  const lines = () => [...body.querySelectorAll("tr[data-line]")];

  // The names the inputs are read out with carry the line's number, in the page's language.
  const renumber = () =>
    lines().forEach((tr, index) => {
      const line = index + 1;
      tr.querySelector("[name=code]")?.setAttribute("aria-label", t("labels.line.code", { line }));
      tr.querySelector("[name=count]")?.setAttribute("aria-label", t("labels.line.count", { line }));
      tr.querySelector("[data-clear-line]")?.setAttribute("aria-label", t("labels.line.clear", { line }));
    });

  const clearLine = (tr) => {
    tr.querySelectorAll("input").forEach((input) => {
      input.value = "";
      input.classList.remove("is-invalid");
    });
    tr.querySelectorAll(".invalid-feedback").forEach((node) => node.remove());
    tr.querySelector("[data-name]").textContent = "";
  };

  const addLine = () => {
    const copy = lines().at(-1).cloneNode(true);
    clearLine(copy);
    body.append(copy);
    renumber();
    return copy;
  };

  const blankLine = () =>
    lines().find((tr) => !tr.querySelector("[name=code]").value.trim()) || addLine();

  for (const node of form.querySelectorAll("[data-add-line], [data-clear-line]")) node.hidden = false;
  form.querySelector("[data-add-line]").addEventListener("click", () => {
    addLine().querySelector("input")?.focus();
  });
  body.addEventListener("click", (event) => {
    const button = event.target.closest("[data-clear-line]");
    if (button) clearLine(button.closest("tr"));
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches?.("[data-scan-target]")) {
      event.preventDefault();
      const count = event.target.closest("tr").querySelector("[name=count]");
      if (!count.value.trim()) count.value = "1";
      count.focus();
      count.select();
    }
  });

  if (search) {
    search.hidden = false;
    const input = search.querySelector("input");
    const results = search.querySelector("#label-search-results");
    let seq = 0;
    let timer = null;

    const add = (product) => {
      const tr = blankLine();
      tr.querySelector("[name=code]").value = product.code;
      tr.querySelector("[name=count]").value = "1";
      tr.querySelector("[data-name]").textContent = product.name;
      results.replaceChildren();
      input.value = "";
      tr.querySelector("[name=count]").focus();
      tr.querySelector("[name=count]").select();
    };

    const find = async () => {
      const q = input.value.trim();
      const mine = ++seq;
      if (!q) {
        results.replaceChildren();
        return;
      }
      const result = await getJSON(`${search.dataset.searchUrl}?per_page=10&q=${encodeURIComponent(q)}`);
      if (mine !== seq) return;
      const data = result.ok ? result.data : null; // null: "not answering" below
      results.replaceChildren();
      const items = data?.items || [];
      if (!items.length) {
        const li = document.createElement("li");
        li.className = "list-group-item text-body-secondary";
        li.textContent = data ? t("labels.search.none") : t("labels.search.offline");

        results.append(li);
        return;
      }
      for (const product of items) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "list-group-item list-group-item-action d-flex justify-content-between";
        const name = document.createElement("span");
        name.textContent = product.name;
        const code = document.createElement("span");
        code.className = "font-monospace small text-body-secondary";
        code.textContent = product.code;
        button.append(name, code);
        button.addEventListener("click", () => add(product));
        results.append(button);
      }
    };

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(find, 200);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        results.querySelector("button")?.click();
      }
    });
  }
}
