// Light/dark theme: applied from <head> before the first paint, remembered in a cookie.
// A cookie belongs to the host whatever the port, so the choice survives the desktop app's new
// random port at each start (localStorage is per origin, port included, and was forgotten).
// The server renders data-bs-theme from the same cookie, so a remembered theme never flashes.
(function () {
  "use strict";
  var COOKIE = "tillbook_theme";
  var LEGACY_KEY = "tillbook-theme"; // where earlier versions kept it, in localStorage
  var ONE_YEAR = 365 * 24 * 60 * 60;

  function valid(value) {
    return value === "light" || value === "dark" ? value : null;
  }

  function fromCookie() {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var pair = parts[i].replace(/^\s+/, "");
      if (pair.indexOf(COOKIE + "=") === 0) return valid(pair.slice(COOKIE.length + 1));
    }
    return null;
  }

  function remember(theme) {
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie =
      COOKIE + "=" + theme + "; Path=/; Max-Age=" + ONE_YEAR + "; SameSite=Lax" + secure;
  }

  // Once: a choice kept in localStorage by an earlier version moves to the cookie.
  function migrated() {
    try {
      var value = valid(window.localStorage.getItem(LEGACY_KEY));
      if (!value) return null;
      remember(value);
      window.localStorage.removeItem(LEGACY_KEY);
      return value;
    } catch (e) {
      return null; // storage blocked: nothing to move
    }
  }

  function preferred() {
    var value = fromCookie() || migrated();
    if (value) return value;
    var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    return dark ? "dark" : "light";
  }

  function current() {
    return document.documentElement.getAttribute("data-bs-theme") === "dark" ? "dark" : "light";
  }

  // The words are the page's (data-label-dark / data-label-light, in the user's language).
  function label(button) {
    var next = current() === "dark" ? "light" : "dark";
    var words = button.getAttribute("data-label-" + next);
    if (words) button.setAttribute("aria-label", words);
    button.setAttribute("aria-pressed", current() === "dark" ? "true" : "false");
  }

  function apply(theme) {
    document.documentElement.setAttribute("data-bs-theme", theme);
    var buttons = document.querySelectorAll("[data-theme-toggle]");
    for (var i = 0; i < buttons.length; i++) label(buttons[i]);
  }

  apply(preferred());

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-theme-toggle]");
    for (var i = 0; i < buttons.length; i++) {
      label(buttons[i]);
      buttons[i].addEventListener("click", function () {
        var next = current() === "dark" ? "light" : "dark";
        apply(next);
        remember(next);
      });
    }
  });
})();
