// "Export everything" in the desktop window: pick a folder with pywebview's dialog, then write
// the tables one by one (each a request), moving the progress bar after each, and last the
// .xlsx workbook of them all.

import { send } from "./lib/http.js";
import { t } from "./lib/i18n.js";

const box = document.getElementById("export-all");

const api = () => (window.pywebview?.api?.choose_folder ? window.pywebview.api : null);

if (box) {
  const button = box.querySelector("[data-choose-folder]");
  const bar = box.querySelector("[data-progress]");
  const status = box.querySelector("[data-export-status]");
  const tables = box.getAttribute("data-tables").split(",");
  const workbook = box.getAttribute("data-workbook");
  const steps = [...tables, workbook];

  const offer = () => {
    if (api()) button.classList.remove("d-none");
  };

  const step = (done) => {
    bar.setAttribute("aria-valuenow", String(done));
    bar.firstElementChild.style.width = `${Math.round((done * 100) / steps.length)}%`;
  };

  const exportTo = async (folder) => {
    button.disabled = true;
    bar.classList.remove("d-none");
    step(0);
    try {
      for (let i = 0; i < steps.length; i++) {
        status.textContent =
          steps[i] === workbook
            ? t("exports.writing_workbook")
            : t("exports.writing_table", { file: `${steps[i]}.csv` });
        const response = await send(box.getAttribute("data-folder-url"), {
          method: "POST",
          json: { folder, name: box.getAttribute("data-name"), table: steps[i] },
        });
        const body = await response.json();
        if (!response.ok) {
          const error = body.error;
          const fallback = t("common.failed", { status: response.status });
          throw new Error(typeof error === "string" ? error : error?.message || fallback);
        }
        step(i + 1);
      }
      status.textContent = t("exports.done", {
        count: tables.length,
        folder,
        name: box.getAttribute("data-name"),
      });
    } catch (e) {
      status.textContent = t("exports.stopped", { reason: e.message });
    } finally {
      button.disabled = false;
    }
  };

  button.addEventListener("click", async () => {
    const folder = await api().choose_folder();
    if (folder) exportTo(folder);
  });
  window.addEventListener("pywebviewready", offer);
  offer();
}
