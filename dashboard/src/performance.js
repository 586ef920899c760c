// Lead Scoring Performance: filters, KPI cards, charts and tables from GET /performance and GET /analytics,
// and a live feed polled from GET /leads. Charts keep the API's raw values (rates 0-1); only labels format them.
import { ApiError, get } from "./api.js";
import { createCharts } from "./charts.js";
import { count, dateTime, daysAgo, h, money, percent, ratio, score } from "./format.js";

const FEED_INTERVAL_MS = 2500;
const FEED_SIZE = 20;
const NEW_FOR_MS = 10_000;
const REFRESH_AFTER_ARRIVAL_MS = 1500;
const PRESETS = {
  "7d": { label: "Last 7 days", days: 7, granularity: "day" },
  "30d": { label: "Last 30 days", days: 30, granularity: "day" },
  "90d": { label: "Last 90 days", days: 90, granularity: "week" },
  "12m": { label: "Last 12 months", days: 365, granularity: "month" },
  custom: { label: "Custom range" },
};
const GRANULARITIES = ["day", "week", "month"];

// The filters live in the address bar, so a filtered view is a link that can be shared or reloaded.
function readFilters() {
  const params = new URLSearchParams(location.search);
  const period = params.get("period") in PRESETS ? params.get("period") : params.get("from") || params.get("to") ? "custom" : "30d";
  const filters = { period, granularity: params.get("granularity"), source: params.get("source") ?? "" };
  if (!GRANULARITIES.includes(filters.granularity)) filters.granularity = PRESETS[period].granularity ?? "day";
  if (period === "custom") {
    filters.from = params.get("from") ?? daysAgo(29);
    filters.to = params.get("to") ?? daysAgo(0);
  } else {
    filters.from = daysAgo(PRESETS[period].days - 1);
    filters.to = daysAgo(0);
  }
  return filters;
}

function writeFilters(filters) {
  const params = new URLSearchParams({ period: filters.period });
  if (filters.period === "custom") {
    params.set("from", filters.from);
    params.set("to", filters.to);
  }
  params.set("granularity", filters.granularity);
  if (filters.source) params.set("source", filters.source);
  history.replaceState(history.state, "", `${location.pathname}?${params}`);
}

const KPIS = [
  { metric: "lead_volume", label: "Lead volume", format: (t) => count(t.lead_volume), sub: () => "leads scored in the period" },
  { metric: "average_score", label: "Average score", format: (t) => score(t.average_score), sub: () => "mean score, 0-100" },
  {
    metric: "high_quality_share",
    label: "High-quality leads",
    format: (t) => percent(t.high_quality_share),
    sub: (t, r) => `${count(t.high_quality_leads)} at or above the qualified threshold (${r.qualified_threshold})`,
  },
  { metric: "conversion_rate", label: "Conversion rate", format: (t) => percent(t.conversion_rate), sub: (t) => `${count(t.conversions)} converted` },
  {
    metric: "score_accuracy",
    label: "Score accuracy (ROC-AUC)",
    value: (t) => t.score_accuracy.roc_auc,
    format: (t) => ratio(t.score_accuracy.roc_auc),
    sub: (t) => {
      const a = t.score_accuracy;
      return `on ${count(a.based_on)} outcomes (${count(a.converted)} converted, ${count(a.lost)} lost) · precision ${percent(a.precision)} · recall ${percent(a.recall)}`;
    },
  },
  { metric: "revenue", label: "Revenue attributed", format: (t, r) => money(t.revenue, r.currency), sub: () => "from converted scored leads" },
  { metric: "revenue_per_lead", label: "Revenue per lead", secondary: true, format: (t, r) => money(t.revenue_per_lead, r.currency), sub: () => "revenue / leads" },
  {
    metric: "cost_per_conversion",
    label: "Cost per conversion",
    secondary: true,
    format: (t, r) => money(t.cost_per_conversion, r.currency),
    sub: (t, r) => `lead cost ${money(t.cost, r.currency)}`,
  },
  { metric: "roi", label: "ROI", secondary: true, format: (t) => percent(t.roi), sub: () => "(revenue - cost) / cost" },
];

export function performancePage({ breadcrumb, onUnauthorized }) {
  let filters = readFilters();
  let charts = null;
  let request = null; // AbortController of the report being fetched
  let loading = false;
  let refreshTimer = null;
  let feedTimer = null;
  let feedController = null;
  let feedRows = null; // the feed's rows at the previous poll; null until the first poll
  let stopped = false;
  const knownSources = new Set();

  const el = {};

  function filterForm() {
    el.period = h(
      "select",
      { id: "filter-period", name: "period" },
      Object.entries(PRESETS).map(([value, preset]) => h("option", { value }, preset.label)),
    );
    el.from = h("input", { id: "filter-from", name: "from", type: "date" });
    el.to = h("input", { id: "filter-to", name: "to", type: "date" });
    el.granularity = h(
      "select",
      { id: "filter-granularity", name: "granularity" },
      GRANULARITIES.map((g) => h("option", { value: g }, g[0].toUpperCase() + g.slice(1))),
    );
    el.source = h("select", { id: "filter-source", name: "source" }, h("option", { value: "" }, "All sources"));
    el.filterError = h("p", { class: "form-error", id: "filter-error", role: "alert" });
    const field = (label, control) => h("div", { class: "field" }, h("label", { for: control.id }, label), control);
    const form = h(
      "form",
      { class: "filters", "aria-label": "Report filters" },
      field("Period", el.period),
      field("From", el.from),
      field("To", el.to),
      field("Granularity", el.granularity),
      field("Source", el.source),
      el.filterError,
    );
    form.addEventListener("submit", (event) => event.preventDefault());
    el.period.addEventListener("change", () => {
      const preset = PRESETS[el.period.value];
      const next = { ...filters, period: el.period.value };
      if (preset.days) {
        next.from = daysAgo(preset.days - 1);
        next.to = daysAgo(0);
        next.granularity = preset.granularity;
      }
      apply(next);
    });
    for (const input of [el.from, el.to]) {
      input.addEventListener("change", () => apply({ ...filters, period: "custom", from: el.from.value, to: el.to.value }));
    }
    el.granularity.addEventListener("change", () => apply({ ...filters, granularity: el.granularity.value }));
    el.source.addEventListener("change", () => apply({ ...filters, source: el.source.value }));
    return form;
  }

  function showFilters() {
    el.period.value = filters.period;
    el.from.value = filters.from;
    el.to.value = filters.to;
    el.granularity.value = filters.granularity;
    if (filters.source) knownSources.add(filters.source);
    const options = [...knownSources].sort();
    el.source.replaceChildren(h("option", { value: "" }, "All sources"), ...options.map((s) => h("option", { value: s }, s)));
    el.source.value = filters.source;
  }

  function apply(next) {
    if (!next.from || !next.to) {
      el.filterError.textContent = "Choose both a start and an end date.";
      return;
    }
    if (next.from > next.to) {
      el.filterError.textContent = "The start date must be on or before the end date.";
      return;
    }
    el.filterError.textContent = "";
    filters = next;
    writeFilters(filters);
    load();
  }

  function kpiCards() {
    el.kpis = {};
    const card = (kpi) => {
      const value = h("p", { class: "kpi-value" }, "…");
      const sub = h("p", { class: "kpi-sub" });
      const node = h(
        "article",
        { class: `kpi${kpi.secondary ? " kpi-secondary" : ""}`, dataset: { kpi: kpi.metric }, "aria-labelledby": `kpi-${kpi.metric}` },
        h("h3", { id: `kpi-${kpi.metric}` }, kpi.label),
        value,
        sub,
      );
      el.kpis[kpi.metric] = { node, value, sub };
      return node;
    };
    return h(
      "section",
      { class: "kpis", "aria-label": "Key metrics" },
      h("div", { class: "kpi-grid" }, KPIS.filter((k) => !k.secondary).map(card)),
      h("div", { class: "kpi-grid kpi-grid-secondary" }, KPIS.filter((k) => k.secondary).map(card)),
    );
  }

  function chartPanel(id, title, description, wide = false) {
    return h(
      "figure",
      { class: `panel chart${wide ? " chart-wide" : ""}`, "aria-labelledby": `${id}-title` },
      h("figcaption", {}, h("h3", { id: `${id}-title` }, title), h("p", { class: "help" }, description)),
      h("div", { class: "chart-box" }, h("canvas", { id, role: "img", "aria-label": `${title}: ${description}` })),
    );
  }

  function tablePanel(id, title, columns) {
    const body = h("tbody");
    el[id] = body;
    return h(
      "section",
      { class: "panel table-panel", "aria-labelledby": `${id}-title` },
      h("h3", { id: `${id}-title` }, title),
      h(
        "div",
        { class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": `${id}-title` },
        h("table", { id }, h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))), body),
      ),
    );
  }

  function feedPanel() {
    el.feedBody = h("tbody");
    el.feedStatus = h("p", { class: "help", id: "feed-status" }, "Connecting…");
    // Announces arrivals only: the poll's own status would make a screen reader speak every 2.5 s.
    el.feedAnnouncer = h("p", { class: "visually-hidden", role: "status" });
    return h(
      "section",
      { class: "panel feed", id: "live-feed", "aria-labelledby": "feed-title" },
      h(
        "div",
        { class: "panel-head" },
        h("h2", { id: "feed-title" }, h("span", { class: "live-dot", "aria-hidden": "true" }), "Live feed: newly scored leads"),
        el.feedStatus,
        el.feedAnnouncer,
      ),
      h(
        "div",
        { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "Newly scored leads" },
        h(
          "table",
          { id: "feed-table" },
          h("thead", {}, h("tr", {}, ["Lead", "Score", "Grade", "Source", "Company", "Qualified", "Scored"].map((c) => h("th", { scope: "col" }, c)))),
          el.feedBody,
        ),
      ),
    );
  }

  function mount(root) {
    el.status = h("p", { class: "status", id: "report-status", role: "status" });
    el.error = h("div", { class: "panel notice notice-error", id: "report-error", role: "alert", hidden: true });
    el.empty = h("div", { class: "panel notice", id: "report-empty", hidden: true });
    el.report = h(
      "div",
      { class: "report", id: "report" },
      kpiCards(),
      el.empty,
      (el.charts = h(
        "div",
        { class: "chart-grid", id: "report-charts" },
        chartPanel("chart-distribution", "Score distribution", "Leads and conversions per score range"),
        chartPanel("chart-funnel", "Conversion funnel", "Leads that reached each stage"),
        chartPanel("chart-volume", "Lead volume trend", "Leads scored per period"),
        chartPanel("chart-average-score", "Average score trend", "Mean score per period"),
        chartPanel("chart-conversions", "Conversions trend", "Conversions and conversion rate per period"),
        chartPanel("chart-bands", "Conversion and ROI by score band", "Grades A-D from the qualified and priority thresholds"),
        tablePanel("table-sources", "Top performing sources", ["Source", "Leads", "Avg score", "High quality", "Conversion", "Revenue", "ROI"]),
        tablePanel("table-geography", "Geographic analysis", ["Country", "Leads", "Avg score", "High quality", "Conversions", "Conversion"]),
      )),
    );
    root.append(
      breadcrumb,
      h("div", { class: "page-head" }, h("h1", {}, "Lead Scoring Performance"), el.status),
      filterForm(),
      el.error,
      el.report,
      feedPanel(),
    );
    charts = createCharts(window.Chart);
    showFilters();
    load();
    pollFeed();
  }

  // quiet: a refresh after new leads arrived, drawn in place without the loading state; it never
  // interrupts a report the user asked for, and a failure leaves the current report up.
  async function load({ quiet = false } = {}) {
    if (quiet && loading) return;
    request?.abort();
    const controller = new AbortController();
    request = controller;
    loading = true;
    const params = { from: filters.from, to: filters.to, granularity: filters.granularity, source: filters.source };
    if (!quiet) {
      el.report.setAttribute("aria-busy", "true");
      el.report.classList.add("is-loading");
      el.error.hidden = true;
      el.status.textContent = "Loading…";
    }
    showFilters();
    try {
      const [performance, analytics] = await Promise.all([
        get("/performance", params, { signal: controller.signal }),
        get("/analytics", params, { signal: controller.signal }),
      ]);
      if (controller !== request) return;
      if (!filters.source) for (const s of analytics.top_sources) knownSources.add(s.source);
      showReport(performance, analytics);
      showFilters();
      el.status.textContent = `Updated ${new Date().toLocaleTimeString("en-US")}`;
    } catch (error) {
      if (error.name === "AbortError" || controller !== request) return;
      if (error instanceof ApiError && error.status === 401) return onUnauthorized();
      if (quiet && !el.report.hidden) el.status.textContent = `Refresh failed: ${error.message}`;
      else showError(error);
    } finally {
      if (controller === request) {
        loading = false;
        el.report.removeAttribute("aria-busy");
        el.report.classList.remove("is-loading");
      }
    }
  }

  function showError(error) {
    // Details name the offending parameter; shown when the message does not already say it.
    const details = error instanceof ApiError ? error.details.map((d) => `${d.field}: ${d.message}`) : [];
    const detail = details.filter((d) => !error.message.includes(d)).join("; ");
    const retry = h("button", { type: "button", class: "button", onclick: () => load() }, "Try again");
    el.error.replaceChildren(
      h("h2", {}, "The report could not be loaded"),
      h("p", {}, error instanceof ApiError && error.status ? `${error.message} (HTTP ${error.status})` : error.message),
      ...(detail ? [h("p", { class: "help" }, detail)] : []),
      retry,
    );
    el.error.hidden = false;
    el.report.hidden = true;
    el.status.textContent = "Failed to load";
  }

  function showReport(performance, analytics) {
    el.report.hidden = false;
    const totals = performance.totals;
    for (const kpi of KPIS) {
      const card = el.kpis[kpi.metric];
      const value = kpi.value ? kpi.value(totals) : totals[kpi.metric];
      card.node.dataset.value = JSON.stringify(value ?? null);
      if (kpi.metric === "score_accuracy") card.node.dataset.basedOn = String(totals.score_accuracy.based_on);
      card.value.textContent = kpi.format(totals, performance);
      card.sub.textContent = kpi.sub(totals, performance);
    }
    const empty = totals.lead_volume === 0;
    el.empty.hidden = !empty;
    el.charts.hidden = empty;
    if (empty) {
      const scope = filters.source ? ` from source “${filters.source}”` : "";
      el.empty.replaceChildren(
        h("h2", {}, "No leads in this period"),
        h("p", {}, `No leads${scope} were scored between ${filters.from} and ${filters.to}. Choose a longer period or another source.`),
      );
    }
    charts.update(analytics, performance.currency);
    fillSources(analytics.top_sources, performance.currency);
    fillGeography(analytics.geography);
  }

  function fillSources(sources, currency) {
    el["table-sources"].replaceChildren(
      ...sources.map((s) =>
        h(
          "tr",
          { dataset: { source: s.source } },
          h("th", { scope: "row" }, s.source),
          h("td", {}, count(s.leads)),
          h("td", {}, score(s.average_score)),
          h("td", {}, percent(s.high_quality_share)),
          h("td", {}, percent(s.conversion_rate)),
          h("td", {}, money(s.revenue, currency)),
          h("td", {}, percent(s.roi)),
        ),
      ),
    );
  }

  function fillGeography(regions) {
    el["table-geography"].replaceChildren(
      ...regions.map((r) =>
        h(
          "tr",
          { dataset: { region: r.region } },
          h("th", { scope: "row" }, r.region),
          h("td", {}, count(r.leads)),
          h("td", {}, score(r.average_score)),
          h("td", {}, percent(r.high_quality_share)),
          h("td", {}, count(r.conversions)),
          h("td", {}, percent(r.conversion_rate)),
        ),
      ),
    );
  }

  async function pollFeed() {
    if (stopped) return;
    if (document.visibilityState !== "hidden") {
      feedController = new AbortController();
      try {
        const page = await get("/leads", { limit: FEED_SIZE }, { signal: feedController.signal });
        if (stopped) return;
        showFeed(page.items);
        el.feedStatus.textContent = `Live · checked ${new Date().toLocaleTimeString("en-US")}`;
      } catch (error) {
        if (error.name === "AbortError" || stopped) return;
        if (error instanceof ApiError && error.status === 401) return onUnauthorized();
        el.feedStatus.textContent = `Live feed paused: ${error.message} Retrying…`;
      }
    }
    feedTimer = setTimeout(pollFeed, FEED_INTERVAL_MS);
  }

  // Rows are kept by lead and score time, so a row's highlight is not restarted by the next poll; a lead
  // first seen after the first poll is highlighted for NEW_FOR_MS.
  function showFeed(leads) {
    const previous = feedRows;
    feedRows = new Map();
    if (!leads.length) {
      el.feedBody.replaceChildren(h("tr", {}, h("td", { colspan: 7, class: "help" }, "No leads scored yet. New leads appear here as they are scored.")));
      return;
    }
    let arrived = 0;
    for (const lead of leads) {
      const key = `${lead.id}@${lead.scored_at}`;
      const known = previous?.get(key);
      if (!known && previous !== null) arrived += 1;
      feedRows.set(key, known ?? feedRow(lead, previous !== null));
    }
    el.feedBody.replaceChildren(...feedRows.values());
    if (arrived) {
      el.feedAnnouncer.textContent = arrived === 1 ? "1 new lead scored" : `${arrived} new leads scored`;
      // New leads count in a period that reaches today: redraw the report once the burst has settled.
      if (filters.to >= daysAgo(0)) {
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(() => load({ quiet: true }), REFRESH_AFTER_ARRIVAL_MS);
      }
    }
  }

  function feedRow(lead, fresh) {
    const badge = fresh ? h("span", { class: "badge badge-new" }, "New") : null;
    const row = h(
      "tr",
      { class: fresh ? "is-new" : null, dataset: { leadId: lead.id } },
      h("td", {}, h("span", { class: "lead-name" }, lead.name), h("span", { class: "lead-email" }, lead.email), badge),
      h("td", { class: "num" }, score(lead.score)),
      h("td", {}, lead.grade ? h("span", { class: `grade grade-${lead.grade}` }, lead.grade) : "—"),
      h("td", {}, lead.source),
      h("td", {}, lead.company ?? "—"),
      h("td", {}, lead.qualified ? "Yes" : "No"),
      h("td", {}, h("time", { datetime: lead.scored_at }, dateTime(lead.scored_at))),
    );
    if (fresh) {
      setTimeout(() => {
        row.classList.remove("is-new");
        badge.remove();
      }, NEW_FOR_MS);
    }
    return row;
  }

  function unmount() {
    stopped = true;
    request?.abort();
    feedController?.abort();
    clearTimeout(feedTimer);
    clearTimeout(refreshTimer);
    charts?.destroy();
  }

  return { mount, unmount };
}
