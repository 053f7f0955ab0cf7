// A receipt page (a sale's, or a payment's taken at the till): the next scan starts the next
// sale (after a payment, it joins the bill waiting in the till), and Escape goes to the till.
// A scanner (or the cashier) types a code and Enter; the code goes to the till as
// `?scan=CODE` and the till adds it as soon as it starts (static/js/pos.js). A classic script
// that runs as soon as the toolbar exists, before the page's module and before any print
// dialog, so no keystroke of a scan is lost; focus may sit on "New sale" or "Print receipt"
// (after printing) and Enter with a code typed must not activate them.
(function () {
  "use strict";
  var newSale = document.getElementById("new-sale");
  var shown = document.getElementById("next-scan");
  if (!newSale) return;
  var typed = "";

  function show() {
    if (!shown) return;
    shown.textContent = typed ? "Next sale: " + typed + " — Enter adds it" : "";
    shown.hidden = !typed;
  }

  document.addEventListener(
    "keydown",
    function (event) {
      if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
      var target = event.target;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      if (event.key === "Escape") {
        event.preventDefault();
        window.location.assign(newSale.href);
      } else if (event.key === "Enter") {
        if (!typed) return; // Enter on the focused button or link does what it says
        event.preventDefault();
        event.stopImmediatePropagation();
        var url = new URL(newSale.href, window.location.href);
        url.searchParams.set("scan", typed);
        typed = "";
        window.location.assign(url.toString());
      } else if (event.key === "Backspace" && typed) {
        event.preventDefault();
        typed = typed.slice(0, -1);
        show();
      } else if (event.key.length === 1 && !(event.key === " " && !typed)) {
        // A space before anything is typed still presses the focused button.
        event.preventDefault();
        typed += event.key;
        show();
      }
    },
    true,
  );
})();
