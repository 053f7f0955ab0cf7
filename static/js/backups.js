// "Backup to a chosen folder": in the desktop window pywebview's folder dialog picks the place
// (a USB stick); in a browser the finished backup downloads. The backup runs on the server in
// the background; this polls its status to move the progress bar.

import { send } from "./lib/http.js";
import { t } from "./lib/i18n.js";

const POLL_MS = 300;
const box = document.getElementById("backup-copy");

const desktop = () => (window.pywebview?.api?.choose_folder ? window.pywebview.api : null);

const sizeText = (bytes) =>
  bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function answer(response) {
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || t("common.failed", { status: response.status }));
  return body;
}

if (box) {
  const chooseButton = box.querySelector("[data-choose-folder]");
  const downloadButton = box.querySelector("[data-download]");
  const bar = box.querySelector("[data-progress]");
  const status = box.querySelector("[data-backup-status]");

  const offer = () => {
    // The window cannot save downloads reliably; it writes straight to the chosen folder.
    if (desktop()) {
      chooseButton.classList.remove("d-none");
      downloadButton.classList.add("d-none");
    }
  };

  const busy = (on) => {
    chooseButton.disabled = on;
    downloadButton.disabled = on;
  };

  const show = (percent) => {
    bar.classList.remove("d-none");
    bar.setAttribute("aria-valuenow", String(percent));
    bar.firstElementChild.style.width = `${percent}%`;
  };

  const run = async (folder) => {
    busy(true);
    show(0);
    status.textContent = t("backups.running");
    try {
      const started = await answer(
        await send(box.getAttribute("data-jobs-url"), { method: "POST", json: folder ? { folder } : {} }),
      );
      let job;
      for (;;) {
        job = await answer(await send(started.status_url));
        show(job.percent);
        if (job.state !== "running") break;
        status.textContent = t("backups.running_percent", { percent: `${job.percent}%` });
        await wait(POLL_MS);
      }
      if (job.state === "failed") throw new Error(job.error);
      box.setAttribute("data-done", job.file);
      if (job.download_url) {
        status.textContent = t("backups.downloading", { size: sizeText(job.size), file: job.file });
        window.location.href = job.download_url;
      } else {
        status.textContent = t("backups.written", { path: job.path, size: sizeText(job.size) });
      }
    } catch (e) {
      status.textContent = t("backups.failed", { reason: e.message });
    } finally {
      busy(false);
    }
  };

  chooseButton.addEventListener("click", async () => {
    const folder = await desktop().choose_folder();
    if (folder) run(folder);
  });
  downloadButton.addEventListener("click", () => run(null));
  window.addEventListener("pywebviewready", offer);
  offer();
}
