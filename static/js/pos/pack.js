// A pack's batch and expiry, read from its GS1 code (posapp/services/gs1.py) and kept on the
// bill's line: shown in small text under the item, and an expired batch warns on the line (the
// cashier can still sell it: the warning is for them to check the pack, not a refusal).

import { beep } from "./ui.js";

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A YYYY-MM-DD day as the shop writes dates ("31 Dec 2026" in en-IN). */
export function dayText(iso, locale) {
  const match = ISO_DAY.exec(String(iso ?? ""));
  if (!match) return "";
  const day = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  try {
    return day.toLocaleDateString(locale || undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  } catch {
    return iso; // an unknown locale: the ISO day is still readable
  }
}

/** Keep the scanned pack on the line; an expired one beeps, as the cashier watches the pack. */
export function notePack(till, line, pack) {
  if (!line) return;
  line.batch = typeof pack.batch === "string" ? pack.batch : null;
  line.expiry = typeof pack.expiry === "string" ? pack.expiry : null;
  if (pack.expired) {
    line.expired_batch = line.batch || "";
    line.expired_on = line.expiry;
    beep(till);
  }
}

/** What the line shows: {note: "batch AB12 · expires 31 Dec 2026", warning: "⚠ Expired …"}. */
export function packText(line, locale) {
  const parts = [];
  if (typeof line.batch === "string" && line.batch) parts.push(`batch ${line.batch}`);
  const expiry = dayText(line.expiry, locale);
  if (expiry) parts.push(`expires ${expiry}`);
  let warning = "";
  const expiredOn = dayText(line.expired_on, locale);
  if (expiredOn) {
    const batch = typeof line.expired_batch === "string" && line.expired_batch ? ` ${line.expired_batch}` : "";
    warning = `⚠ Expired batch${batch} (expired on ${expiredOn}): check the pack`;
  }
  return { note: parts.join(" · "), warning };
}
