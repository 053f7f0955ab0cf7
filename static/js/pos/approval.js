// The admin approval at the till: when checkout answers 409 approval_required, a dialog lists
// the reasons and takes an admin's username and PIN (keyboard only: Enter approves, Esc goes
// back to the bill), then sends the same sale again with `approval`. A wrong PIN keeps the
// dialog open with the server's message; nothing is sold until an admin's PIN is accepted.

import { postJSON } from "../lib/http.js";
import { t } from "../lib/i18n.js";

/** The reasons a checkout answer asks for an admin, or null when it asks nothing. */
export function approvalReasons(result) {
  if (result.ok || result.status !== 409) return null;
  const reasons = result.details?.reasons;
  return Array.isArray(reasons) && reasons.length ? reasons : null;
}

/**
 * Ask an admin to approve `payload` (the cart that was refused) and send it again.
 * Resolves with the checkout's answer once one is not a wrong PIN, or null if cancelled.
 */
export function approveSale(till, payload, reasons) {
  const dialog = document.getElementById("approval-dialog");
  const form = document.getElementById("approval-form");
  const username = document.getElementById("approval-username");
  const pin = document.getElementById("approval-pin");
  const error = document.getElementById("approval-error");
  const list = document.getElementById("approval-reasons");
  const submit = document.getElementById("approval-submit");
  const cancel = document.getElementById("approval-cancel");
  list.replaceChildren(
    ...reasons.map((reason) => {
      const li = document.createElement("li");
      li.textContent = reason.message;
      li.dataset.reason = reason.code;
      return li;
    }),
  );
  error.textContent = "";
  pin.value = "";
  return new Promise((resolve) => {
    let sending = false;
    const finish = (answer) => {
      form.removeEventListener("submit", onSubmit);
      dialog.removeEventListener("cancel", onCancel);
      cancel.removeEventListener("click", onCancel);
      pin.value = "";
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const onCancel = (event) => {
      event.preventDefault();
      if (!sending) finish(null);
    };
    const onSubmit = async (event) => {
      event.preventDefault();
      if (sending) return;
      if (!username.value.trim()) {
        error.textContent = t("till.approval.username");
        username.focus();
        return;
      }
      if (!/^[0-9]{4,8}$/.test(pin.value)) {
        error.textContent = t("till.approval.pin");
        pin.focus();
        return;
      }
      sending = true;
      submit.disabled = true;
      const approval = { username: username.value.trim(), pin: pin.value };
      const answer = await postJSON(till.cfg.checkoutUrl, { ...payload, approval });
      sending = false;
      submit.disabled = false;
      const wrongPin = answer.status === 429 || answer.details?.fields?.["approval.pin"];
      if (!answer.ok && wrongPin) {
        error.textContent = answer.message;
        pin.value = "";
        pin.focus();
        return;
      }
      finish(answer);
    };
    form.addEventListener("submit", onSubmit);
    dialog.addEventListener("cancel", onCancel);
    cancel.addEventListener("click", onCancel);
    dialog.showModal();
    (username.value.trim() ? pin : username).focus();
  });
}
