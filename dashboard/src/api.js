// The API client: one key per browser tab (sessionStorage only), JSON in and out, errors as ApiError.
const API = "/api/v1/leadscoring";
const KEY = "leadscoring.apiKey";

export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

// Each field the API named in a refusal, as "field: message".
export const fieldProblems = (error) => (error instanceof ApiError ? error.details.filter((d) => d.field).map((d) => `${d.field}: ${d.message}`) : []);

export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn: (key) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

export async function get(path, params = {}, { key = session.key(), signal } = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== ""));
  return request("GET", `${path}${query.size ? `?${query}` : ""}`, undefined, { key, signal });
}

// A change (POST, PUT): the body as JSON; the answer as get's.
export async function send(method, path, body, { key = session.key() } = {}) {
  return request(method, path, body, { key });
}

async function request(method, path, body, { key, signal }) {
  const headers = { "x-api-key": key ?? "", accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(`${API}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "NETWORK", "Could not reach the lead scoring API. Check your connection and try again.");
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const error = answer?.error ?? {};
    throw new ApiError(response.status, error.code ?? `HTTP_${response.status}`, error.message ?? response.statusText, error.details ?? []);
  }
  return answer;
}
