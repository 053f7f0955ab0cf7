// Small behaviours shared by every page: focus the first field with an error, confirmations
// on dangerous forms, "Go back" buttons.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    // A form re-shown with errors puts the cursor where the first fix is needed.
    var invalid = document.querySelector("form .is-invalid");
    if (invalid && typeof invalid.focus === "function") invalid.focus();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-history-back]");
    if (button) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
