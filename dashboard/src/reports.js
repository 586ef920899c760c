// The audit reports on the Audit page: data quality, model drift and bias over the leads created in a period
// (GET /audit/data-quality, /audit/drift, /audit/bias). Each report shows its status, its findings and its table.
import { ApiError, fieldProblems, get } from "./api.js";
import { count, dataTable, daysAgo, h, percent, ratio } from "./format.js";

const PERIODS = { 7: "Last 7 days", 30: "Last 30 days", 90: "Last 90 days" };
const STATUS_TEXT = {
  stable: "Stable",
  moderate: "Moderate drift",
  significant: "Significant drift",
  degraded: "Performance degraded",
  insufficient_data: "Not enough data",
  ok: "No concern",
  review: "Needs review",
};

function findingsList(id, findings) {
  if (!findings.length) return h("p", { class: "help", id }, "No findings.");
  return h(
    "ul",
    { class: "findings", id },
    findings.map((f) => h("li", { class: `finding finding-${f.severity}`, dataset: { severity: f.severity, subject: f.subject } }, h("strong", {}, `${f.severity}: `), f.message)),
  );
}

function statusBadge(id, status) {
  return h("span", { class: `badge report-status report-${status}`, id, dataset: { status } }, STATUS_TEXT[status] ?? status);
}

const num = (text) => h("td", { class: "num" }, text);
const sampleLine = (s) => `${count(s.leads)} leads created ${s.from} to ${s.to}${s.truncated ? ` (the newest ${count(s.max_leads)})` : ""}`;

function qualityReport(report) {
  const rows = report.features.map((f) =>
    h(
      "tr",
      { dataset: { feature: f.feature } },
      h("td", {}, f.feature),
      h("td", {}, f.type),
      num(percent(f.completeness)),
      num(percent(f.training_completeness)),
      num(percent(f.out_of_training_range)),
      num(percent(f.unseen_categories)),
      num(count(f.distinct_values)),
    ),
  );
  const hours = report.hours_since_newest_lead;
  return [
    h(
      "p",
      { class: "help" },
      `${sampleLine(report.sample)}. Mean completeness ${percent(report.mean_completeness)}; every required feature present on ${percent(report.all_required_present)}`,
      hours == null ? "." : `; newest lead ${hours < 1 ? "within the hour" : `${Math.round(hours)} h ago`}.`,
    ),
    findingsList("quality-findings", report.findings),
    dataTable("quality-table", "Data quality by feature", ["Feature", "Type", "Completeness", "In training", "Outside training range", "Unseen categories", "Distinct"], rows),
  ];
}

function driftReport(report) {
  const p = report.performance;
  const rows = report.features.map((f) =>
    h("tr", { dataset: { feature: f.feature, level: f.level ?? "" } }, h("td", {}, f.feature), h("td", {}, f.type), num(ratio(f.psi, 3)), num(ratio(f.chance_psi, 3)), h("td", {}, f.level ?? "—")),
  );
  return [
    h(
      "p",
      { class: "help" },
      `${report.model_id} v${report.model_version}: ${count(report.scored_leads)} of ${sampleLine(report.sample)} scored by this version. `,
      `Score PSI ${ratio(report.score.psi, 3)}, ${ratio(report.score.chance_psi, 3)} by chance alone (${report.score.level ?? "no reference"}). `,
      `ROC-AUC on ${count(p.with_outcome)} leads with an outcome ${ratio(p.roc_auc)} (training ${ratio(p.training_roc_auc)}).`,
    ),
    findingsList("drift-findings", report.findings),
    dataTable("drift-table", "Feature drift, strongest first", ["Feature", "Type", "PSI", "By chance", "Level"], rows),
  ];
}

function biasReport(report) {
  const rows = report.groups.map((g) =>
    h(
      "tr",
      { dataset: { group: g.group }, class: g.disparate_impact != null && g.disparate_impact < 0.8 ? "row-flagged" : null },
      h("td", {}, g.group),
      num(count(g.leads)),
      num(ratio(g.mean_score, 1)),
      num(percent(g.qualified_rate)),
      num(ratio(g.disparate_impact, 2)),
      num(percent(g.conversion_rate)),
      num(percent(g.true_positive_rate)),
    ),
  );
  return [
    h(
      "p",
      { class: "help" },
      `${sampleLine(report.sample)}, grouped by ${report.attribute}; groups of at least ${report.min_group_leads} leads are compared. `,
      `Lowest disparate impact ${ratio(report.lowest_disparate_impact, 2)} (four-fifths rule: 0.80); equal opportunity gap ${percent(report.equal_opportunity_gap)}.`,
    ),
    findingsList("bias-findings", report.findings),
    dataTable("bias-table", `Groups of ${report.attribute}`, ["Group", "Leads", "Mean score", "Qualified", "Disparate impact", "Converted", "Converted leads qualified"], rows),
  ];
}

export function reportsSection({ onUnauthorized }) {
  const controllers = {}; // one per report: changing the grouping reloads only the bias report
  const periodSelect = h("select", { id: "reports-period", name: "period" }, Object.entries(PERIODS).map(([days, label]) => h("option", { value: days, selected: days === "30" }, label)));
  const attributeSelect = h("select", { id: "bias-attribute", name: "attribute" }, h("option", { value: "source" }, "source"));
  const panels = {};
  for (const [name, title] of [
    ["quality", "Data quality"],
    ["drift", "Model drift"],
    ["bias", "Bias detection"],
  ]) {
    const body = h("div", { class: "report-body", id: `${name}-report` });
    const badge = h("span", { id: `${name}-status-slot` });
    panels[name] = { body, badge, element: h("section", { class: "panel report", id: `${name}-panel`, "aria-label": title, "aria-busy": "true" }, h("div", { class: "panel-head" }, h("h2", {}, title), badge), body) };
  }
  panels.bias.element.querySelector(".panel-head").append(h("div", { class: "field" }, h("label", { for: "bias-attribute" }, "Group by"), attributeSelect));
  const reports = {
    quality: ["/audit/data-quality", () => ({}), qualityReport],
    drift: ["/audit/drift", () => ({}), driftReport],
    bias: ["/audit/bias", () => ({ attribute: attributeSelect.value }), biasReport],
  };

  let deployed = true; // until GET /config says otherwise: drift is about a deployed model

  async function fill(name) {
    const [path, extra, render] = reports[name];
    if (name === "drift" && !deployed) {
      panels.drift.body.replaceChildren(h("p", { class: "help", id: "drift-none" }, "No model is deployed yet: drift compares the leads a deployed model scores with its training data."));
      panels.drift.element.removeAttribute("aria-busy");
      return;
    }
    controllers[name]?.abort();
    const controller = (controllers[name] = new AbortController());
    const { body, badge, element } = panels[name];
    const params = { from: daysAgo(Number(periodSelect.value) - 1), to: daysAgo(0), ...extra() };
    element.setAttribute("aria-busy", "true");
    try {
      const report = await get(path, params, { signal: controller.signal });
      body.replaceChildren(...render(report));
      badge.replaceChildren(report.status ? statusBadge(`${name}-status`, report.status) : "");
    } catch (error) {
      if (error.name === "AbortError") return;
      if (error instanceof ApiError && error.status === 401) return onUnauthorized();
      badge.replaceChildren();
      body.replaceChildren(h("p", { class: "form-error", role: "alert", id: `${name}-error` }, [error.message, ...fieldProblems(error)].join(". ")));
    } finally {
      if (!controller.signal.aborted) element.removeAttribute("aria-busy");
    }
  }

  async function loadAttributes() {
    try {
      const features = await get("/features");
      const groupable = features.items.filter((f) => f.is_active).map((f) => f.name); // numbers by quartile
      attributeSelect.append(...groupable.map((name) => h("option", { value: name }, name)));
    } catch {
      // The bias report still groups by source; the feature list only adds choices.
    }
  }

  periodSelect.addEventListener("change", () => Object.keys(reports).forEach(fill));
  attributeSelect.addEventListener("change", () => fill("bias"));

  return {
    element: h(
      "section",
      { class: "reports", "aria-label": "Audit reports" },
      h("div", { class: "page-head" }, h("h2", {}, "Reports"), h("div", { class: "field" }, h("label", { for: "reports-period" }, "Leads created"), periodSelect)),
      h("div", { class: "reports-grid" }, panels.quality.element, panels.drift.element, panels.bias.element),
    ),
    async start() {
      loadAttributes();
      fill("quality");
      fill("bias");
      try {
        deployed = Boolean((await get("/config")).active_model);
      } catch {
        // The drift report's own request says what is wrong.
      }
      fill("drift");
    },
    stop() {
      Object.values(controllers).forEach((controller) => controller.abort());
    },
  };
}
