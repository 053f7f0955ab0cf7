// "Backup to a chosen folder": in the desktop window pywebview's folder dialog picks the place
// (a USB stick); in a browser the finished backup downloads. The backup runs on the server in
// the background; this polls its status to move the progress bar.
(function () {
  "use strict";
  var box = document.getElementById("backup-copy");
  if (!box) return;
  var chooseButton = box.querySelector("[data-choose-folder]");
  var downloadButton = box.querySelector("[data-download]");
  var bar = box.querySelector("[data-progress]");
  var status = box.querySelector("[data-backup-status]");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var POLL_MS = 300;

  function desktop() {
    return window.pywebview && window.pywebview.api && window.pywebview.api.choose_folder
      ? window.pywebview.api : null;
  }

  function offer() {
    // The window cannot save downloads reliably; it writes straight to the chosen folder.
    if (desktop()) {
      chooseButton.classList.remove("d-none");
      downloadButton.classList.add("d-none");
    }
  }

  function busy(on) {
    chooseButton.disabled = on;
    downloadButton.disabled = on;
  }

  function show(percent) {
    bar.classList.remove("d-none");
    bar.setAttribute("aria-valuenow", String(percent));
    bar.firstElementChild.style.width = percent + "%";
  }

  function sizeText(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.ceil(bytes / 1024) + " KB";
  }

  async function answer(response) {
    var body = await response.json();
    if (!response.ok) throw new Error(body.error || "HTTP " + response.status);
    return body;
  }

  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  async function run(folder) {
    busy(true);
    show(0);
    status.textContent = "Backing up…";
    try {
      var started = await answer(await fetch(box.getAttribute("data-jobs-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(folder ? { folder: folder } : {}),
      }));
      var job;
      for (;;) {
        job = await answer(await fetch(started.status_url, { credentials: "same-origin" }));
        show(job.percent);
        if (job.state !== "running") break;
        status.textContent = "Backing up… " + job.percent + "%";
        await wait(POLL_MS);
      }
      if (job.state === "failed") throw new Error(job.error);
      box.setAttribute("data-done", job.file);
      if (job.download_url) {
        status.textContent = "Backup verified (" + sizeText(job.size) + "); downloading " + job.file + ".";
        window.location.href = job.download_url;
      } else {
        status.textContent = "Backup verified and written: " + job.path + " (" + sizeText(job.size) + ").";
      }
    } catch (e) {
      status.textContent = "The backup failed: " + e.message;
    } finally {
      busy(false);
    }
  }

  chooseButton.addEventListener("click", async function () {
    var folder = await desktop().choose_folder();
    if (folder) run(folder);
  });
  downloadButton.addEventListener("click", function () { run(null); });
  window.addEventListener("pywebviewready", offer);
  offer();
})();
