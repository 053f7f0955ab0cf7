"""Benchmark: customer display latency, from the till's publish to the display's paint.

Usage: python bench/display_latency.py [--updates 60]
Starts `app.py serve` on a fresh temp data dir (waitress, 6 threads), opens the till and a
paired display as two contexts of Debian's chromium (Playwright), scans one item and then
types a new cash amount `--updates` times, 200 ms apart. Each amount changes the change the
display shows. For each update it takes, on the same clock (performance.timeOrigin + now()):

  publish  when the till sent POST /display/publish (a wrapper around fetch in the till page,
           added by this script only)
  input    when the cashier's typing reached the till (before its 25 ms debounce)
  paint    the first animation frame after the display's DOM showed the new change

and prints p50/p95/max of publish→paint and input→paint. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from common import PASSWORD, USERNAME, Api, create_admin, pct, start, stop
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"

TILL_PROBE = """
window.__sent = [];
window.__typed = [];
const realFetch = window.fetch.bind(window);
window.fetch = (url, options = {}) => {
  if (String(url).includes("/display/publish") && options.body) {
    const state = JSON.parse(options.body);
    window.__sent.push([state.change, performance.timeOrigin + performance.now()]);
  }
  return realFetch(url, options);
};
document.addEventListener("input", (event) => {
  if (event.target.id === "tendered") {
    window.__typed.push([event.target.value, performance.timeOrigin + performance.now()]);
  }
}, true);
"""

DISPLAY_PROBE = """
window.__painted = [];
const paying = document.getElementById("display-paying");
new MutationObserver(() => {
  const text = paying.textContent || "";
  const now = () => performance.timeOrigin + performance.now();
  requestAnimationFrame(() => window.__painted.push([text, now()]));
}).observe(paying, {childList: true, subtree: true, characterData: true});
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        create_admin(Path(tmp))
        proc, port, _seconds = start(Path(tmp))
        base = f"http://127.0.0.1:{port}"
        try:
            api = Api(port)
            api.login()
            product = api.call(
                "POST",
                "/api/products",
                {"name": "Tata Salt 1kg", "price": "28.00", "tax_rate": "0", "stock": "100000"},
                ok=201,
            )
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                till_context = browser.new_context(
                    base_url=base, viewport={"width": 1366, "height": 768}
                )
                till_context.add_init_script(TILL_PROBE)
                till = till_context.new_page()
                till.goto("/login")
                till.fill("#f-username", USERNAME)
                till.fill("#f-password", PASSWORD)
                till.get_by_role("button", name="Log in").click()
                till.wait_for_url("**/pos/")
                till.click("#display-open")
                code_text = till.locator("[data-display-code]")
                code_text.filter(has_text=re.compile(r"^\d{3} \d{3}$")).wait_for()
                code = code_text.inner_text().replace(" ", "")
                till.keyboard.press("Escape")

                display = browser.new_context(
                    base_url=base, viewport={"width": 1024, "height": 600}
                ).new_page()
                display.goto("/display/")
                display.fill("#f-code", code)
                display.fill("#f-name", "Bench display")
                display.click("button[type=submit]")
                display.wait_for_selector("#display[data-stage=idle]")
                display.evaluate(DISPLAY_PROBE)

                till.fill("#scan", product["code"])
                till.press("#scan", "Enter")
                display.wait_for_selector("#display[data-stage=billing]")
                for i in range(args.updates):
                    till.fill("#tendered", str(100 + i))
                    time.sleep(0.2)
                time.sleep(1)
                sent = till.evaluate("window.__sent")
                typed = till.evaluate("window.__typed")
                painted = display.evaluate("window.__painted")
                browser.close()
        finally:
            stop(proc)

    # change in paise -> times; the display shows the change as "Change₹72.00" etc.
    sent_at = {change: t for change, t in sent if change is not None}
    typed_at = {int(value) * 100 - 2800: t for value, t in typed if value.isdigit()}
    publish_ms: list[float] = []
    input_ms: list[float] = []
    seen: set[int] = set()
    for text, t in painted:
        match = re.search(r"Change₹([\d,]+)\.(\d\d)", text)
        if not match:
            continue
        change = int(match.group(1).replace(",", "")) * 100 + int(match.group(2))
        if change in seen or change not in sent_at:
            continue
        seen.add(change)
        publish_ms.append(t - sent_at[change])
        if change in typed_at:
            input_ms.append(t - typed_at[change])
    print(f"customer display, {len(publish_ms)} updates (long poll, waitress 6 threads)")
    for label, samples in (("publish -> paint", publish_ms), ("input -> paint", input_ms)):
        if samples:
            print(
                f"  {label:17s} p50 {statistics.median(samples):6.1f} ms"
                f"   p95 {pct(samples, 0.95):6.1f} ms   max {max(samples):6.1f} ms"
            )


if __name__ == "__main__":
    main()
