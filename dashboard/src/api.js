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

export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn: (key) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

export async function get(path, params = {}, { key = session.key(), signal } = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== ""));
  const url = `${API}${path}${query.size ? `?${query}` : ""}`;
  let response;
  try {
    response = await fetch(url, { headers: { "x-api-key": key ?? "", accept: "application/json" }, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "NETWORK", "Could not reach the lead scoring API. Check your connection and try again.");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = body?.error ?? {};
    throw new ApiError(response.status, error.code ?? `HTTP_${response.status}`, error.message ?? response.statusText, error.details ?? []);
  }
  return body;
}
