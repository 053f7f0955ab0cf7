// Receive stock: "Add line" clones an empty line; a scanner's Enter in a code field moves on.

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
      input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/Line \d+/, `Line ${number}`));
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
