// A report page's chart (sales by day/month, category, method, tax by rate) with the vendored
// Chart.js. The figures arrive as exact decimal strings; Number() only places bars and points.
// The shop's currency and locale come from the canvas's data-currency and data-locale.

import { axisFormat, moneyFormat } from "./lib/money.js";

const canvas = document.getElementById("report-chart");
const source = document.getElementById("report-chart-data");
if (canvas && source && window.Chart) start(canvas, source);

function start(canvas, source) {
  const spec = JSON.parse(source.textContent);
  const currency = moneyFormat(canvas.dataset.locale, canvas.dataset.currency);
  // Axes in whole rupees: "₹12,000.00" on every tick only crowds the chart.
  const axis = axisFormat(canvas.dataset.locale, canvas.dataset.currency);
  let chart = null;

  function palette() {
    // Bootstrap's variables follow data-bs-theme, so reading them picks the light or dark set.
    const style = getComputedStyle(document.documentElement);
    function v(name) { return style.getPropertyValue(name).trim(); }
    return {
      text: v("--bs-body-color"),
      grid: v("--bs-border-color-translucent") || v("--bs-border-color"),
      series: [v("--bs-primary"), v("--bs-success"), v("--bs-warning"), v("--bs-info"),
               v("--bs-danger"), v("--bs-secondary"), "#6f42c1", "#d63384", "#fd7e14", "#20c997"],
    };
  }

  function draw() {
    if (chart) chart.destroy();
    const colors = palette();
    const round = spec.type === "doughnut";
    const datasets = spec.series.map(function (s, i) {
      const color = round ? colors.series : colors.series[i % colors.series.length];
      return {
        label: s.label,
        data: s.data.map(Number),
        backgroundColor: color,
        borderColor: round ? colors.text : color,
        borderWidth: round ? 0 : 2,
      };
    });
    const options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { display: round || datasets.length > 1, labels: { color: colors.text } },
        tooltip: { callbacks: { label: function (ctx) {
          const value = round ? ctx.parsed : ctx.parsed.y;
          return ctx.dataset.label + ": " + currency.format(value);
        } } },
      },
    };
    if (!round) {
      options.scales = {
        x: { ticks: { color: colors.text, autoSkip: true }, grid: { display: false } },
        y: {
          beginAtZero: true,
          ticks: { color: colors.text, callback: function (v) { return axis.format(v); } },
          grid: { color: colors.grid },
        },
      };
    }
    chart = new window.Chart(canvas, { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options });
    canvas.setAttribute("data-drawn", document.documentElement.getAttribute("data-bs-theme") || "light");
  }

  draw();
  // Redraw in the other theme's colours when the theme switch flips data-bs-theme.
  new MutationObserver(draw).observe(document.documentElement, {
    attributes: true, attributeFilter: ["data-bs-theme"],
  });
}
