// The admin dashboard: loads /api/dashboard/stats and draws it with the vendored Chart.js
// (a classic deferred script, run before this module). Money arrives as exact decimal strings;
// Number() is used only to place bars and points. The shop's currency and locale come from
// #dashboard's data-currency and data-locale (the template writes them from the settings).

import { send } from "./lib/http.js";
import { t } from "./lib/i18n.js";
import { axisFormat, moneyFormat } from "./lib/money.js";

const root = document.getElementById("dashboard");
if (root && window.Chart) start(root);

function start(root) {
  let charts = [];
  let stats = null;
  const extras = JSON.parse(document.getElementById("dashboard-extras").textContent);
  const currency = moneyFormat(root.dataset.locale, root.dataset.currency);
  // Axes in whole rupees; the tooltips keep the paise.
  const axis = axisFormat(root.dataset.locale, root.dataset.currency);

  function money(text) {
    // Display only: the string is exact, the formatter just adds grouping and the symbol.
    return currency.format(Number(text));
  }

  function palette() {
    const style = getComputedStyle(document.documentElement);
    function v(name) { return style.getPropertyValue(name).trim(); }
    return {
      text: v("--bs-body-color"),
      grid: v("--bs-border-color-translucent") || v("--bs-border-color"),
      series: [v("--bs-primary"), v("--bs-success"), v("--bs-warning"), v("--bs-info"),
               v("--bs-danger"), v("--bs-secondary"), "#6f42c1", "#d63384", "#fd7e14", "#20c997"],
    };
  }

  function scales(colors, moneyAxis, horizontal) {
    const valueAxis = {
      beginAtZero: true,
      ticks: { color: colors.text, callback: moneyAxis ? function (v) { return axis.format(v); } : undefined },
      grid: { color: colors.grid },
    };
    const categoryAxis = { ticks: { color: colors.text, autoSkip: true }, grid: { display: false } };
    return horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis };
  }

  function make(id, config) {
    const canvas = document.getElementById(id);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
    charts.push(new window.Chart(canvas, config));
  }

  function moneyTooltip(horizontal) {
    return { callbacks: { label: function (ctx) {
      return ctx.dataset.label + ": " + currency.format(horizontal ? ctx.parsed.x : ctx.parsed.y);
    } } };
  }

  function draw() {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    const colors = palette();
    const legend = { labels: { color: colors.text } };
    make("chart-daily", {
      type: "bar",
      data: {
        labels: stats.daily.map(function (d) { return d.label; }),
        datasets: [{ label: t("dashboard.sales"), data: stats.daily.map(function (d) { return Number(d.sales); }), backgroundColor: colors.series[0] }],
      },
      options: { scales: scales(colors, true), plugins: { legend: { display: false }, tooltip: moneyTooltip() } },
    });
    make("chart-monthly", {
      type: "line",
      data: {
        labels: stats.monthly.map(function (m) { return m.label; }),
        datasets: [
          { label: t("dashboard.sales"), data: stats.monthly.map(function (m) { return Number(m.sales); }), borderColor: colors.series[0], backgroundColor: colors.series[0] },
          { label: t("dashboard.gross_profit"), data: stats.monthly.map(function (m) { return Number(m.gross_profit); }), borderColor: colors.series[1], backgroundColor: colors.series[1] },
        ],
      },
      options: { scales: scales(colors, true), plugins: { legend: legend, tooltip: moneyTooltip() } },
    });
    make("chart-top-qty", {
      type: "bar",
      data: {
        labels: stats.top_products.map(function (p) { return p.name; }),
        datasets: [{ label: t("dashboard.quantity"), data: stats.top_products.map(function (p) { return Number(p.quantity); }), backgroundColor: colors.series[3] }],
      },
      options: { indexAxis: "y", scales: scales(colors, false, true), plugins: { legend: { display: false } } },
    });
    make("chart-top-sales", {
      type: "bar",
      data: {
        labels: extras.top_by_sales.map(function (p) { return p.name; }),
        datasets: [{ label: t("dashboard.sales"), data: extras.top_by_sales.map(function (p) { return Number(p.sales); }), backgroundColor: colors.series[1] }],
      },
      options: { indexAxis: "y", scales: scales(colors, true, true), plugins: { legend: { display: false }, tooltip: moneyTooltip(true) } },
    });
    make("chart-categories", {
      type: "doughnut",
      data: {
        labels: extras.categories.map(function (c) { return c.name; }),
        datasets: [{ label: t("dashboard.sales"), data: extras.categories.map(function (c) { return Number(c.sales); }), backgroundColor: colors.series }],
      },
      options: { plugins: { legend: legend } },
    });
    make("chart-methods", {
      type: "doughnut",
      data: {
        labels: stats.payment_methods.map(function (p) { return p.method.toUpperCase(); }),
        datasets: [{ label: t("dashboard.amount"), data: stats.payment_methods.map(function (p) { return Number(p.amount); }), backgroundColor: colors.series }],
      },
      options: { plugins: { legend: legend } },
    });
  }

  function fillList(name, items) {
    const list = root.querySelector('[data-list="' + name + '"]');
    list.textContent = "";
    if (!items.length) {
      const none = document.createElement("li");
      none.className = "text-body-secondary";
      none.textContent = t("dashboard.none");
      list.appendChild(none);
    }
    items.forEach(function (p) {
      const li = document.createElement("li");
      li.textContent = p.name + " — " + p.stock + " " + p.unit;
      list.appendChild(li);
    });
  }

  function show(data) {
    stats = data;
    root.querySelector('[data-today="sales"]').textContent = money(data.today.sales);
    root.querySelector('[data-today="invoices"]').textContent = String(data.today.invoices);
    root.querySelector('[data-today="average_bill"]').textContent = money(data.today.average_bill);
    root.querySelector('[data-today="gross_profit"]').textContent = money(data.today.gross_profit);
    if (data.today.cash_in_drawer !== undefined) {
      root.querySelector('[data-today="cash_in_drawer"]').textContent = money(data.today.cash_in_drawer);
    }
    root.querySelector("[data-outstanding]").textContent = money(data.outstanding_credit);
    fillList("out_of_stock", data.out_of_stock);
    fillList("low_stock", data.low_stock);
    draw();
    document.getElementById("dash-status").textContent = t("dashboard.loaded");
    root.setAttribute("data-loaded", "1");
  }

  send(root.getAttribute("data-stats-url"), { headers: { Accept: "application/json" } })
    .then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    })
    .then(show)
    .catch(function (e) {
      document.getElementById("dash-status").classList.remove("visually-hidden");
      document.getElementById("dash-status").textContent = t("dashboard.load_failed", { reason: e.message });
    });

  // Redraw in the other theme's colours when the theme switch flips data-bs-theme.
  new MutationObserver(function () { if (stats) draw(); }).observe(document.documentElement, {
    attributes: true, attributeFilter: ["data-bs-theme"],
  });
}
