// Chart.js instances of the Performance page. Each is created once and updated in place when filters change,
// so Chart.getChart(canvas) always answers with the data of the last report.
import { count, money, percent, score } from "./format.js";

const BLUE = "#1f6fb2";
const TEAL = "#0f8a6c";
const AMBER = "#b86e00";
const PURPLE = "#6b4fbb";
const GRID = "rgba(51, 78, 104, 0.15)";

const asPercent = (value) => percent(value);
const bandLabel = (band) => `${band.band} (${score(band.lower)}-${score(band.upper)})`;
const binLabel = (bin) => `${bin.lower}-${bin.upper}`;

function axes({ y, y1, indexAxis } = {}) {
  const scales = {
    x: { grid: { color: GRID }, ticks: { maxRotation: 0, autoSkip: true } },
    y: { beginAtZero: true, grid: { color: GRID }, ticks: { precision: 0, ...(y ?? {}) } },
  };
  if (y1) scales.y1 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: y1 };
  if (indexAxis === "y") [scales.x, scales.y] = [{ ...scales.y }, { ...scales.x }];
  return scales;
}

export function createCharts(Chart) {
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#334e68";
  Chart.defaults.animation = false; // screenshots and tests read a finished chart; data changes redraw at once
  Chart.defaults.maintainAspectRatio = false;

  const make = (id, config) => new Chart(document.getElementById(id), config);
  const tooltip = (format) => ({ callbacks: { label: (item) => `${item.dataset.label}: ${format(item.raw, item)}` } });

  const charts = {
    distribution: make("chart-distribution", {
      type: "bar",
      data: {
        labels: [],
        datasets: [
          { label: "Leads", data: [], backgroundColor: BLUE },
          { label: "Conversions", data: [], backgroundColor: TEAL },
        ],
      },
      options: { scales: axes(), plugins: { tooltip: tooltip((v) => count(v)) } },
    }),
    funnel: make("chart-funnel", {
      type: "bar",
      data: { labels: [], datasets: [{ label: "Leads", data: [], backgroundColor: [BLUE, BLUE, BLUE, TEAL, AMBER] }] },
      options: { indexAxis: "y", scales: axes({ indexAxis: "y" }), plugins: { legend: { display: false } } },
    }),
    volume: make("chart-volume", {
      type: "bar",
      data: { labels: [], datasets: [{ label: "Leads", data: [], backgroundColor: BLUE }] },
      options: { scales: axes(), plugins: { legend: { display: false } } },
    }),
    averageScore: make("chart-average-score", {
      type: "line",
      data: { labels: [], datasets: [{ label: "Average score", data: [], borderColor: PURPLE, backgroundColor: PURPLE, spanGaps: true }] },
      options: { scales: axes({ y: { precision: 1 } }), plugins: { legend: { display: false } } },
    }),
    conversions: make("chart-conversions", {
      type: "bar",
      data: {
        labels: [],
        datasets: [
          { label: "Conversions", data: [], backgroundColor: TEAL, yAxisID: "y" },
          { label: "Conversion rate", type: "line", data: [], borderColor: AMBER, backgroundColor: AMBER, yAxisID: "y1", spanGaps: true },
        ],
      },
      options: {
        scales: axes({ y1: { callback: asPercent } }),
        plugins: { tooltip: tooltip((v, item) => (item.datasetIndex === 1 ? percent(v) : count(v))) },
      },
    }),
    bands: make("chart-bands", {
      type: "bar",
      data: {
        labels: [],
        datasets: [
          { label: "Conversion rate", data: [], backgroundColor: TEAL, yAxisID: "y" },
          { label: "ROI", data: [], backgroundColor: AMBER, yAxisID: "y1" },
        ],
      },
      options: {
        scales: { ...axes({ y: { callback: asPercent, precision: 2 }, y1: { callback: asPercent } }), x: { ticks: { autoSkip: false } } },
        plugins: { tooltip: tooltip((v) => percent(v)) },
      },
    }),
  };

  return {
    update(analytics, currency) {
      const set = (chart, labels, ...series) => {
        chart.data.labels = labels;
        series.forEach((data, i) => {
          chart.data.datasets[i].data = data;
        });
        chart.update();
      };
      const bins = analytics.score_distribution;
      set(charts.distribution, bins.map(binLabel), bins.map((b) => b.leads), bins.map((b) => b.conversions));
      set(charts.funnel, analytics.funnel.map((s) => s.stage), analytics.funnel.map((s) => s.leads));
      const trends = analytics.trends;
      const periods = trends.map((t) => t.period_start);
      set(charts.volume, periods, trends.map((t) => t.lead_volume));
      set(charts.averageScore, periods, trends.map((t) => t.average_score));
      set(charts.conversions, periods, trends.map((t) => t.conversions), trends.map((t) => t.conversion_rate));
      const bands = analytics.score_bands;
      charts.bands.options.plugins.tooltip.callbacks.afterLabel = (item) =>
        item.datasetIndex === 1 ? `revenue ${money(bands[item.dataIndex]?.revenue, currency)}, cost ${money(bands[item.dataIndex]?.cost, currency)}` : "";
      set(charts.bands, bands.map(bandLabel), bands.map((b) => b.conversion_rate), bands.map((b) => b.roi));
    },
    destroy() {
      for (const chart of Object.values(charts)) chart.destroy();
    },
  };
}
