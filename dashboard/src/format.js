// Display formats. Charts keep the API's raw values; only labels and cards are formatted.
const DASH = "—";
const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export const isNumber = (value) => typeof value === "number" && Number.isFinite(value);
export const count = (value) => (isNumber(value) ? integer.format(value) : DASH);
export const percent = (value) => (isNumber(value) ? `${(value * 100).toFixed(1)}%` : DASH);
export const score = (value) => (isNumber(value) ? value.toFixed(1) : DASH);
export const ratio = (value, digits = 3) => (isNumber(value) ? value.toFixed(digits) : DASH);

export function money(value, currency) {
  if (!isNumber(value)) return DASH;
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}

// Today's times without the date: the live feed is mostly today.
export function dateTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const today = date.toDateString() === new Date().toDateString();
  return today ? date.toLocaleTimeString("en-US") : date.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" });
}

// ISO calendar days in UTC, the API's period unit.
export const isoDay = (date) => date.toISOString().slice(0, 10);
export function daysAgo(days, from = new Date()) {
  const date = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()));
  date.setUTCDate(date.getUTCDate() - days);
  return isoDay(date);
}

// Builds DOM without innerHTML, so API text (names, sources) can never become markup.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// A scrolling table with a caption for screen readers, column headers and body rows.
export function dataTable(id, caption, headers, rows, bodyAttributes = {}) {
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { id },
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, headers.map((label) => h("th", { scope: "col" }, label)))),
      h("tbody", bodyAttributes, rows),
    ),
  );
}
