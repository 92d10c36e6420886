// A reference browser client for Gatehouse: plain JavaScript, no framework, no build step.
//
// What it shows:
// - Tokens never touch JavaScript. Gatehouse sets them as HttpOnly cookies; every call uses
//   `credentials: "include"` so the browser sends them. The tokens in the JSON answers are ignored
//   on purpose: keeping them in memory or localStorage would hand them to any injected script.
// - An access token lives minutes. When a call answers 401, the client refreshes once (the
//   refresh cookie rotates) and retries the call once. Concurrent 401s in one tab share one
//   refresh; two tabs refreshing at the same moment are fine too (Gatehouse's reuse grace).
//
// The API's address comes from `?api=` (default http://localhost:8000); the API must list this
// page's origin in CLIENT_ORIGIN.
"use strict";

const API = (new URLSearchParams(location.search).get("api") || "http://localhost:8000").replace(/\/$/, "");

const $ = (selector) => document.querySelector(selector);

// ---------------------------------------------------------------- talking to the API

class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : describeValidation(detail));
    this.status = status;
  }
}

// Thrown by `authed` once the session is over; the page already shows the login form.
class SessionEnded extends Error {}

// FastAPI's 422 list -> "email: value is not a valid email address; ...".
function describeValidation(detail) {
  if (!Array.isArray(detail)) return "Request failed";
  return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
}

async function call(method, path, body) {
  const init = { method, credentials: "include", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.detail);
  return data;
}

let refreshing = null;  // the refresh in flight, shared by every call that saw a 401

function refreshOnce() {
  if (!refreshing) {
    refreshing = call("POST", "/api/auth/refresh").finally(() => { refreshing = null; });
  }
  return refreshing;
}

// A call that needs the access token: on 401, refresh and retry once. A failed refresh means the
// session is over (logged out elsewhere, expired, or revoked): the page shows the login form.
async function authed(method, path, body) {
  try {
    return await call(method, path, body);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
  }
  try {
    await refreshOnce();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;  // the network, not the session
    const wasSignedIn = document.body.dataset.state === "signed-in";
    showSignedOut(wasSignedIn ? "Your session has ended; please log in again." : "");
    throw new SessionEnded(error.message);
  }
  return call(method, path, body);
}

// ---------------------------------------------------------------- what the page shows

function say(message, kind = "info") {
  const status = $("#status");
  status.textContent = message;
  status.className = message ? kind : "";
}

function showSignedOut(message = "") {
  $("#signed-in").hidden = true;
  $("#signed-out").hidden = false;
  document.body.dataset.state = "signed-out";
  say(message);
}

async function showSignedIn() {
  const me = await authed("GET", "/api/users/me");
  for (const dd of document.querySelectorAll("#profile [data-field]")) {
    const value = me[dd.dataset.field] ?? "";
    dd.textContent = dd.dataset.field.endsWith("_at") ? when(value) : value;
  }
  await renderSessions();
  $("#signed-out").hidden = true;
  $("#signed-in").hidden = false;
  document.body.dataset.state = "signed-in";
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

async function renderSessions() {
  const { sessions } = await authed("GET", "/api/users/me/sessions");
  const body = $("#sessions tbody");
  body.replaceChildren();
  for (const session of sessions) {
    const row = document.createElement("tr");
    row.dataset.sessionId = session.id;
    if (session.current) row.className = "current";
    const device = session.user_agent || "unknown device";
    for (const [text, className] of [[device, "device"], [session.ip || "", ""],
                                     [when(session.created_at), ""], [when(session.last_used_at), ""]]) {
      const cell = document.createElement("td");
      cell.textContent = text;  // textContent: server data never becomes markup
      if (className) {
        cell.className = className;
        cell.title = text;
      }
      row.append(cell);
    }
    const action = document.createElement("td");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = session.current ? "Log out this device" : "Log out";
    button.addEventListener("click", () =>
      session.current ? logout() : run(endSession, session.id));
    action.append(button);
    row.append(action);
    body.append(row);
  }
}

// Runs an action from a button or form, turning failures into a message instead of a console error.
async function run(action, ...args) {
  try {
    await action(...args);
  } catch (error) {
    if (!(error instanceof SessionEnded)) say(error.message || String(error), "error");
  }
}

// ---------------------------------------------------------------- actions

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

async function login(form) {
  const { email, password } = formValues(form);
  await call("POST", "/api/auth/login", { email, password });
  form.reset();
  await showSignedIn();
  say("Logged in.");
}

async function register(form) {
  const user = await call("POST", "/api/auth/register", formValues(form));
  form.reset();
  $("#login-form [name=email]").value = user.email;
  say(`Account created for ${user.email}. You can log in now.`);
}

async function endSession(id) {
  await authed("DELETE", `/api/users/me/sessions/${encodeURIComponent(id)}`);
  await renderSessions();
  say("That device is logged out.");
}

async function logoutOthers() {
  const answer = await authed("POST", "/api/auth/logout?scope=others");
  await renderSessions();
  say(`Logged out everywhere else (${answer.sessions_ended ?? 0} ended).`);
}

async function logout() {
  try {
    await authed("POST", "/api/auth/logout");
  } finally {
    showSignedOut("Logged out.");
  }
}

// ---------------------------------------------------------------- wiring

$("#api-base").textContent = API;
$("#login-form").addEventListener("submit", (e) => { e.preventDefault(); run(login, e.target); });
$("#register-form").addEventListener("submit", (e) => { e.preventDefault(); run(register, e.target); });
$("#reload-button").addEventListener("click", () => run(async () => { await showSignedIn(); say("Profile reloaded."); }));
$("#logout-button").addEventListener("click", () => run(logout));
$("#logout-others-button").addEventListener("click", () => run(logoutOthers));

// On load: ask for the profile. With a live session it shows; with an expired access token the
// refresh cookie renews it; with neither the login form shows, without a message.
run(showSignedIn).then(() => {
  if (document.body.dataset.state !== "signed-in") showSignedOut();
});
