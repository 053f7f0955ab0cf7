"""The dashboard in a real browser: the charts draw, in light and in dark, without JS errors."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from posapp.extensions import db
from tests.e2e.conftest import log_in
from tests.factories import make_user
from tests.sales_data import seed


def test_the_dashboard_draws_its_charts(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        admin = make_user(db.session, "owner", "admin")
        cashier = make_user(db.session, "till1", "cashier")
        seed(db.session, admin, cashier)
        db.session.remove()
    log_in(page, "owner")
    page.goto("/")
    expect(page).to_have_url(live_server.url + "/dashboard/")
    expect(page.locator("#dashboard")).to_have_attribute("data-loaded", "1")
    expect(page.locator('[data-today="sales"]')).to_have_text("₹315.50")
    for chart in ("daily", "monthly", "top-qty", "top-sales", "categories", "methods"):
        canvas = page.locator(f"#chart-{chart}")
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, chart
    drawn = page.evaluate("Object.keys(Chart.instances).length")
    assert drawn == 6
    page.locator("[data-theme-toggle]").first.click()
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    assert page.evaluate("Object.keys(Chart.instances).length") == 6


def test_report_pages_draw_their_charts_in_both_themes(page: Any, live_server: Any) -> None:
    with live_server.app.app_context():
        admin = make_user(db.session, "owner", "admin")
        cashier = make_user(db.session, "till1", "cashier")
        seed(db.session, admin, cashier)
        db.session.remove()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    log_in(page, "owner")
    for name, kind, points in (
        ("sales-by-day", "bar", 1),
        ("sales-by-month", "line", 1),
        ("sales-by-category", "doughnut", 3),
        ("sales-by-method", "doughnut", 4),
        ("tax-by-rate", "bar", 3),
    ):
        page.goto(f"/reports/{name}")
        canvas = page.locator("#report-chart")
        expect(canvas).to_have_attribute("data-drawn", "light")
        box = canvas.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, name
        drawn = page.evaluate(
            "(() => { const c = Object.values(Chart.instances); "
            "return [c.length, c[0].config.type, c[0].data.labels.length]; })()"
        )
        assert drawn == [1, kind, points], name
    # Sales by category: the doughnut carries the exact figures of the table.
    page.goto("/reports/sales-by-category")
    data = page.evaluate("Object.values(Chart.instances)[0].data.datasets[0].data")
    assert data == [150, 83, 82.5]
    page.locator("[data-theme-toggle]").first.click()
    expect(page.locator("#report-chart")).to_have_attribute("data-drawn", "dark")
    assert page.evaluate("Object.keys(Chart.instances).length") == 1
    # A report without a chart loads no chart script at all.
    page.goto("/reports/profit-and-loss")
    assert page.locator("#report-chart").count() == 0
    assert console_errors == []
