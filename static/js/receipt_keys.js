// The receipt pages' Esc key, bound as soon as the "New sale" / "Till" link exists. The page's
// module (receipt.js) runs only after the whole page and its imports have loaded, and an Esc
// pressed in that gap — a cashier turning to the next customer — was simply lost.
(function () {
  "use strict";
  var next = document.getElementById("new-sale");
  if (!next) return;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    event.preventDefault();
    window.location.assign(next.href);
  });
})();
