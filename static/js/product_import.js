// CSV import: upload with a progress bar (the file can be large), then a busy note while importing.

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
      show(0, `That file is too large: this page takes files up to ${Math.floor(maxBytes / 1048576)} MB.`);
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
      if (e.lengthComputable) show((e.loaded / e.total) * 100, `Uploading… ${Math.round((e.loaded / e.total) * 100)}%`);
    });
    request.upload.addEventListener("load", () => show(100, "Checking every row…"));
    request.addEventListener("load", () => {
      const body = request.response || {};
      if (request.status === 200 && body.next) {
        window.location.assign(body.next);
        return;
      }
      button.disabled = false;
      // The view answers {error: "..."}; the app's error handlers {error: {message}}.
      const message = typeof body.error === "string" ? body.error : body.error && body.error.message;
      show(0, message || `The upload failed (${request.status}).`);
      text.classList.add("text-danger");
    });
    request.addEventListener("error", () => {
      button.disabled = false;
      show(0, "The upload failed: is the server still running?");
    });
    text.classList.remove("text-danger");
    show(0, "Uploading…");
    request.send(new FormData(form));
  });
}

const confirmForm = document.querySelector("[data-confirm-import]");
confirmForm?.addEventListener("submit", () => {
  confirmForm.querySelector("button[type=submit]").disabled = true;
  confirmForm.querySelector("[data-working]").classList.remove("d-none");
});
