// The control API, as the page calls it: JSON in and out, the admin token as a bearer header.

const TOKEN_KEY = "freepik-mock.admin-token";
// Marks the page's background reads, which `serve`'s console log leaves out (it would
// otherwise print a few lines every second while the page is open). Actions are logged.
const POLL_HEADER = "X-Freepik-Mock-Dashboard";

/** An answer that is not a success: its HTTP status and the control API's message. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** The admin token this tab was given, or null. */
export function adminToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keep the token for this tab only (session storage is never sent anywhere by itself). */
export function setAdminToken(token) {
  if (token) {
    sessionStorage.setItem(TOKEN_KEY, token);
  } else {
    sessionStorage.removeItem(TOKEN_KEY);
  }
}

/** ``path`` with the query ``params`` (empty values left out). */
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") {
      query.set(name, value);
    }
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * Call the control API; resolves to the parsed JSON (null for 204), rejects with ApiError
 * carrying the API's own message (``{"message"}``), or with a TypeError when the mock is down.
 * With ``{raw: true}`` the body is a string of JSON text, sent unchanged; ``{background: true}``
 * marks a read made by polling.
 */
export async function call(method, path, body, { raw = false, background = false } = {}) {
  const headers = { Accept: "application/json" };
  if (background) {
    headers[POLL_HEADER] = "poll";
  }
  const token = adminToken();
  if (token) {
    headers.Authorization = `Bearer ${token}`;
  }
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    // ``raw``: text typed by a person, sent as it is so that the API judges it.
    init.body = raw ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) {
    return null;
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message =
      data && typeof data.message === "string"
        ? data.message
        : `${response.status} ${response.statusText}`.trim();
    throw new ApiError(response.status, message);
  }
  return data;
}

/** A read made by polling (see POLL_HEADER). */
export function read(path) {
  return call("GET", path, undefined, { background: true });
}
