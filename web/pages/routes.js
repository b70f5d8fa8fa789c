// Route rules, listed in the order the resolver applies them (the API's list order: workspace
// rules grouped by workspace, global rules last; in a scope by priority, specificity and id).
// A form adds or edits one rule with the API's errors next to the field they concern; a bulk form
// adds many at once, all or nothing; each rule can be enabled, disabled or deleted.
//
// Bulk format, one rule per line (blank lines and `#` comments skipped):
//     WORKSPACE TOOL_PATTERN POLICY [PRIORITY]
// WORKSPACE is a workspace name, or `*` for a global rule; POLICY is allow, deny or approve. Or a
// JSON array of rule objects with the fields of POST /api/v1/routes, for anything else.
import { api, clearFormErrors, confirmButton, h, showFormError, wholeNumber } from "../api.js";

const POLICIES = ["allow", "deny", "approve"];
const BULK_EXAMPLE = "# WORKSPACE TOOL_PATTERN POLICY [PRIORITY]   (* = global)\nA github__* allow 10\n* github__delete_* deny";

export async function render(view) {
  let rules = [];
  let workspaces = [];
  let servers = [];
  let scopes = [];
  let editing = null;

  const status = h("p", { class: "cfg-status", role: "status" });
  const failure = h("p", { class: "form-error", role: "alert" });
  const table = h("div", { id: "routes-table" });
  const editSection = h("section", { id: "route-edit", "aria-labelledby": "route-edit-title", hidden: true });
  const createSection = h("section", { "aria-labelledby": "route-create-title" });
  const bulkForm = h("form", { id: "route-bulk", class: "cfg-form", novalidate: true },
    h("div", { class: "cfg-field" },
      h("label", { for: "route-bulk-rules" }, "Rules"),
      h("textarea", { id: "route-bulk-rules", name: "rules", rows: "6", spellcheck: "false", autocomplete: "off",
        placeholder: BULK_EXAMPLE, "aria-describedby": "route-bulk-hint" }),
      h("div", { class: "cfg-hint", id: "route-bulk-hint" },
        h("p", {}, "One rule per line: ", h("code", {}, "WORKSPACE TOOL_PATTERN POLICY [PRIORITY]"),
          ", where WORKSPACE is a workspace's name or ", h("code", {}, "*"), " for a global rule and POLICY is allow, deny or approve. ",
          "Lines starting with # are skipped."),
        h("p", {}, "Or a JSON array of rules with the fields of the form above, e.g. ",
          h("code", {}, '[{"workspace_id": "A", "tool_pattern": "fs__*", "path_glob": "src/**", "policy": "approve"}]'), "."),
        h("p", {}, "Every rule is added, or none is."))),
    h("p", { class: "form-error", role: "alert" }),
    h("div", { class: "cfg-buttons" }, h("button", { type: "submit", class: "primary" }, "Add rules")));
  bulkForm.addEventListener("submit", (event) => {
    event.preventDefault();
    submitBulk();
  });

  view.append(
    h("h1", { tabindex: "-1" }, "Routes"),
    h("p", { class: "muted" },
      "A call is checked against the rules of each workspace containing the client's folder, innermost first, then the global rules. ",
      "In each scope the first enabled rule that matches decides: higher priority first, then the more specific pattern, then the older rule. ",
      "The table lists the rules in exactly that order."),
    status,
    failure,
    table,
    editSection,
    createSection,
    h("section", { "aria-labelledby": "route-bulk-title" }, h("h2", { id: "route-bulk-title" }, "Add several rules"), bulkForm),
  );

  async function load() {
    try {
      [rules, workspaces, servers, scopes] = await Promise.all([
        api("GET", "/api/v1/routes"),
        api("GET", "/api/v1/workspaces"),
        api("GET", "/api/v1/downstreams"),
        api("GET", "/api/v1/auth-scopes"),
      ]);
      failure.textContent = "";
    } catch (error) {
      if (error.status === 401) return;
      failure.textContent = `Could not load the rules: ${error.message}`;
      return;
    }
    drawTable();
    if (!createSection.firstChild) drawCreate();
    else refreshChoices(createSection.querySelector("form"));
  }

  const workspaceName = (id) => workspaces.find((w) => w.id === id)?.name || id;
  const serverName = (id) => servers.find((s) => s.id === id)?.name || id;
  const scopeName = (id) => scopes.find((s) => s.id === id)?.name || id;

  function drawTable() {
    if (rules.length === 0) {
      table.replaceChildren(h("p", { class: "muted" }, "No rules yet: every call gets its workspace's default policy (or the global one). Add a rule below."));
      return;
    }
    const groups = [];
    for (const rule of rules) {
      const key = rule.workspace_id || "";
      if (!groups.length || groups[groups.length - 1].key !== key) groups.push({ key, rules: [] });
      groups[groups.length - 1].rules.push(rule);
    }
    const columns = 9;
    table.replaceChildren(
      h("div", { class: "table-wrap", role: "region", "aria-labelledby": "routes-caption", tabindex: "0" },
        h("table", { class: "cfg-routes" },
          h("caption", { id: "routes-caption", class: "cfg-caption" }, `${rules.length} rule${rules.length === 1 ? "" : "s"}, in the order they apply`),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, "#"),
            h("th", { scope: "col" }, "Priority"),
            h("th", { scope: "col" }, "Tool pattern"),
            h("th", { scope: "col" }, "Path glob"),
            h("th", { scope: "col" }, "Policy"),
            h("th", { scope: "col" }, "Server"),
            h("th", { scope: "col" }, "Auth scope"),
            h("th", { scope: "col" }, "Enabled"),
            h("th", { scope: "col" }, h("span", { class: "cfg-sr" }, "Actions")))),
          groups.map((group) => {
            const workspace = workspaces.find((w) => w.id === group.key);
            const title = group.key
              ? [`Workspace ${workspaceName(group.key)}`, workspace ? h("span", { class: "muted" }, ` · ${workspace.root_path}`) : null]
              : ["Global rules", h("span", { class: "muted" }, " · after every workspace's rules, and for clients outside any workspace")];
            return h("tbody", { "data-scope": group.key ? workspaceName(group.key) : "*" },
              h("tr", { class: "cfg-group" }, h("th", { scope: "rowgroup", colspan: String(columns) }, title)),
              group.rules.map((rule, index) => row(rule, index + 1)));
          }))));
  }

  function row(rule, position) {
    const label = rule.name || rule.tool_pattern;
    return h("tr", { "data-id": rule.id, "data-tool-pattern": rule.tool_pattern, class: rule.enabled ? null : "cfg-disabled" },
      h("td", { class: "cfg-num" }, String(position)),
      h("td", { class: "cfg-num" }, String(rule.priority)),
      h("th", { scope: "row" }, h("code", {}, rule.tool_pattern), rule.name ? h("div", { class: "muted cfg-small" }, rule.name) : null),
      h("td", {}, h("code", {}, rule.path_glob)),
      h("td", {}, h("span", { class: `cfg-policy cfg-policy-${rule.policy}` }, rule.policy),
        rule.policy === "approve" && rule.approval_timeout_sec ? h("div", { class: "muted cfg-small" }, `waits ${rule.approval_timeout_sec} s`) : null,
        rule.cache_ttl_sec != null ? h("div", { class: "muted cfg-small" }, `cache ${rule.cache_ttl_sec} s`) : null),
      h("td", {}, rule.server_id ? serverName(rule.server_id) : h("span", { class: "muted" }, "namespace owner")),
      h("td", {}, rule.auth_scope_id ? scopeName(rule.auth_scope_id) : h("span", { class: "muted" }, "—")),
      h("td", {}, rule.enabled ? "yes" : h("span", { class: "muted" }, "no (skipped)")),
      h("td", { class: "cfg-actions" },
        h("button", { type: "button", "data-action": "toggle", "aria-label": `${rule.enabled ? "Disable" : "Enable"} rule ${label}`,
          onclick: (event) => toggle(rule, event.currentTarget) }, rule.enabled ? "Disable" : "Enable"),
        " ",
        h("button", { type: "button", "data-action": "edit", "aria-label": `Edit rule ${label}`, onclick: () => openEdit(rule) }, "Edit"),
        " ",
        confirmButton("Delete", "Really delete?", () => remove(rule), { "aria-label": `Delete rule ${label}` })));
  }

  function drawCreate() {
    const form = ruleForm("route-create", null, "Add rule");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(form, null);
    });
    createSection.replaceChildren(h("h2", { id: "route-create-title" }, "Add a rule"), form);
  }

  function openEdit(rule) {
    editing = rule;
    const form = ruleForm("route-edit-form", rule, "Save");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(form, rule);
    });
    form.querySelector(".cfg-buttons").append(h("button", { type: "button", onclick: closeEdit }, "Cancel"));
    editSection.replaceChildren(h("h2", { id: "route-edit-title" }, `Edit rule ${rule.name || rule.tool_pattern}`), form);
    editSection.hidden = false;
    form.querySelector("select, input").focus();
  }

  function closeEdit() {
    const id = editing?.id;
    editing = null;
    editSection.hidden = true;
    editSection.replaceChildren();
    if (id) table.querySelector(`tr[data-id="${CSS.escape(id)}"] [data-action="edit"]`)?.focus();
  }

  /** The form of one rule: its selects offer the current workspaces, servers and scopes. */
  function ruleForm(prefix, rule, submitLabel) {
    const id = (name) => `${prefix}-${name}`;
    const text = (name, value, attributes = {}) =>
      h("input", { id: id(name), name, autocomplete: "off", spellcheck: "false", value: value ?? undefined, ...attributes });
    const form = h("form", { id: prefix, class: "cfg-form cfg-grid", novalidate: true },
      field(id("workspace_id"), "Scope", h("select", { id: id("workspace_id"), name: "workspace_id", "data-value": rule?.workspace_id || "" }),
        "A workspace's rules apply to clients in its folder; global rules to every client."),
      field(id("tool_pattern"), "Tool pattern", text("tool_pattern", rule?.tool_pattern, { required: true, placeholder: "github__*" }),
        "A glob over the tool names clients see: namespace__tool, * and ? wildcards, [abc] classes."),
      field(id("path_glob"), "Path glob", text("path_glob", rule?.path_glob, { placeholder: "**" }),
        "Where in the scope the client works (its folder relative to the workspace root): ** is everywhere."),
      field(id("policy"), "Policy", h("select", { id: id("policy"), name: "policy" },
        POLICIES.map((p) => h("option", { value: p, selected: (rule?.policy || "allow") === p }, p))),
        "allow calls, deny them, or park them until someone approves."),
      field(id("priority"), "Priority", text("priority", rule ? String(rule.priority) : "", { inputmode: "numeric", placeholder: "0" }),
        "Higher goes first within the scope; a whole number."),
      field(id("server_id"), "Server", h("select", { id: id("server_id"), name: "server_id", "data-value": rule?.server_id || "" }),
        "Which server serves matching calls; by default the one owning the tool's namespace."),
      field(id("auth_scope_id"), "Auth scope", h("select", { id: id("auth_scope_id"), name: "auth_scope_id", "data-value": rule?.auth_scope_id || "" }),
        "The credentials the server runs with for these calls."),
      field(id("approval_timeout_sec"), "Approval timeout (s)", text("approval_timeout_sec", rule?.approval_timeout_sec != null ? String(rule.approval_timeout_sec) : "", { inputmode: "numeric" }),
        "How long an approve rule waits for a decision; empty uses the setting."),
      field(id("cache_ttl_sec"), "Cache TTL (s)", text("cache_ttl_sec", rule?.cache_ttl_sec != null ? String(rule.cache_ttl_sec) : "", { inputmode: "numeric" }),
        "Reuse results of identical calls this long; 0 turns caching off, empty uses the default."),
      field(id("name"), "Name (optional)", text("name", rule?.name), "To refer to the rule from the command line."),
      h("div", { class: "cfg-check" },
        h("input", { type: "checkbox", id: id("enabled"), name: "enabled", checked: rule ? rule.enabled : true }),
        h("label", { for: id("enabled") }, "Enabled")),
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "cfg-buttons" }, h("button", { type: "submit", class: "primary" }, submitLabel)));
    refreshChoices(form);
    return form;
  }

  /** Fills (or refills, keeping the choice) the form's workspace, server and scope selects. */
  function refreshChoices(form) {
    const fill = (name, options) => {
      const select = form.querySelector(`select[name="${name}"]`);
      const current = select.options.length ? select.value : select.dataset.value;
      select.replaceChildren(...options.map(([value, label]) => h("option", { value }, label)));
      select.value = options.some(([value]) => value === current) ? current : "";
    };
    fill("workspace_id", [["", "Global (every client)"], ...workspaces.map((w) => [w.id, `Workspace ${w.name}`])]);
    fill("server_id", [["", "The tool's namespace owner"], ...servers.map((s) => [s.id, `${s.name} (${s.namespace}__*)`])]);
    fill("auth_scope_id", [["", "None"], ...scopes.map((s) => [s.id, `${s.name} (server ${serverName(s.server_id)})`])]);
  }

  async function submit(form, before) {
    clearFormErrors(form);
    const data = new FormData(form);
    const toolPattern = data.get("tool_pattern").trim();
    if (!toolPattern) {
      showFormError(form, { field: "tool_pattern", message: "Give a tool pattern, such as github__* or fixture__echo." });
      return;
    }
    const optional = (name) => data.get(name).trim() || null;
    const body = {
      tool_pattern: toolPattern,
      workspace_id: optional("workspace_id"),
      path_glob: optional("path_glob") ?? "**",
      policy: data.get("policy"),
      priority: wholeNumber(data.get("priority")) ?? 0,
      server_id: optional("server_id"),
      auth_scope_id: optional("auth_scope_id"),
      approval_timeout_sec: wholeNumber(data.get("approval_timeout_sec")) ?? null,
      cache_ttl_sec: wholeNumber(data.get("cache_ttl_sec")) ?? null,
      name: optional("name"),
      enabled: data.get("enabled") === "on",
    };
    if (!before) {
      // A new rule: absent fields get the API's defaults.
      for (const [key, value] of Object.entries(body)) if (value === null) delete body[key];
    }
    try {
      const saved = before
        ? await api("PUT", `/api/v1/routes/${encodeURIComponent(before.id)}`, body)
        : await api("POST", "/api/v1/routes", body);
      status.textContent = `${before ? "Saved" : "Added"} rule ${saved.name || saved.tool_pattern} (${saved.policy}).`;
      await load();
      if (before) closeEdit();
      else {
        form.reset();
        refreshChoices(form);
      }
    } catch (error) {
      if (error.status === 401) return;
      showFormError(form, error);
    }
  }

  async function submitBulk() {
    clearFormErrors(bulkForm);
    let parsed;
    try {
      parsed = parseBulk(bulkForm.elements.rules.value);
    } catch (error) {
      showFormError(bulkForm, { field: "rules", message: error.message });
      return;
    }
    try {
      const created = await api("POST", "/api/v1/routes/bulk", { rules: parsed.rules });
      status.textContent = `Added ${created.length} rule${created.length === 1 ? "" : "s"}.`;
      bulkForm.reset();
      await load();
    } catch (error) {
      if (error.status === 401) return;
      // `rules[3].tool_pattern`: say which line (or array element) it is, next to the text.
      const match = /^rules\[(\d+)\]\.?(.*)$/.exec(error.field || "");
      if (match) {
        const index = Number(match[1]);
        const where = parsed.lines ? `Line ${parsed.lines[index]}` : `Rule ${index + 1}`;
        showFormError(bulkForm, { field: "rules", message: `${where} (${error.field}): ${error.message}` });
      } else if (error.field === "rules" || !error.field) {
        showFormError(bulkForm, { field: "rules", message: error.message });
      } else {
        showFormError(bulkForm, error);
      }
    }
  }

  async function toggle(rule, button) {
    button.disabled = true;
    try {
      await api("PUT", `/api/v1/routes/${encodeURIComponent(rule.id)}`, { enabled: !rule.enabled });
      status.textContent = `${rule.enabled ? "Disabled" : "Enabled"} rule ${rule.name || rule.tool_pattern}.`;
      await load();
      table.querySelector(`tr[data-id="${CSS.escape(rule.id)}"] [data-action="toggle"]`)?.focus();
    } catch (error) {
      if (error.status === 401) return;
      button.disabled = false;
      failure.textContent = `Could not change rule ${rule.name || rule.tool_pattern}: ${error.message}`;
    }
  }

  async function remove(rule) {
    try {
      await api("DELETE", `/api/v1/routes/${encodeURIComponent(rule.id)}`);
      status.textContent = `Deleted rule ${rule.name || rule.tool_pattern}.`;
      if (editing?.id === rule.id) closeEdit();
      await load();
      view.querySelector("h1").focus();
    } catch (error) {
      if (error.status === 401) return;
      failure.textContent = `Could not delete rule ${rule.name || rule.tool_pattern}: ${error.message}`;
    }
  }

  await load();
}

/**
 * The bulk text as `{rules, lines}`: `lines[i]` is the line rule i came from (null for JSON).
 * Throws an Error naming the line for text it cannot read.
 */
export function parseBulk(text) {
  const trimmed = text.trim();
  if (!trimmed) throw new Error("Write at least one rule.");
  if (trimmed.startsWith("[")) {
    let rules;
    try {
      rules = JSON.parse(trimmed);
    } catch (error) {
      throw new Error(`This is not a valid JSON array: ${error.message}`);
    }
    if (!Array.isArray(rules) || rules.some((r) => typeof r !== "object" || r === null || Array.isArray(r))) {
      throw new Error("Give a JSON array of rule objects.");
    }
    return { rules, lines: null };
  }
  const rules = [];
  const lines = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const number = index + 1;
    const words = line.split(/\s+/);
    if (words.length < 3 || words.length > 4) {
      throw new Error(`Line ${number}: write WORKSPACE TOOL_PATTERN POLICY [PRIORITY], got ${words.length} word${words.length === 1 ? "" : "s"}.`);
    }
    const [workspace, toolPattern, policy, priority] = words;
    const rule = { tool_pattern: toolPattern, policy };
    if (workspace !== "*") rule.workspace_id = workspace;
    if (priority !== undefined) rule.priority = wholeNumber(priority);
    rules.push(rule);
    lines.push(number);
  });
  if (!rules.length) throw new Error("Write at least one rule.");
  return { rules, lines };
}

function field(id, label, input, hint) {
  const hintId = `${id}-hint`;
  if (hint) input.setAttribute("aria-describedby", hintId);
  return h("div", { class: "cfg-field" },
    h("label", { for: id }, label),
    input,
    hint ? h("p", { class: "cfg-hint", id: hintId }, hint) : null);
}
