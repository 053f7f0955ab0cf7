// CSV import: upload with a progress bar (the file can be large), then a busy note while importing.

import { t } from "./lib/i18n.js";

const form = document.querySelector("[data-import-form]");

if (form) {
  const bar = form.querySelector("[data-progress]");
  const fill = bar.querySelector(".progress-bar");
  const text = form.querySelector("[data-progress-text]");
  const button = form.querySelector("button[type=submit]");

  const show = (percent, message) => {
    bar.classList.remove("d-none");
    text.classList.remove("d-none");
    fill.style.width = `${percent}%`;
    bar.setAttribute("aria-valuenow", String(Math.round(percent)));
    text.textContent = message;
  };

  form.addEventListener("submit", (event) => {
    const file = form.querySelector("input[type=file]").files[0];
    if (!file) return; // the server says what is missing
    event.preventDefault();
    const maxBytes = Number(form.dataset.maxBytes || 0);
    if (maxBytes && file.size > maxBytes) {
      show(0, t("import.too_large", { size: Math.floor(maxBytes / 1048576) }));
      text.classList.add("text-danger");
      return;
    }
    button.disabled = true;
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "fetch");
    request.setRequestHeader("Accept", "application/json"); // errors come as JSON, e.g. a 413
    request.responseType = "json";
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const percent = Math.round((e.loaded / e.total) * 100);
      show((e.loaded / e.total) * 100, t("import.uploading_percent", { percent: `${percent}%` }));
    });
    request.upload.addEventListener("load", () => show(100, t("import.checking")));
    request.addEventListener("load", () => {
      const body = request.response || {};
      if (request.status === 200 && body.next) {
        window.location.assign(body.next);
        return;
      }
      button.disabled = false;
      // The view answers {error: "..."}; the app's error handlers {error: {message}}.
      const message = typeof body.error === "string" ? body.error : body.error && body.error.message;
      show(0, message || t("import.failed", { status: request.status }));
      text.classList.add("text-danger");
    });
    request.addEventListener("error", () => {
      button.disabled = false;
      show(0, t("import.offline"));
    });
    text.classList.remove("text-danger");
    show(0, t("import.uploading"));

    request.send(new FormData(form));
  });
}

const confirmForm = document.querySelector("[data-confirm-import]");
confirmForm?.addEventListener("submit", () => {
  confirmForm.querySelector("button[type=submit]").disabled = true;
  confirmForm.querySelector("[data-working]").classList.remove("d-none");
});
