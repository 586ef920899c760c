// The shell: sign-in, navigation (history API, deep links) and one view per route.
import { ApiError, get, session } from "./api.js";
import { auditPage } from "./audit.js";
import { h } from "./format.js";
import { performancePage } from "./performance.js";
import { settingsPage } from "./settings.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const signOutButton = document.getElementById("sign-out");

const ROUTES = {
  "/": "performance",
  "/lead-scoring": "performance",
  "/lead-scoring-settings": "settings",
  "/lead-scoring-audit": "audit",
};
const TITLES = {
  performance: "Lead Scoring Performance",
  settings: "Lead Scoring Settings",
  audit: "Lead Scoring Audit",
  notFound: "Page not found",
};

let current = null; // the mounted page: { unmount() }

function breadcrumb(title) {
  return h(
    "nav",
    { class: "breadcrumb", "aria-label": "Breadcrumb" },
    h("ol", {}, h("li", {}, "Lead Scoring"), h("li", { "aria-current": "page" }, title)),
  );
}

const PAGES = {
  performance: () => performancePage({ breadcrumb: breadcrumb(TITLES.performance), onUnauthorized: expired }),
  settings: () => settingsPage({ breadcrumb: breadcrumb(TITLES.settings), onUnauthorized: expired }),
  audit: () => auditPage({ breadcrumb: breadcrumb(TITLES.audit), onUnauthorized: expired }),
  notFound: () => ({
    mount(root) {
      root.append(
        h("h1", {}, TITLES.notFound),
        h("p", {}, "There is no page at this address. "),
        h("p", {}, h("a", { href: "/lead-scoring", "data-link": true }, "Go to Lead Scoring Performance")),
      );
    },
    unmount() {},
  }),
};

function render() {
  current?.unmount();
  current = null;
  main.replaceChildren();
  const signedIn = Boolean(session.key());
  nav.hidden = !signedIn;
  signOutButton.hidden = !signedIn;
  if (!signedIn) {
    document.title = "Sign in · Lead Scoring";
    main.append(signInForm());
    return;
  }
  const page = ROUTES[location.pathname.replace(/\/+$/, "") || "/"] ?? "notFound";
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${TITLES[page]} · Lead Scoring`;
  current = PAGES[page]();
  current.mount(main);
}

let signInMessage = "";

function signInForm() {
  const message = h("p", { class: "form-error", id: "sign-in-error", role: "alert" }, signInMessage);
  const input = h("input", {
    id: "api-key",
    name: "api-key",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "api-key-help sign-in-error",
  });
  const button = h("button", { type: "submit", class: "button" }, "Sign in");
  const form = h(
    "form",
    { class: "panel sign-in", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title" }, "Sign in to Lead Scoring"),
    h("label", { for: "api-key" }, "API key"),
    input,
    h("p", { class: "help", id: "api-key-help" }, "An admin or analyst key (x-api-key). It is kept in this browser tab only and forgotten when you sign out or close the tab."),
    message,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    button.disabled = true;
    message.textContent = "Checking the key…";
    try {
      await get("/config", {}, { key });
      signInMessage = "";
      session.signIn(key);
      render();
    } catch (error) {
      message.textContent = signInError(error);
      button.disabled = false;
      input.focus();
    }
  });
  queueMicrotask(() => input.focus());
  return form;
}

function signInError(error) {
  if (!(error instanceof ApiError)) return "Sign-in failed unexpectedly. Try again.";
  if (error.status === 401) return "That API key was not recognised. Check it and try again.";
  if (error.status === 403) return "This key's role cannot view the dashboard: use an admin or analyst key.";
  return error.message;
}

function expired() {
  session.signOut();
  signInMessage = "Your API key is no longer accepted. Sign in again.";
  render();
}

signOutButton.addEventListener("click", () => {
  session.signOut();
  signInMessage = "";
  render();
});

// In-app links change the route without a reload; the back button replays it.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  if (link.pathname !== location.pathname) history.pushState({}, "", link.pathname);
  render();
  main.focus();
});
window.addEventListener("popstate", render);

render();
