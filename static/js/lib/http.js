// The one way a TillBook page talks to its own server: same-origin cookies, and the session's
// CSRF token (from <meta name="csrf-token"> in base.html) on every request that changes data.
//
// Two levels: send() returns the fetch Response for pages that read bytes or their own error
// shapes (documents, backups, the receipt printer); request()/getJSON()/postJSON() answer
// {ok, status, data} or {ok: false, status, message, details} for the JSON API.

import { t } from "./i18n.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Said when an answer is not JSON: the login page came back, so the session is gone. */
export const SESSION_ENDED = t("http.session_ended");
export const NOT_ANSWERING = t("http.not_answering");

/** The page's CSRF token, or "" on a page without one (the login page has no session yet). */
export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

/**
 * fetch() with the session cookie, the CSRF header on unsafe methods and, when `json` is
 * given, a JSON body. Rejects like fetch() when the server cannot be reached.
 */
export function send(url, { json, headers = {}, ...options } = {}) {
  const method = String(options.method || "GET").toUpperCase();
  const extra = {};
  if (json !== undefined) {
    extra["Content-Type"] = "application/json";
    options.body = JSON.stringify(json);
  }
  if (!SAFE_METHODS.has(method)) extra["X-CSRFToken"] = csrfToken();
  return fetch(url, {
    credentials: "same-origin",
    ...options,
    headers: { ...extra, ...headers },
  });
}

/** Call the JSON API; never rejects: a failure is {ok: false, status, message, details}. */
export async function request(url, options = {}) {
  let response;
  try {
    response = await send(url, {
      ...options,
      headers: { Accept: "application/json", ...(options.headers || {}) },
    });
  } catch {
    return { ok: false, status: 0, message: NOT_ANSWERING };
  }
  const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
  if (!isJson) return { ok: false, status: response.status, message: SESSION_ENDED };
  let data = null;
  try {
    data = await response.json();
  } catch {
    return { ok: false, status: response.status, message: t("http.broken_answer") };
  }
  if (response.ok) return { ok: true, status: response.status, data };
  const error = (data && data.error) || {};
  const message = response.status === 401 ? SESSION_ENDED : error.message || t("http.went_wrong");
  return { ok: false, status: response.status, message, details: error.details || {} };
}

export const getJSON = (url) => request(url);
export const postJSON = (url, body) => request(url, { method: "POST", json: body });
