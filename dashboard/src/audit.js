// Lead Scoring Audit: the trail of every scoring decision and every change (GET /audit/events), newest first,
// filtered by type and lead (kept in the address bar, so a filtered trail is a link), a page at a time.
import { ApiError, fieldProblems, get } from "./api.js";
import { dataTable, dateTime, h, score } from "./format.js";
import { reportsSection } from "./reports.js";

const PAGE_SIZE = 25;
const TYPES = {
  "": "All events",
  decision: "Scoring decisions",
  config_change: "Configuration changes",
  model_change: "Model changes",
  conversion: "Conversions",
  error: "Errors",
  monitoring_report: "Monitoring reports",
};
const REPORTS = { data_quality: "Data quality", drift: "Model drift", bias: "Bias" };

function readFilters() {
  const params = new URLSearchParams(location.search);
  const type = params.get("type") ?? "";
  return { type: type in TYPES ? type : "", lead_id: (params.get("lead_id") ?? "").trim() };
}

function writeFilters(filters) {
  const params = new URLSearchParams(Object.entries(filters).filter(([, value]) => value));
  history.replaceState(history.state, "", `${location.pathname}${params.size ? `?${params}` : ""}`);
}

// What an event says, in a line: the decision's outcome and strongest factors, or what changed.
function summary(event) {
  const d = event.details ?? {};
  if (event.type === "decision") {
    const factors = (list, sign) => (list ?? []).map((f) => `${sign}${f.feature}`);
    const explanation = d.explanation ? [...factors(d.explanation.top_positive, "+"), ...factors(d.explanation.top_negative, "−")] : [];
    const parts = [d.grade ? `grade ${d.grade}` : null, d.priority ? `${d.priority} priority` : null];
    if (d.job_id) parts.push(`batch job ${d.job_id}, row ${d.row}`);
    if (explanation.length) parts.push(explanation.join(" "));
    return parts.filter(Boolean).join(" · ");
  }
  if (event.type === "monitoring_report") {
    const first = d.findings?.[0];
    return [`${REPORTS[d.report] ?? d.report}: ${String(d.status ?? "").replaceAll("_", " ")}`, `${d.leads ?? 0} leads`, first ? first.message : "no findings"].join(" · ");
  }
  if (event.type === "conversion") return [d.from && d.to ? `${d.from} → ${d.to}` : null, d.revenue != null ? `revenue ${d.revenue}` : null].filter(Boolean).join(" · ");
  return String(d.change ?? d.message ?? "");
}

export function auditPage({ breadcrumb, onUnauthorized }) {
  let filters = readFilters();
  let controller = null;
  let cursor = null;

  const status = h("p", { class: "status", id: "audit-status", role: "status" });
  const alert = h("p", { class: "form-error", id: "audit-error", role: "alert" });
  const more = h("button", { type: "button", class: "button button-quiet audit-more", id: "audit-more", hidden: true }, "Load more");
  const typeSelect = h(
    "select",
    { id: "audit-type", name: "type" },
    Object.entries(TYPES).map(([value, label]) => h("option", { value, selected: value === filters.type }, label)),
  );
  const leadInput = h("input", { id: "audit-lead", name: "lead_id", value: filters.lead_id, autocomplete: "off", spellcheck: "false", size: 38 });
  const form = h(
    "form",
    { class: "filters", id: "audit-filters", "aria-label": "Filter the audit trail" },
    h("div", { class: "field" }, h("label", { for: "audit-type" }, "Type"), typeSelect),
    h("div", { class: "field" }, h("label", { for: "audit-lead" }, "Lead id"), leadInput),
    h("button", { type: "submit", class: "button" }, "Filter"),
    h("button", { type: "button", class: "button button-quiet", onclick: () => apply({ type: "", lead_id: "" }) }, "Clear"),
  );
  const headers = ["When", "Type", "Who", "Lead", "Model", "Score", "Threshold", "Qualified", "What", ""];
  const table = dataTable("audit-table", "Audit events, newest first", headers, [], { id: "audit-rows" });
  const body = table.querySelector("#audit-rows");
  const busy = table.querySelector("table"); // aria-busy while a page loads

  function leadLink(leadId) {
    if (!leadId) return "";
    const link = h("a", { href: `?lead_id=${encodeURIComponent(leadId)}`, class: "lead-link", "aria-label": `Events of lead ${leadId}` }, leadId);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      apply({ type: "", lead_id: leadId });
    });
    return link;
  }

  function rows(event) {
    const details = h("tr", { class: "audit-details", hidden: true }, h("td", { colspan: 10 }, h("pre", {}, JSON.stringify(event, null, 2))));
    const toggle = h("button", { type: "button", class: "button button-small button-quiet", "aria-expanded": "false", "aria-label": `Details of event ${event.event_id}` }, "Details");
    toggle.addEventListener("click", () => {
      details.hidden = !details.hidden;
      toggle.setAttribute("aria-expanded", String(!details.hidden));
    });
    const model = event.model_id ? `${event.model_id} v${event.model_version ?? "?"}` : "";
    const qualified = event.qualified == null ? "" : event.qualified ? "yes" : "no";
    const row = h(
      "tr",
      { dataset: { event: event.event_id, type: event.type } },
      h("td", {}, h("time", { datetime: event.at }, dateTime(event.at))),
      h("td", {}, TYPES[event.type] ?? event.type),
      h("td", {}, event.actor),
      h("td", {}, leadLink(event.lead_id)),
      h("td", {}, model),
      h("td", { class: "num" }, event.score == null ? "" : score(event.score)),
      h("td", { class: "num" }, event.threshold == null ? "" : String(event.threshold)),
      h("td", {}, qualified),
      h("td", { class: "audit-summary" }, summary(event)),
      h("td", {}, toggle),
    );
    return [row, details];
  }

  async function load(append) {
    controller?.abort();
    controller = new AbortController();
    const params = { ...filters, limit: PAGE_SIZE, cursor: append ? cursor : undefined };
    busy.setAttribute("aria-busy", "true");
    status.textContent = "Loading…";
    alert.textContent = "";
    try {
      const page = await get("/audit/events", params, { signal: controller.signal });
      if (!append) body.replaceChildren();
      body.append(...page.items.flatMap(rows));
      cursor = page.next_cursor ?? null;
      more.hidden = !cursor;
      const shown = body.querySelectorAll("tr[data-event]").length;
      status.textContent = shown ? `${shown} event${shown === 1 ? "" : "s"}${cursor ? ", more below" : ""}` : "No events match these filters.";
    } catch (error) {
      if (error.name === "AbortError") return;
      if (error instanceof ApiError && error.status === 401) return onUnauthorized();
      status.textContent = "";
      alert.textContent = [error.message, ...fieldProblems(error)].join(". ");
    } finally {
      busy.removeAttribute("aria-busy");
    }
  }

  function apply(next) {
    filters = { type: next.type in TYPES ? next.type : "", lead_id: next.lead_id.trim() };
    typeSelect.value = filters.type;
    leadInput.value = filters.lead_id;
    writeFilters(filters);
    load(false);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply({ type: typeSelect.value, lead_id: leadInput.value });
  });
  typeSelect.addEventListener("change", () => apply({ type: typeSelect.value, lead_id: leadInput.value }));
  more.addEventListener("click", () => load(true));

  const reports = reportsSection({ onUnauthorized });

  return {
    mount(root) {
      root.append(
        breadcrumb,
        h("div", { class: "page-head" }, h("h1", {}, "Lead Scoring Audit")),
        reports.element,
        h("div", { class: "page-head" }, h("h2", {}, "Audit trail"), status),
        h("p", { class: "help" }, "Every scoring decision (model, version, input hash, outcome and its strongest factors) and every change, with the API key that made it. No names, emails or phones are kept here."),
        form,
        alert,
        h("section", { class: "panel", "aria-label": "Audit trail" }, table, more),
      );
      load(false);
      reports.start();
    },
    unmount() {
      controller?.abort();
      reports.stop();
    },
  };
}
