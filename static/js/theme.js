// Light/dark theme: applied from <head> before the first paint, remembered in localStorage.
(function () {
  "use strict";
  var KEY = "tillbook-theme";

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : null;
    } catch (e) {
      return null;
    }
  }

  function preferred() {
    var value = stored();
    if (value) return value;
    var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    return dark ? "dark" : "light";
  }

  function current() {
    return document.documentElement.getAttribute("data-bs-theme") === "dark" ? "dark" : "light";
  }

  function label(button) {
    var next = current() === "dark" ? "light" : "dark";
    button.setAttribute("aria-label", "Switch to " + next + " theme");
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
        try {
          window.localStorage.setItem(KEY, next);
        } catch (e) {
          /* private mode: the theme still switches for this page */
        }
      });
    }
  });
})();
