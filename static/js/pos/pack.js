// A pack's batch and expiry, read from its GS1 code (posapp/services/gs1.py) and kept on the
// bill's line: shown in small text under the item, and an expired batch warns on the line (the
// cashier can still sell it: the warning is for them to check the pack, not a refusal). The
// server writes the date as the shop's locale does (`expiry_label`: 31-12-2026 in India).

import { beep } from "./ui.js";
import { t } from "../lib/i18n.js";

const text = (value) => (typeof value === "string" ? value : "");

/** Keep the scanned pack on the line; an expired one beeps, as the cashier watches the pack. */
export function notePack(till, line, pack) {
  if (!line) return;
  line.batch = text(pack.batch);
  line.expiry_label = text(pack.expiry_label);
  if (pack.expired) {
    line.expired_batch = line.batch;
    line.expired_on = line.expiry_label;
    beep(till);
  }
}

/** What the line shows: {note: "batch AB12 · expires 31-12-2026", warning: "⚠ Expired …"}. */
export function packText(line) {
  const parts = [];
  if (text(line.batch)) parts.push(t("till.pack.batch", { batch: line.batch }));
  if (text(line.expiry_label)) parts.push(t("till.pack.expires", { date: line.expiry_label }));
  let warning = "";
  if (text(line.expired_on)) {
    warning = text(line.expired_batch)
      ? t("till.pack.expired_batch", { batch: line.expired_batch, date: line.expired_on })
      : t("till.pack.expired", { date: line.expired_on });
  }
  return { note: parts.join(" · "), warning };
}
