// Servers (downstreams). `#/servers`: a table with each server's live state, kept current from
// /events (`servers.changed`, `tools.indexed`) and a poll every few seconds, and a form to add
// one. `#/servers/NAME`: one server with its state and definition, its tools, the tail of its
// stderr, and Discover, Restart, Stop, Enable/Disable, Edit and Delete (a 409 that lists the
// route rules using it offers to delete them with it).
import { api, clearFormErrors, confirmButton, h, pairsText, parsePairs, relativeTime, showFormError, stream, wholeNumber } from "../api.js";
import { oauthNotices, oauthSection } from "./oauth.js";
import { toolChangesSection } from "./tool-changes.js";

const POLL_MS = 5000;
const LOG_LINES = 100;
const STATE_CLASS = { running: "ok", starting: "warn", backoff: "warn", crash_loop: "bad", stopped: "muted" };
const HEALTH_CLASS = { healthy: "ok", failing: "warn", unhealthy: "bad", unknown: "muted" };

export async function render(view) {
  const key = location.hash.replace(/^#\/?/, "").split("?")[0].split("/")[1];
  return key ? renderDetail(view, decodeURIComponent(key)) : renderList(view);
}

/** Calls `refresh` soon after a server or catalog event, and every POLL_MS; returns a stop. */
function follow(refresh) {
  let timer = null;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  };
  const stop = stream("/events", ({ event }) => {
    if (["servers.changed", "tools.indexed", "tools.quarantined", "config.reloaded"].includes(event)) soon();
  });
  const poll = setInterval(refresh, POLL_MS);
  return () => {
    stop();
    clearInterval(poll);
    clearTimeout(timer);
  };
}

function stateBadge(status) {
  const state = status?.state || "unknown";
  const details = [];
  if (status?.instances > 1) details.push(`${status.instances} instances`);
  if (status?.crashes) details.push(`${status.crashes} crash${status.crashes === 1 ? "" : "es"}`);
  if (status?.restart_in_sec != null) details.push(`retry in ${Math.ceil(status.restart_in_sec)} s`);
  if (status?.protocol_version) details.push(`MCP ${status.protocol_version}`);
  return h("span", { class: `cfg-state ${STATE_CLASS[state] || ""}`, "data-state": state },
    h("span", { "aria-hidden": "true" }, "● "), state.replace("_", " "),
    details.length ? h("span", { class: "muted" }, ` (${details.join(", ")})`) : null);
}

/** What the periodic health checks (ping) found: state, failures, when last checked. */
function healthBadge(health) {
  const state = health?.state || "unknown";
  const details = [];
  if (health?.consecutive_failures) details.push(`${health.consecutive_failures} failed in a row`);
  if (health?.error_count) details.push(`${health.error_count} failed check${health.error_count === 1 ? "" : "s"} in all`);
  if (health?.last_check) details.push(`checked ${relativeTime(health.last_check)}`);
  if (health?.response_time_ms != null && health?.last_result === "ok") details.push(`${health.response_time_ms} ms`);
  return h("span", { class: `cfg-state ${HEALTH_CLASS[state] || ""}`, "data-health": state },
    h("span", { "aria-hidden": "true" }, "● "), state,
    details.length ? h("span", { class: "muted" }, ` (${details.join(", ")})`) : null);
}

const serverPath = (server) => `/api/v1/downstreams/${encodeURIComponent(server.id)}`;

// ---- the list -------------------------------------------------------------------------------

async function renderList(view) {
  let alive = true;
  const status = h("p", { class: "cfg-status", role: "status" });
  const failure = h("p", { class: "form-error", role: "alert" });
  const table = h("div", { id: "servers-table", "aria-live": "off" });
  const notices = oauthNotices();
  const form = serverForm("server-create", null, "Add server");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = serverBody(form, null);
    if (!body) return;
    try {
      const saved = await api("POST", "/api/v1/downstreams", body);
      status.replaceChildren(`Added server ${saved.name}. `, h("a", { href: `#/servers/${encodeURIComponent(saved.name)}` }, `Open ${saved.name}`),
        " to discover its tools.");
      form.reset();
      syncTransport(form);
      await refresh();
    } catch (error) {
      if (error.status === 401) return;
      showFormError(form, error);
    }
  });

  view.append(
    h("h1", { tabindex: "-1" }, "Servers"),
    h("p", { class: "muted" }, "The downstream MCP servers Junction starts (a command) or reaches (a URL). Their tools appear to clients as ",
      h("code", {}, "namespace__tool"), ". Open a server to see its tools and stderr, discover, restart or stop it."),
    status,
    failure,
    notices.element,
    table,
    h("section", { "aria-labelledby": "server-create-title" }, h("h2", { id: "server-create-title" }, "Add a server"), form),
  );

  let drawn = null;
  async function refresh() {
    let servers;
    try {
      servers = await api("GET", "/api/v1/downstreams");
      failure.textContent = "";
    } catch (error) {
      if (error.status !== 401 && alive) failure.textContent = `Could not load servers: ${error.message}`;
      return;
    }
    // Redraw only what changed: a poll that finds the same servers leaves focus and selection be.
    const snapshot = JSON.stringify(servers);
    if (!alive || snapshot === drawn) return;
    drawn = snapshot;
    if (servers.length === 0) {
      table.replaceChildren(h("p", { class: "muted" }, "No servers yet: add one below."));
      return;
    }
    const focused = document.activeElement?.closest?.("#servers-table tr[data-name]")?.dataset.name;
    table.replaceChildren(
      h("div", { class: "table-wrap", role: "region", "aria-labelledby": "servers-caption", tabindex: "0" },
        h("table", {},
          h("caption", { id: "servers-caption", class: "cfg-caption" }, `${servers.length} server${servers.length === 1 ? "" : "s"}`),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, "Name"),
            h("th", { scope: "col" }, "State"),
            h("th", { scope: "col" }, "Health"),
            h("th", { scope: "col" }, "Enabled"),
            h("th", { scope: "col" }, "Namespace"),
            h("th", { scope: "col" }, "Tools"),
            h("th", { scope: "col" }, "Transport"),
            h("th", { scope: "col" }, "Mode"))),
          h("tbody", {}, servers.map((server) =>
            h("tr", { "data-name": server.name, "data-id": server.id },
              h("th", { scope: "row" }, h("a", { href: `#/servers/${encodeURIComponent(server.name)}` }, server.name)),
              h("td", {}, stateBadge(server.status),
                server.status?.last_error ? h("div", { class: "cfg-small bad cfg-error-line", title: server.status.last_error }, server.status.last_error) : null),
              h("td", {}, healthBadge(server.status?.health)),
              h("td", {}, server.enabled ? "yes" : h("span", { class: "warn" }, "disabled"), server.quarantined ? h("div", { class: "bad cfg-small" }, "quarantined") : null),
              h("td", {}, h("code", {}, server.namespace)),
              h("td", { class: "cfg-num", "data-tool-count": String(server.tool_count) }, String(server.tool_count)),
              h("td", {}, server.transport),
              h("td", {}, server.instance_mode === "per_session" ? "per session" : "shared")))))),
    );
    if (focused) table.querySelector(`tr[data-name="${CSS.escape(focused)}"] a`)?.focus();
  }

  await refresh();
  const stop = follow(refresh);
  return () => {
    alive = false;
    stop();
    notices.stop();
  };
}

// ---- one server -----------------------------------------------------------------------------

async function renderDetail(view, key) {
  let alive = true;
  let server;
  try {
    server = await api("GET", `/api/v1/downstreams/${encodeURIComponent(key)}`);
  } catch (error) {
    if (error.status === 404) {
      view.append(h("p", {}, h("a", { href: "#/servers" }, "← All servers")), h("h1", {}, "No such server"),
        h("p", { role: "alert" }, `There is no server named ${key}.`));
      return;
    }
    throw error;
  }

  const title = h("h1", { tabindex: "-1" }, `Server ${server.name}`);
  const result = h("p", { class: "cfg-status", role: "status", id: "server-action-result" });
  const failure = h("div", { class: "form-error cfg-action-error", role: "alert", id: "server-action-error" });
  const overview = h("dl", { class: "cfg-dl", id: "server-overview" });
  const toolsBox = h("div", { id: "server-tools" });
  const logs = h("pre", { id: "server-logs", class: "cfg-logs", tabindex: "0", "aria-labelledby": "server-logs-title" });
  const editSection = h("section", { id: "server-edit", "aria-labelledby": "server-edit-title", hidden: true });
  const buttons = {
    discover: h("button", { type: "button", class: "primary", "data-action": "discover", onclick: () => act("discover") }, "Discover"),
    restart: h("button", { type: "button", "data-action": "restart", onclick: () => act("restart") }, "Restart"),
    stop: h("button", { type: "button", "data-action": "stop", onclick: () => act("stop") }, "Stop"),
    enable: h("button", { type: "button", "data-action": "enable", onclick: () => setEnabled() }, server.enabled ? "Disable" : "Enable"),
    edit: h("button", { type: "button", "data-action": "edit", onclick: () => openEdit() }, "Edit"),
  };
  const remove = confirmButton("Delete", `Delete ${server.name}`, () => deleteServer(false), { "data-action": "delete" });
  // URL servers may need signing in.
  const oauth = server.transport === "http" ? oauthSection(server) : null;
  // Tools quarantined because their definition changed (tool pinning), with their diffs.
  const toolChanges = toolChangesSection(server);

  view.append(
    h("p", { class: "cfg-back" }, h("a", { href: "#/servers" }, "← All servers")),
    title,
    h("div", { class: "cfg-toolbar", role: "group", "aria-label": "Server actions" },
      buttons.discover, buttons.restart, buttons.stop, buttons.enable, buttons.edit, remove),
    result,
    failure,
    overview,
    editSection,
    oauth?.element ?? "",
    toolChanges.element,
    h("section", { "aria-labelledby": "server-tools-title" }, h("h2", { id: "server-tools-title" }, "Tools"), toolsBox),
    h("section", { "aria-labelledby": "server-logs-title" },
      h("div", { class: "cfg-section-head" },
        h("h2", { id: "server-logs-title" }, `Standard error (last ${LOG_LINES} lines)`),
        h("button", { type: "button", "data-action": "logs", onclick: () => refreshLogs() }, "Refresh")),
      logs),
  );

  function drawOverview() {
    const rows = [
      ["State", [stateBadge(server.status), server.status?.last_error ? h("div", { class: "bad cfg-pre-line" }, server.status.last_error) : null]],
      ["Health", [healthBadge(server.status?.health),
        server.status?.health?.last_result && server.status.health.last_result !== "ok"
          ? h("div", { class: "bad cfg-pre-line" }, server.status.health.last_result) : null]],
      ["Enabled", server.enabled ? "yes" : h("span", { class: "warn" }, "no: clients do not see its tools")],
      server.quarantined ? ["Quarantined", h("span", { class: "bad" }, "yes: its tools changed and wait for review")] : null,
      ["Namespace", h("code", {}, `${server.namespace}__*`)],
      ["Transport", server.transport],
      server.transport === "http"
        ? ["URL", h("code", {}, server.url || "—")]
        : ["Command", h("code", { class: "cfg-wrap" }, [server.command, ...server.args].filter(Boolean).map(shellWord).join(" "))],
      server.cwd ? ["Working directory", h("code", {}, server.cwd)] : null,
      Object.keys(server.env || {}).length ? ["Environment", h("code", { class: "cfg-pre-line" }, pairsText(server.env))] : null,
      Object.keys(server.headers || {}).length ? ["Headers", h("code", { class: "cfg-pre-line" }, pairsText(server.headers))] : null,
      ["Instances", server.instance_mode === "per_session" ? "one per client session" : "one shared by every session"],
      ["Timeouts", `idle ${server.idle_timeout_sec} s, call ${server.call_timeout_sec} s`],
      ["Calls at once", server.max_concurrent_calls == null ? "as the setting max_concurrent_calls says"
        : server.max_concurrent_calls === 0 ? "no cap" : `${server.max_concurrent_calls}; more wait in line`],
      ["Tools", String(server.tool_count)],
      ["Changed", relativeTime(server.updated_at)],
    ].filter(Boolean);
    overview.replaceChildren(...rows.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))));
    buttons.enable.textContent = server.enabled ? "Disable" : "Enable";
    title.textContent = `Server ${server.name}`;
  }

  function drawTools(tools) {
    if (!tools.length) {
      toolsBox.replaceChildren(h("p", { class: "muted" }, "No tools known yet: Discover starts the server and lists what it offers."));
      return;
    }
    toolsBox.replaceChildren(
      h("div", { class: "table-wrap", role: "region", "aria-labelledby": "server-tools-caption", tabindex: "0" },
        h("table", {},
          h("caption", { id: "server-tools-caption", class: "cfg-caption" }, `${tools.length} tool${tools.length === 1 ? "" : "s"}, as clients see them`),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Tool"), h("th", { scope: "col" }, "Title"), h("th", { scope: "col" }, "Description"))),
          h("tbody", {}, tools.map((tool) =>
            h("tr", { "data-tool": tool.name },
              h("th", { scope: "row" }, h("code", {}, `${server.namespace}__${tool.name}`)),
              h("td", {}, tool.title || ""),
              h("td", { class: "cfg-description" }, tool.description || "")))))));
  }

  async function refreshLogs() {
    if (!alive) return;
    try {
      const answer = await api("GET", `${serverPath(server)}/logs?lines=${LOG_LINES}`);
      if (!alive) return;
      const text = answer.lines.length ? answer.lines.join("\n") : "(nothing logged yet)";
      if (logs.textContent !== text) {
        const atBottom = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
        logs.textContent = text;
        if (atBottom) logs.scrollTop = logs.scrollHeight;
      }
    } catch (error) {
      if (error.status !== 401 && alive) logs.textContent = `Could not read the log: ${error.message}`;
    }
  }

  let lastToolCount = -1;
  async function refresh() {
    if (!alive) return;
    try {
      server = await api("GET", serverPath(server));
    } catch (error) {
      if (error.status === 404 && alive) location.hash = "#/servers";
      return;
    }
    if (!alive) return;
    drawOverview();
    await toolChanges.refresh();
    if (server.tool_count !== lastToolCount && alive) {
      lastToolCount = server.tool_count;
      try {
        drawTools(await api("GET", `${serverPath(server)}/tools`));
      } catch (error) {
        if (error.status !== 401) toolsBox.replaceChildren(h("p", { class: "form-error" }, `Could not list tools: ${error.message}`));
      }
    }
    await refreshLogs();
  }

  function showFailure(prefix, error) {
    // A server that cannot start says why over several lines (with its stderr tail).
    failure.replaceChildren(h("p", {}, prefix), h("pre", { class: "cfg-logs" }, error.message));
  }

  async function act(action) {
    const button = buttons[action];
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    failure.replaceChildren();
    result.textContent = { discover: "Discovering…", restart: "Restarting…", stop: "Stopping…" }[action];
    try {
      const answer = await api("POST", `${serverPath(server)}/${action}`);
      if (!alive) return;
      if (action === "discover") {
        result.textContent = `Discovered ${answer.tools.length} tool${answer.tools.length === 1 ? "" : "s"}, ` +
          `${answer.resource_count} resource${answer.resource_count === 1 ? "" : "s"} and ${answer.prompt_count} prompt${answer.prompt_count === 1 ? "" : "s"}.`;
        drawTools(answer.tools);
        lastToolCount = answer.tools.length;
      } else {
        result.textContent = action === "restart" ? `Restarted ${server.name}.` : `Stopped ${server.name}.`;
      }
      await refresh();
    } catch (error) {
      if (error.status === 401 || !alive) return;
      result.textContent = "";
      showFailure(`${action[0].toUpperCase()}${action.slice(1)} failed:`, error);
      await refresh();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  async function setEnabled() {
    const enabled = !server.enabled;
    buttons.enable.disabled = true;
    failure.replaceChildren();
    try {
      server = await api("PUT", serverPath(server), { enabled });
      result.textContent = enabled ? `Enabled ${server.name}.` : `Disabled ${server.name}: clients no longer see its tools.`;
      drawOverview();
    } catch (error) {
      if (error.status !== 401) showFailure(`Could not ${enabled ? "enable" : "disable"} ${server.name}:`, error);
    } finally {
      buttons.enable.disabled = false;
      buttons.enable.focus();
    }
  }

  function openEdit() {
    const form = serverForm("server-edit-form", server, "Save");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = serverBody(form, server);
      if (!body) return;
      try {
        const renamed = body.name !== server.name;
        server = await api("PUT", serverPath(server), body);
        result.textContent = `Saved ${server.name}; it starts with the new definition on its next call.`;
        closeEdit();
        if (renamed) history.replaceState(null, "", `#/servers/${encodeURIComponent(server.name)}`);
        await refresh();
      } catch (error) {
        if (error.status !== 401) showFormError(form, error);
      }
    });
    form.querySelector(".cfg-buttons").append(h("button", { type: "button", onclick: closeEdit }, "Cancel"));
    editSection.replaceChildren(h("h2", { id: "server-edit-title" }, `Edit ${server.name}`), form);
    editSection.hidden = false;
    form.querySelector("input").focus();
  }

  function closeEdit() {
    editSection.hidden = true;
    editSection.replaceChildren();
    buttons.edit.focus();
  }

  async function deleteServer(force) {
    failure.replaceChildren();
    // No refresh of a server about to go (it would ask for it after it is gone).
    alive = false;
    try {
      await api("DELETE", `${serverPath(server)}${force ? "?force=true" : ""}`);
      location.hash = "#/servers";
    } catch (error) {
      alive = true;
      if (error.status === 401) return;
      if (error.status === 409 && !force) {
        failure.replaceChildren(
          h("p", {}, `${error.message}.`),
          h("p", {}, "Deleting it anyway deletes those rules and its auth scopes with it. ",
            h("button", { type: "button", class: "danger", "data-action": "force-delete", onclick: () => deleteServer(true) },
              `Delete ${server.name} and its rules`)));
        failure.querySelector("button").focus();
      } else {
        showFailure(`Could not delete ${server.name}:`, error);
      }
    }
  }

  drawOverview();
  await refresh();
  const stop = follow(refresh);
  return () => {
    alive = false;
    stop();
    oauth?.stop();
  };
}

/** A word of a command line as a shell would need it quoted (for display only). */
function shellWord(word) {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

// ---- the create / edit form -----------------------------------------------------------------

function serverForm(prefix, server, submitLabel) {
  const id = (name) => `${prefix}-${name}`;
  const text = (name, value, attributes = {}) =>
    h("input", { id: id(name), name, autocomplete: "off", spellcheck: "false", value: value ?? undefined, ...attributes });
  const area = (name, value, attributes = {}) => {
    const element = h("textarea", { id: id(name), name, rows: "3", spellcheck: "false", autocomplete: "off", ...attributes });
    element.value = value || "";
    return element;
  };
  const transport = h("select", { id: id("transport"), name: "transport" },
    h("option", { value: "stdio", selected: server?.transport !== "http" }, "Command (stdio)"),
    h("option", { value: "http", selected: server?.transport === "http" }, "URL (HTTP)"));
  const form = h("form", { id: prefix, class: "cfg-form cfg-grid", novalidate: true },
    field(id("name"), "Name", text("name", server?.name, { required: true, placeholder: "github" }), "Letters, digits, . _ -."),
    field(id("namespace"), "Namespace", text("namespace", server?.namespace, { placeholder: "from the name" }),
      "Prefix of its tools' names (namespace__tool): a-z, 0-9 and -, up to 24."),
    field(id("transport"), "Transport", transport, "Start a command that speaks MCP on stdin/stdout, or reach a server over HTTP."),
    h("fieldset", { class: "cfg-fieldset", "data-transport": "stdio" },
      h("legend", {}, "Started by Junction"),
      field(id("command"), "Command", text("command", server?.command, { placeholder: "npx" }), "The program to run, found on PATH or an absolute path."),
      field(id("args"), "Arguments", area("args", (server?.args || []).join("\n"), { placeholder: "-y\n@modelcontextprotocol/server-github" }),
        "One argument per line, exactly as given (no shell quoting); blank lines are skipped."),
      field(id("env"), "Environment", area("env", pairsText(server?.env), { placeholder: "LOG_LEVEL=debug" }),
        "KEY=VALUE lines. Not for secrets: put tokens in an auth scope, where they are sealed."),
      field(id("cwd"), "Working directory", text("cwd", server?.cwd, { placeholder: "(Junction's)" }), "Optional, absolute.")),
    h("fieldset", { class: "cfg-fieldset", "data-transport": "http" },
      h("legend", {}, "Reached over HTTP"),
      field(id("url"), "URL", text("url", server?.url, { placeholder: "https://example.com/mcp", inputmode: "url" }), "The server's streamable HTTP endpoint."),
      field(id("headers"), "Headers", area("headers", pairsText(server?.headers), { placeholder: "X-Team=platform" }),
        "Name=value lines. Not for secrets: put tokens in an auth scope.")),
    field(id("instance_mode"), "Instances", h("select", { id: id("instance_mode"), name: "instance_mode" },
      h("option", { value: "shared", selected: server?.instance_mode !== "per_session" }, "One shared by every session"),
      h("option", { value: "per_session", selected: server?.instance_mode === "per_session" }, "One per client session")),
      "Per-session suits servers that keep state for one client."),
    field(id("idle_timeout_sec"), "Idle timeout (s)", text("idle_timeout_sec", server ? String(server.idle_timeout_sec) : "", { inputmode: "numeric", placeholder: "600" }),
      "Stop the process after this long without calls."),
    field(id("call_timeout_sec"), "Call timeout (s)", text("call_timeout_sec", server ? String(server.call_timeout_sec) : "", { inputmode: "numeric", placeholder: "120" }),
      "Answer a call with an error after this long."),
    field(id("max_concurrent_calls"), "Calls at once", text("max_concurrent_calls", server?.max_concurrent_calls == null ? "" : String(server.max_concurrent_calls), { inputmode: "numeric", placeholder: "the setting" }),
      "Tool calls it runs at once; more wait in line (0: no cap; empty: the setting max_concurrent_calls)."),
    h("div", { class: "cfg-check" },
      h("input", { type: "checkbox", id: id("enabled"), name: "enabled", checked: server ? server.enabled : true }),
      h("label", { for: id("enabled") }, "Enabled")),
    h("p", { class: "form-error", role: "alert" }),
    h("div", { class: "cfg-buttons" }, h("button", { type: "submit", class: "primary" }, submitLabel)));
  transport.addEventListener("change", () => syncTransport(form));
  syncTransport(form);
  return form;
}

/** Shows the fields of the chosen transport only. */
function syncTransport(form) {
  const chosen = form.elements.transport.value;
  for (const set of form.querySelectorAll("fieldset[data-transport]")) set.hidden = set.dataset.transport !== chosen;
}

/** The request body of the form, or null after showing a client-side error. */
function serverBody(form, before) {
  clearFormErrors(form);
  const data = new FormData(form);
  const value = (name) => (data.get(name) || "").trim();
  const http = value("transport") === "http";
  const body = { name: value("name"), transport: value("transport"), instance_mode: value("instance_mode"), enabled: data.get("enabled") === "on" };
  if (value("namespace")) body.namespace = value("namespace");
  for (const name of ["idle_timeout_sec", "call_timeout_sec"]) {
    const number = wholeNumber(data.get(name));
    if (number !== undefined) body[name] = number;
  }
  const cap = wholeNumber(data.get("max_concurrent_calls"));
  if (cap !== undefined) body.max_concurrent_calls = cap;
  else if (before) body.max_concurrent_calls = null;
  let pairs;
  const mapField = http ? "headers" : "env";
  try {
    pairs = parsePairs(data.get(mapField));
  } catch (error) {
    showFormError(form, { field: mapField, message: `${http ? "Headers" : "Environment"}, ${error.message}` });
    return null;
  }
  if (http) {
    body.url = value("url");
    body.headers = pairs;
    if (before) body.command = null;
  } else {
    body.command = value("command");
    body.args = (data.get("args") || "").split("\n").map((line) => line.replace(/\r$/, "")).filter((line) => line.trim() !== "");
    body.env = pairs;
    body.cwd = value("cwd") || null;
    if (before) body.url = null;
    else if (!body.cwd) delete body.cwd;
  }
  return body;
}

function field(id, label, input, hint) {
  const hintId = `${id}-hint`;
  if (hint) input.setAttribute("aria-describedby", hintId);
  return h("div", { class: "cfg-field" },
    h("label", { for: id }, label),
    input,
    hint ? h("p", { class: "cfg-hint", id: hintId }, hint) : null);
}
