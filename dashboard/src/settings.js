// Lead Scoring Settings: thresholds and lead costs (GET/PUT /config), every model version with its holdout metrics
// side by side, deploy and rollback (GET /models, POST /models/{id}/deploy), and the features leads are scored on
// (GET/POST/PUT /features). The API validates every change; its messages are shown as they come.
import { ApiError, fieldProblems, get, send } from "./api.js";
import { count, dataTable, dateTime, h, ratio } from "./format.js";

const FAMILIES = ["behavioral", "demographic", "firmographic", "engagement"];
const TYPES = ["numerical", "categorical", "boolean"];

export function settingsPage({ breadcrumb, onUnauthorized }) {
  let alive = true;

  // A change the API refused, as a person reads it: the message and each field it names.
  function problem(error) {
    if (error instanceof ApiError && error.status === 401) {
      onUnauthorized();
      return "";
    }
    if (!(error instanceof ApiError)) return "Something went wrong. Try again.";
    if (error.status === 403) return "Only an admin key can change settings; this key can read them.";
    const fields = fieldProblems(error);
    return fields.length ? `${error.message}. ${fields.join("; ")}` : error.message;
  }

  function section(id, title, help) {
    const status = h("p", { class: "status", id: `${id}-status`, role: "status" });
    const alert = h("p", { class: "form-error", id: `${id}-error`, role: "alert" });
    const body = h("div", { id: `${id}-body` });
    const element = h(
      "section",
      { class: "panel settings-section", id, "aria-labelledby": `${id}-title` },
      h("div", { class: "panel-head" }, h("h2", { id: `${id}-title` }, title), status),
      h("p", { class: "help" }, help),
      alert,
      body,
    );
    return { element, status, alert, body };
  }

  // Runs a change: the button waits, the outcome is said, the section is read again on success.
  async function change(part, button, action, done) {
    button.disabled = true;
    part.alert.textContent = "";
    part.status.textContent = "Saving…";
    try {
      const answer = await action();
      if (!alive) return;
      part.status.textContent = done(answer);
    } catch (error) {
      if (!alive) return;
      part.status.textContent = "";
      part.alert.textContent = problem(error);
    } finally {
      button.disabled = false;
    }
  }

  // -- thresholds and lead costs ------------------------------------------------------------------------
  const thresholds = section(
    "thresholds",
    "Thresholds and lead costs",
    "Qualified leads score at or above the qualified threshold; high priority (grade A) at or above the high one, low priority below the low one. New scores use them at once.",
  );

  function numberField(id, label, value, attributes = {}) {
    return h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      h("input", { id, name: id, type: "number", step: "any", value: value ?? "", ...attributes }),
    );
  }

  function renderThresholds(config) {
    const form = h(
      "form",
      { class: "settings-form", id: "thresholds-form" },
      numberField("threshold-qualified", "Qualified at", config.thresholds.qualified, { min: 0, max: 100 }),
      numberField("threshold-high", "High priority at", config.thresholds.high_priority, { min: 0, max: 100 }),
      numberField("threshold-low", "Low priority below", config.thresholds.low_priority, { min: 0, max: 100 }),
      h(
        "div",
        { class: "field" },
        h("label", { for: "currency" }, "Currency"),
        h("input", { id: "currency", name: "currency", value: config.currency, maxlength: 3, size: 4, autocomplete: "off" }),
      ),
      numberField("cost-default", "Cost per lead", config.cost_per_lead.default, { min: 0 }),
      h("button", { type: "submit", class: "button" }, "Save thresholds"),
    );
    const value = (id) => form.querySelector(`#${id}`).valueAsNumber;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const update = {
        thresholds: { qualified: value("threshold-qualified"), high_priority: value("threshold-high"), low_priority: value("threshold-low") },
        currency: form.querySelector("#currency").value.trim().toUpperCase(),
        cost_per_lead: { default: value("cost-default"), by_source: config.cost_per_lead.by_source },
      };
      change(thresholds, form.querySelector("button"), () => send("PUT", "/config", update), (saved) => {
        renderThresholds(saved);
        return "Saved: new scores use these thresholds.";
      });
    });
    thresholds.body.replaceChildren(form);
  }

  // -- models -------------------------------------------------------------------------------------------
  const models = section(
    "models",
    "Models",
    "Every trained version with the metrics of its holdout, side by side. Deploying a version makes it score new leads; deploying an older one is the rollback.",
  );

  function renderModels(list) {
    if (!list.items.length) {
      models.body.replaceChildren(h("p", {}, "No model has been trained yet (POST /models, then POST /models/{id}/train)."));
      return;
    }
    const metric = (value) => ratio(value, 3);
    const rows = list.items.map((m) => {
      const name = `${m.id} version ${m.version}`;
      const action = m.is_active
        ? h("span", { class: "badge badge-active" }, "Active")
        : h("button", { type: "button", class: "button button-small", "aria-label": `Deploy ${name}` }, "Deploy");
      if (!m.is_active) {
        // Two clicks: a deploy changes how every new lead is scored, so a stray click must not do it.
        let armed = false;
        action.addEventListener("click", () => {
          if (!armed) {
            armed = true;
            action.textContent = "Confirm deploy";
            action.setAttribute("aria-label", `Confirm deploy ${name}`);
            models.status.textContent = `${name} would score every new lead from now on. Click Confirm deploy to go ahead.`;
            return;
          }
          change(models, action, () => send("POST", `/models/${encodeURIComponent(m.id)}/deploy`, { version: m.version }), () => {
            load("models");
            return `${name} now scores new leads.`;
          });
        });
      }
      return h(
        "tr",
        { dataset: { model: m.id, version: m.version } },
        h("th", { scope: "row" }, m.name && m.name !== m.id ? `${m.id} (${m.name})` : m.id),
        h("td", {}, m.version),
        h("td", {}, m.model_type.replaceAll("_", " ")),
        h("td", { class: "num" }, metric(m.roc_auc)),
        h("td", { class: "num" }, metric(m.accuracy)),
        h("td", { class: "num" }, metric(m.precision)),
        h("td", { class: "num" }, metric(m.recall)),
        h("td", { class: "num" }, metric(m.f1_score)),
        h("td", { class: "num" }, count(m.training_rows)),
        h("td", {}, dateTime(m.created_at)),
        h("td", {}, action),
      );
    });
    const headers = ["Model", "Version", "Type", "ROC-AUC", "Accuracy", "Precision", "Recall", "F1", "Training rows", "Trained", "Scoring"];
    models.body.replaceChildren(dataTable("models-table", "Model versions and their holdout metrics", headers, rows));
  }

  // -- features -----------------------------------------------------------------------------------------
  const features = section(
    "features",
    "Features",
    "What leads are scored on. Leads may carry a new feature at once; models use the definitions from their next training. Weight is a prior on a feature's influence (0 leaves it out).",
  );

  function rulesText(rules) {
    return rules
      .map((rule) => {
        if (rule.type === "required") return "required";
        if (rule.type === "allowed_values") return `one of ${rule.value.length} values`;
        return `${rule.type.replace("_", " ")} ${rule.value}`;
      })
      .join(", ");
  }

  function select(id, label, options, value) {
    return h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      h("select", { id, name: id }, options.map((option) => h("option", { value: option, selected: option === value }, option))),
    );
  }

  function textField(id, label, value, attributes = {}) {
    return h("div", { class: "field field-wide" }, h("label", { for: id }, label), h("input", { id, name: id, value: value ?? "", autocomplete: "off", ...attributes }));
  }

  // One form adds a feature or changes the one being edited (its name is its id and stays).
  function featureForm(feature) {
    const editing = Boolean(feature);
    const form = h(
      "form",
      { class: "settings-form", id: "feature-form", "aria-label": editing ? `Edit feature ${feature.name}` : "Add a feature" },
      h("h3", {}, editing ? `Edit ${feature.name}` : "Add a feature"),
      editing ? null : textField("feature-name", "Name", "", { pattern: "[a-z][a-z0-9_]{0,63}", required: true }),
      select("feature-family", "Family", FAMILIES, feature?.family ?? "engagement"),
      select("feature-type", "Type", TYPES, feature?.type ?? "numerical"),
      numberField("feature-weight", "Weight", feature?.weight ?? 1, { min: 0, max: 10 }),
      h(
        "div",
        { class: "field field-check" },
        h("input", { id: "feature-active", name: "feature-active", type: "checkbox", checked: feature ? feature.is_active : true }),
        h("label", { for: "feature-active" }, "Active"),
      ),
      textField("feature-transformation", "Transformation", feature?.transformation, { placeholder: "e.g. impute(median) | log1p" }),
      textField("feature-description", "Description", feature?.description),
      h("button", { type: "submit", class: "button" }, editing ? "Save feature" : "Add feature"),
      editing ? h("button", { type: "button", class: "button button-quiet", onclick: () => showForm(null) }, "Cancel") : null,
    );
    const text = (id) => form.querySelector(`#${id}`).value.trim() || null;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const definition = {
        family: form.querySelector("#feature-family").value,
        type: form.querySelector("#feature-type").value,
        weight: form.querySelector("#feature-weight").valueAsNumber,
        is_active: form.querySelector("#feature-active").checked,
        transformation: text("feature-transformation"),
        description: text("feature-description"),
      };
      const button = form.querySelector("button[type=submit]");
      if (editing) {
        change(features, button, () => send("PUT", `/features/${encodeURIComponent(feature.name)}`, definition), (saved) => {
          load("features");
          return `Saved ${saved.name}.`;
        });
      } else {
        const name = form.querySelector("#feature-name").value.trim();
        const created = Object.fromEntries(Object.entries({ name, ...definition }).filter(([, v]) => v !== null));
        change(features, button, () => send("POST", "/features", created), (saved) => {
          load("features");
          return `Added ${saved.name}: leads may carry it now.`;
        });
      }
    });
    return form;
  }

  let formSlot = h("div");
  function showForm(feature) {
    const form = featureForm(feature);
    formSlot.replaceChildren(form);
    if (feature) form.querySelector("#feature-weight").focus();
  }

  function renderFeatures(list) {
    const rows = list.items.map((f) => {
      const edit = h("button", { type: "button", class: "button button-small button-quiet", "aria-label": `Edit ${f.name}` }, "Edit");
      edit.addEventListener("click", () => showForm(f));
      return h(
        "tr",
        { dataset: { feature: f.name } },
        h("th", { scope: "row" }, f.name),
        h("td", {}, f.family),
        h("td", {}, f.type),
        h("td", { class: "num" }, String(f.weight)),
        h("td", {}, f.is_active ? "yes" : "no"),
        h("td", {}, f.transformation ?? ""),
        h("td", {}, rulesText(f.validation_rules)),
        h("td", {}, edit),
      );
    });
    const headers = ["Name", "Family", "Type", "Weight", "Active", "Transformation", "Rules", ""];
    formSlot = h("div", { class: "feature-form-slot" }, featureForm(null));
    features.body.replaceChildren(dataTable("features-table", "Scoring features", headers, rows), formSlot);
  }

  // -- loading ------------------------------------------------------------------------------------------
  const sources = {
    thresholds: { part: thresholds, path: "/config", render: renderThresholds },
    models: { part: models, path: "/models", render: renderModels },
    features: { part: features, path: "/features", render: renderFeatures },
  };

  async function load(name) {
    const { part, path, render } = sources[name];
    part.element.setAttribute("aria-busy", "true");
    try {
      const answer = await get(path);
      if (!alive) return;
      render(answer);
    } catch (error) {
      if (!alive) return;
      part.alert.textContent = problem(error);
    } finally {
      part.element.removeAttribute("aria-busy");
    }
  }

  return {
    mount(root) {
      root.append(
        breadcrumb,
        h("h1", {}, "Lead Scoring Settings"),
        h("div", { class: "settings" }, thresholds.element, models.element, features.element),
      );
      for (const name of Object.keys(sources)) load(name);
    },
    unmount() {
      alive = false;
    },
  };
}
