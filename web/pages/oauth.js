// OAuth sign-in of URL servers, for the servers pages. `oauthSection(server)` is the "Sign-in"
// section of one server: its status per auth scope (valid, refreshable, expired; never a token),
// "Sign in" (opens the provider in a new tab; the section turns to connected when the callback
// lands, live over /events) and "Sign out". `oauthNotices()` is the list page's banner of refresh
// failures, each with what to do.
import { api, h, relativeTime, stream } from "../api.js";

const OAUTH_EVENTS = new Set(["oauth.connected", "oauth.token_refreshed", "oauth.refresh_failed", "oauth.revoked"]);
const STATE_CLASS = { valid: "ok", refreshable: "warn", expired: "bad", signed_out: "muted" };
const STATUS_TEXT = {
  connected: "signed in",
  expired: "signed in, token expired",
  pending: "waiting for the sign-in to finish",
  failed: "the sign-in failed",
  not_connected: "not signed in",
};

/** The sign-in section of a URL server; returns { element, stop }. */
export function oauthSection(server) {
  let alive = true;
  const status = h("p", { class: "cfg-status", role: "status", id: "oauth-status" });
  const failure = h("p", { class: "form-error", role: "alert", id: "oauth-error" });
  const table = h("div", { id: "oauth-scopes" });
  const signIn = h("button", { type: "button", class: "primary", "data-action": "oauth-sign-in", onclick: () => start() }, "Sign in");
  const signOut = h("button", { type: "button", "data-action": "oauth-sign-out", onclick: () => revokeAll() }, "Sign out");
  const element = h("section", { id: "server-oauth", "aria-labelledby": "server-oauth-title" },
    h("h2", { id: "server-oauth-title" }, "Sign-in (OAuth)"),
    h("div", { class: "cfg-toolbar", role: "group", "aria-label": "Sign-in actions" }, signIn, signOut),
    status, failure, table);
  const path = `/api/v1/downstreams/${encodeURIComponent(server.id)}`;
  let last = null;

  async function refresh() {
    let answer;
    try {
      answer = await api("GET", `${path}/oauth-status`);
    } catch (error) {
      if (error.status !== 401 && alive) failure.textContent = `Could not read the sign-in status: ${error.message}`;
      return;
    }
    if (!alive) return;
    last = answer;
    element.dataset.status = answer.status;
    status.textContent = `Status: ${STATUS_TEXT[answer.status] || answer.status}.`;
    failure.textContent = answer.error || "";
    signOut.disabled = !answer.scopes.some((scope) => scope.state !== "signed_out");
    signIn.textContent = answer.status === "connected" ? "Sign in again" : "Sign in";
    if (!answer.scopes.length) {
      table.replaceChildren(h("p", { class: "muted" }, "No OAuth scope yet: signing in creates one."));
      return;
    }
    table.replaceChildren(h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Auth scope"), h("th", { scope: "col" }, "Token"), h("th", { scope: "col" }, "Expires"),
        h("th", { scope: "col" }, "OAuth scopes"), h("th", { scope: "col" }, "Provider"))),
      h("tbody", {}, answer.scopes.map((scope) => h("tr", { "data-scope": scope.auth_scope_name },
        h("th", { scope: "row" }, scope.auth_scope_name),
        h("td", {}, h("span", { class: STATE_CLASS[scope.state] || "", "data-state": scope.state }, scope.state.replace("_", " ")),
          scope.last_error ? h("div", { class: "bad cfg-small" }, scope.last_error) : null),
        h("td", {}, scope.expires_at ? relativeTime(scope.expires_at) : "—"),
        h("td", {}, scope.scopes.length ? scope.scopes.join(" ") : "—"),
        h("td", {}, scope.provider ? `${scope.provider} (${scope.registration})` : "—")))))));
  }

  async function start() {
    failure.textContent = "";
    signIn.disabled = true;
    // Opened before the request so the browser does not treat it as an unasked pop-up.
    const tab = window.open("about:blank", "_blank");
    try {
      const started = await api("POST", `${path}/oauth-setup`, {});
      if (tab) tab.location.href = started.authorization_url;
      status.replaceChildren("Finish signing in in the new tab (or ",
        h("a", { href: started.authorization_url, target: "_blank", rel: "noopener", id: "oauth-authorization-link" }, "open it here"),
        "). This page updates when it is done.");
    } catch (error) {
      tab?.close();
      if (error.status !== 401) failure.textContent = `Could not start the sign-in: ${error.message}`;
    } finally {
      signIn.disabled = false;
    }
  }

  async function revokeAll() {
    failure.textContent = "";
    for (const scope of last?.scopes || []) {
      if (scope.state === "signed_out") continue;
      try {
        await api("POST", `/api/v1/auth-scopes/${encodeURIComponent(scope.auth_scope_id)}/oauth/revoke`);
      } catch (error) {
        if (error.status !== 401) failure.textContent = `Could not sign ${scope.auth_scope_name} out: ${error.message}`;
      }
    }
    await refresh();
  }

  const stopEvents = stream("/events", ({ event, data }) => {
    if (OAUTH_EVENTS.has(event) && data?.server_id === server.id) refresh();
  });
  refresh();
  return {
    element,
    stop() {
      alive = false;
      stopEvents();
    },
  };
}

/** The list page's banner: each server whose token could not be refreshed, and what to do. */
export function oauthNotices() {
  const failures = new Map();
  const element = h("div", { id: "oauth-notices", role: "alert" });
  const draw = () => element.replaceChildren(...[...failures.values()].map((data) =>
    h("p", { class: "form-error", "data-server": data.server_name },
      h("a", { href: `#/servers/${encodeURIComponent(data.server_name)}` }, data.server_name), `: ${data.reason}`)));
  const stop = stream("/events?types=oauth.connected,oauth.token_refreshed,oauth.refresh_failed,oauth.revoked", ({ event, data }) => {
    if (!data?.server_id) return;
    if (event === "oauth.refresh_failed") failures.set(data.server_id, data);
    else failures.delete(data.server_id);
    draw();
  });
  return { element, stop };
}
