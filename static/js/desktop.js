// In the desktop window only (pywebview): the app's own documents open in the system's viewer.
//
// pywebview hands every target=_blank link to the outside browser, which has no TillBook login
// (it shows the login page), and a form answering a PDF would replace the till with no way
// back. So, inside the window, this fetches such a document with the window's own cookies and
// hands the bytes to the desktop (window.pywebview.api.open_document), which saves it under
// exports/documents and opens it. Links to other sites (WhatsApp, help) are left alone: they
// still go to the outside browser. In a normal browser this script does nothing.

import { send } from "./lib/http.js";
import { t } from "./lib/i18n.js";

const api = () => window.pywebview?.api;
const inWindow = () => typeof api()?.open_document === "function";
const sameOrigin = (url) => url.origin === window.location.origin;
const isHtml = (response) => (response.headers.get("Content-Type") || "").startsWith("text/html");

const TOAST_MS = 8000;

function toast(text, failed = false) {
  let box = document.getElementById("desktop-toast");
  if (!box) {
    box = document.createElement("div");
    box.id = "desktop-toast";
    box.className = "position-fixed bottom-0 end-0 p-3 d-print-none desktop-toast";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    document.body.append(box);
  }
  const note = document.createElement("div");
  note.className = `alert ${failed ? "alert-danger" : "alert-success"} shadow-sm mb-2 small`;
  note.textContent = text;
  box.append(note);
  setTimeout(() => note.remove(), TOAST_MS);
}

// The file name the server gave (Content-Disposition), else the URL's last part.
function fileName(response, url) {
  const header = response.headers.get("Content-Disposition") || "";
  const encoded = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (encoded) {
    try {
      return decodeURIComponent(encoded[1]);
    } catch {
      // a malformed escape: fall back to the plain name
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)/i.exec(header);
  if (plain) return (plain[1] ?? plain[2]).trim();
  const last = url.pathname.split("/").filter(Boolean).pop() || "document";
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function base64Of(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).slice(String(reader.result).indexOf(",") + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

async function openDocument(response, url) {
  const blob = await response.blob();
  const type = (response.headers.get("Content-Type") || blob.type || "").split(";")[0].trim();
  const saved = await api().open_document(fileName(response, url), await base64Of(blob), type);
  toast(t("desktop.saved_opened", { path: saved }));
}

function failed(error) {
  toast(t("desktop.open_failed", { reason: error?.message || error }), true);
}

document.addEventListener("click", async (event) => {
  if (!inWindow() || event.defaultPrevented || event.button !== 0) return;
  if (event.ctrlKey || event.shiftKey || event.metaKey || event.altKey) return;
  const link = event.target.closest?.('a[href][target="_blank"]');
  if (!link || (link.getAttribute("href") || "#").startsWith("#")) return;
  const url = new URL(link.href, window.location.href);
  if (!sameOrigin(url)) return; // WhatsApp, help: pywebview opens the outside browser
  event.preventDefault();
  try {
    const response = await send(url);
    if (!response.ok || response.redirected) {
      window.location.assign(url); // an error or the login page: show it here, as a browser would
    } else if (isHtml(response)) {
      await api().open_window(url.href); // a page (the customer display): a window of its own
    } else {
      await openDocument(response, url);
    }
  } catch (error) {
    failed(error);
  }
});

// Send the form as the browser would have, into this window (the target is set aside once).
function submitHere(form, submitter) {
  const target = form.getAttribute("target");
  let extra = null;
  if (submitter?.name) {
    extra = Object.assign(document.createElement("input"), {
      type: "hidden",
      name: submitter.name,
      value: submitter.value,
    });
    form.append(extra);
  }
  form.setAttribute("target", "_self");
  form.submit(); // fires no submit event: not caught again
  if (target === null) form.removeAttribute("target");
  else form.setAttribute("target", target);
  extra?.remove();
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!inWindow() || event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
  const submitter = event.submitter;
  const target = submitter?.getAttribute("formtarget") ?? form.getAttribute("target");
  if (!form.hasAttribute("data-document") && target !== "_blank") return;
  const url = new URL(submitter?.getAttribute("formaction") || form.action, window.location.href);
  if (!sameOrigin(url)) return;
  event.preventDefault();
  let fields;
  try {
    fields = new FormData(form, submitter);
  } catch {
    fields = new FormData(form); // an engine without the submitter argument
  }
  const body = new URLSearchParams(fields);
  const post = (submitter?.getAttribute("formmethod") || form.method || "get").toLowerCase() === "post";
  try {
    let response;
    if (post) {
      response = await send(url, { method: "POST", body });
    } else {
      url.search = body.toString();
      response = await send(url);
    }
    if (response.ok && !response.redirected && !isHtml(response)) {
      await openDocument(response, url);
    } else {
      // A validation error (or the login page): show it in this window. Document forms only
      // read, so sending the form again is harmless.
      submitHere(form, submitter);
    }
  } catch (error) {
    failed(error);
  }
});
