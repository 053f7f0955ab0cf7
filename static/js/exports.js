// "Export everything" in the desktop window: pick a folder with pywebview's dialog, then write
// the tables one by one (each a request), moving the progress bar after each.
(function () {
  "use strict";
  var box = document.getElementById("export-all");
  if (!box) return;
  var button = box.querySelector("[data-choose-folder]");
  var bar = box.querySelector("[data-progress]");
  var status = box.querySelector("[data-export-status]");
  var tables = box.getAttribute("data-tables").split(",");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;

  function api() {
    return window.pywebview && window.pywebview.api && window.pywebview.api.choose_folder
      ? window.pywebview.api : null;
  }

  function offer() {
    if (api()) button.classList.remove("d-none");
  }

  function step(done) {
    bar.setAttribute("aria-valuenow", String(done));
    bar.firstElementChild.style.width = Math.round((done * 100) / tables.length) + "%";
  }

  async function exportTo(folder) {
    button.disabled = true;
    bar.classList.remove("d-none");
    step(0);
    try {
      for (var i = 0; i < tables.length; i++) {
        status.textContent = "Writing " + tables[i] + ".csv…";
        var response = await fetch(box.getAttribute("data-folder-url"), {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
          body: JSON.stringify({ folder: folder, name: box.getAttribute("data-name"), table: tables[i] }),
        });
        var body = await response.json();
        if (!response.ok) {
          var error = body.error;
          throw new Error(typeof error === "string" ? error : (error && error.message) || "HTTP " + response.status);
        }
        step(i + 1);
      }
      status.textContent = "Done: " + tables.length + " files in " + folder + " / " + box.getAttribute("data-name") + ".";
    } catch (e) {
      status.textContent = "Export stopped: " + e.message;
    } finally {
      button.disabled = false;
    }
  }

  button.addEventListener("click", async function () {
    var folder = await api().choose_folder();
    if (folder) exportTo(folder);
  });
  window.addEventListener("pywebviewready", offer);
  offer();
})();
