// Keeps the scans made before the till's modules have started. A scanner types a code and
// Enter within milliseconds of the page appearing (after "New sale", or on a slow laptop), and
// an Enter with no listener yet is simply lost. This classic script runs as soon as the scan
// field exists, queues each code entered, and hands the queue over to pos/scan.js once.
(function () {
  "use strict";
  var scan = document.getElementById("scan");
  if (!scan) return;
  var queue = [];
  function early(event) {
    if (event.key !== "Enter" || event.isComposing) return;
    event.preventDefault();
    var code = scan.value.trim();
    scan.value = "";
    if (code) queue.push(code);
  }
  scan.addEventListener("keydown", early);
  window.tillTakeEarlyScans = function () {
    scan.removeEventListener("keydown", early);
    window.tillTakeEarlyScans = undefined;
    return queue.splice(0);
  };
})();
