// Auth scopes: credentials a server is started or called with. Secrets are write-only: the API
// only says which keys are set, so this page shows key names and never a value, and its inputs
// for secrets start empty. Editing merges: a new value sets a key, "Remove" sends null, an empty
// input keeps the stored value (the key is not sent at all).
import { api, clearFormErrors, confirmButton, h, parsePairs, showFormError } from "../api.js";

export async function render(view) {
  let scopes = [];
  let servers = [];
  let editing = null;

  const status = h("p", { class: "cfg-status", role: "status" });
  const failure = h("div", { class: "form-error", role: "alert" });
  const table = h("div", { id: "scopes-table" });
  const editSection = h("section", { id: "scope-edit", "aria-labelledby": "scope-edit-title", hidden: true });
  const createSection = h("section", { "aria-labelledby": "scope-create-title" });

  view.append(
    h("h1", { tabindex: "-1" }, "Auth scopes"),
    h("p", { class: "muted" },
      "An auth scope holds the secrets a server runs with (environment variables) or sends (HTTP headers). ",
      "A route rule chooses the scope its calls run with. ",
      "Secrets are sealed when saved and never shown again: this page lists which keys are set, not their values."),
    status,
    failure,
    table,
    editSection,
    createSection,
  );

  const serverName = (id) => servers.find((s) => s.id === id)?.name || id;

  async function load() {
    try {
      [scopes, servers] = await Promise.all([api("GET", "/api/v1/auth-scopes"), api("GET", "/api/v1/downstreams")]);
      failure.replaceChildren();
    } catch (error) {
      if (error.status === 401) return;
      failure.textContent = `Could not load auth scopes: ${error.message}`;
      return;
    }
    drawTable();
    if (!createSection.firstChild) drawCreate();
    else fillServers(createSection.querySelector("select[name=server_id]"));
  }

  function drawTable() {
    if (scopes.length === 0) {
      table.replaceChildren(h("p", { class: "muted" }, servers.length ? "No auth scopes yet: add one below." : "No auth scopes yet. Add a server first."));
      return;
    }
    const keys = (list) => list.length ? h("ul", { class: "cfg-chips" }, list.map((k) => h("li", {}, h("code", {}, k), h("span", { class: "muted" }, " set")))) : h("span", { class: "muted" }, "—");
    table.replaceChildren(
      h("div", { class: "table-wrap", role: "region", "aria-labelledby": "scopes-caption", tabindex: "0" },
        h("table", {},
          h("caption", { id: "scopes-caption", class: "cfg-caption" }, `${scopes.length} auth scope${scopes.length === 1 ? "" : "s"}`),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, "Name"),
            h("th", { scope: "col" }, "Server"),
            h("th", { scope: "col" }, "Environment secrets"),
            h("th", { scope: "col" }, "Header secrets"),
            h("th", { scope: "col" }, "Redacted fields"),
            h("th", { scope: "col" }, h("span", { class: "cfg-sr" }, "Actions")))),
          h("tbody", {}, scopes.map((scope) =>
            h("tr", { "data-id": scope.id, "data-name": scope.name },
              h("th", { scope: "row" }, scope.name),
              h("td", {}, h("a", { href: `#/servers/${encodeURIComponent(serverName(scope.server_id))}` }, serverName(scope.server_id))),
              h("td", {}, keys(scope.env_keys)),
              h("td", {}, keys(scope.header_keys)),
              h("td", {}, scope.redaction_hints.length ? scope.redaction_hints.join(", ") : h("span", { class: "muted" }, "—")),
              h("td", { class: "cfg-actions" },
                h("button", { type: "button", "data-action": "edit", "aria-label": `Edit ${scope.name}`, onclick: () => openEdit(scope) }, "Edit"),
                " ",
                confirmButton("Delete", `Delete ${scope.name}`, () => remove(scope, false), { "aria-label": `Delete ${scope.name}` }))))))));
  }

  function fillServers(select) {
    const current = select.options.length ? select.value : select.dataset.value;
    select.replaceChildren(h("option", { value: "" }, "Choose a server…"), ...servers.map((s) => h("option", { value: s.id }, s.name)));
    select.value = servers.some((s) => s.id === current) ? current : "";
  }

  function commonFields(prefix, scope) {
    const id = (name) => `${prefix}-${name}`;
    const server = h("select", { id: id("server_id"), name: "server_id", required: true, "data-value": scope?.server_id || "" });
    fillServers(server);
    return [
      field(id("name"), "Name", h("input", { id: id("name"), name: "name", required: true, autocomplete: "off", spellcheck: "false", value: scope?.name, placeholder: "github-work" }),
        "Letters, digits, . _ -."),
      field(id("server_id"), "Server", server, "The server these credentials are for."),
    ];
  }

  function hintsField(prefix, scope) {
    const id = `${prefix}-redaction_hints`;
    return field(id, "Redacted fields", h("input", { id, name: "redaction_hints", autocomplete: "off", spellcheck: "false",
      value: scope ? scope.redaction_hints.join(", ") : undefined, placeholder: "account_id, email" }),
    "Argument names whose values are hidden in the audit trail, besides the usual secret-looking ones; separated by commas.");
  }

  function drawCreate() {
    const form = h("form", { id: "scope-create", class: "cfg-form", novalidate: true },
      commonFields("scope-create"),
      field("scope-create-env_vars", "Environment secrets", secretArea("scope-create-env_vars", "env_vars", "GITHUB_TOKEN=…"),
        "KEY=VALUE lines: set in the server's environment when it starts for this scope."),
      field("scope-create-headers", "Header secrets", secretArea("scope-create-headers", "headers", "Authorization=Bearer …"),
        "Name=value lines: sent with every request to an HTTP server."),
      hintsField("scope-create"),
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "cfg-buttons" }, h("button", { type: "submit", class: "primary" }, "Add auth scope")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      create(form);
    });
    createSection.replaceChildren(h("h2", { id: "scope-create-title" }, "Add an auth scope"), form);
  }

  async function create(form) {
    clearFormErrors(form);
    const data = new FormData(form);
    const secrets = {};
    for (const name of ["env_vars", "headers"]) {
      try {
        secrets[name] = parsePairs(data.get(name));
      } catch (error) {
        showFormError(form, { field: name, message: `${name === "env_vars" ? "Environment secrets" : "Header secrets"}, ${error.message}` });
        return;
      }
    }
    const body = {
      name: data.get("name").trim(),
      server_id: data.get("server_id"),
      env_vars: secrets.env_vars,
      headers: secrets.headers,
      redaction_hints: hints(data.get("redaction_hints")),
    };
    if (!body.server_id) {
      showFormError(form, { field: "server_id", message: "Choose the server these credentials are for." });
      return;
    }
    try {
      const saved = await api("POST", "/api/v1/auth-scopes", body);
      // The secrets leave the page with the form's reset.
      form.reset();
      fillServers(form.elements.server_id);
      status.textContent = `Added auth scope ${saved.name} with ${describeKeys(saved)}.`;
      await load();
    } catch (error) {
      if (error.status === 401) return;
      showFormError(form, fieldFor(form, error));
    }
  }

  function openEdit(scope) {
    editing = scope;
    const prefix = "scope-edit-form";
    const existing = (kind, keys) => keys.length
      ? h("fieldset", { class: "cfg-fieldset cfg-secrets" },
        h("legend", {}, kind === "env_vars" ? "Stored environment secrets" : "Stored header secrets"),
        h("p", { class: "cfg-hint" }, "Leave a value empty to keep it; type a new one to replace it."),
        keys.map((key, index) => {
          const inputId = `${prefix}-${kind}-${index}`;
          return h("div", { class: "cfg-secret", "data-key": key, "data-kind": kind },
            h("label", { for: inputId }, h("code", {}, key)),
            h("input", { type: "password", id: inputId, name: `${kind}.${key}`, autocomplete: "new-password", spellcheck: "false",
              placeholder: "unchanged", "aria-label": `New value for ${key}` }),
            h("span", { class: "cfg-check" },
              h("input", { type: "checkbox", id: `${inputId}-remove`, "data-remove": key, "data-kind": kind,
                onchange: (event) => { document.getElementById(inputId).disabled = event.currentTarget.checked; } }),
              h("label", { for: `${inputId}-remove` }, "Remove", h("span", { class: "cfg-sr" }, ` ${key}`))));
        }))
      : null;
    const form = h("form", { id: prefix, class: "cfg-form", novalidate: true },
      commonFields(prefix, scope),
      existing("env_vars", scope.env_keys),
      field(`${prefix}-env_vars`, "Add environment secrets", secretArea(`${prefix}-env_vars`, "env_vars", "NEW_TOKEN=…"),
        "KEY=VALUE lines; a key already stored is replaced."),
      existing("headers", scope.header_keys),
      field(`${prefix}-headers`, "Add header secrets", secretArea(`${prefix}-headers`, "headers", "X-Api-Key=…"),
        "Name=value lines; a header already stored is replaced."),
      hintsField(prefix, scope),
      h("p", { class: "form-error", role: "alert" }),
      h("div", { class: "cfg-buttons" },
        h("button", { type: "submit", class: "primary" }, "Save"),
        h("button", { type: "button", onclick: closeEdit }, "Cancel")));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      update(form, scope);
    });
    editSection.replaceChildren(h("h2", { id: "scope-edit-title" }, `Edit auth scope ${scope.name}`), form);
    editSection.hidden = false;
    form.querySelector("input").focus();
  }

  function closeEdit() {
    const id = editing?.id;
    editing = null;
    editSection.hidden = true;
    editSection.replaceChildren();
    if (id) table.querySelector(`tr[data-id="${CSS.escape(id)}"] [data-action="edit"]`)?.focus();
  }

  async function update(form, scope) {
    clearFormErrors(form);
    const data = new FormData(form);
    const body = {};
    const name = data.get("name").trim();
    if (name !== scope.name) body.name = name;
    if (data.get("server_id") && data.get("server_id") !== scope.server_id) body.server_id = data.get("server_id");
    const redaction = hints(data.get("redaction_hints"));
    if (redaction.join("\n") !== scope.redaction_hints.join("\n")) body.redaction_hints = redaction;
    for (const kind of ["env_vars", "headers"]) {
      let added;
      try {
        added = parsePairs(data.get(kind));
      } catch (error) {
        showFormError(form, { field: kind, message: `${kind === "env_vars" ? "Environment secrets" : "Header secrets"}, ${error.message}` });
        return;
      }
      const changes = { ...added };
      for (const row of form.querySelectorAll(`.cfg-secret[data-kind="${kind}"]`)) {
        const key = row.dataset.key;
        const value = row.querySelector("input[type=password]").value;
        if (row.querySelector("input[data-remove]").checked) changes[key] = null;
        else if (value !== "") changes[key] = value;
      }
      if (Object.keys(changes).length) body[kind] = changes;
    }
    if (Object.keys(body).length === 0) {
      showFormError(form, { message: "Nothing to save: change a field, type a new secret value or tick Remove." });
      return;
    }
    try {
      const saved = await api("PUT", `/api/v1/auth-scopes/${encodeURIComponent(scope.id)}`, body);
      status.textContent = `Saved auth scope ${saved.name}: ${describeKeys(saved)}.` +
        (body.env_vars || body.headers ? " Its server restarts with the new secrets on its next call." : "");
      await load();
      closeEdit();
    } catch (error) {
      if (error.status === 401) return;
      showFormError(form, fieldFor(form, error));
    }
  }

  async function remove(scope, force) {
    failure.replaceChildren();
    try {
      await api("DELETE", `/api/v1/auth-scopes/${encodeURIComponent(scope.id)}${force ? "?force=true" : ""}`);
      status.textContent = `Deleted auth scope ${scope.name}.`;
      if (editing?.id === scope.id) closeEdit();
      await load();
      view.querySelector("h1").focus();
    } catch (error) {
      if (error.status === 401) return;
      if (error.status === 409 && !force) {
        failure.replaceChildren(h("p", {}, `${error.message}.`),
          h("p", {}, "Deleting it anyway deletes those rules too. ",
            h("button", { type: "button", class: "danger", "data-action": "force-delete", onclick: () => remove(scope, true) },
              `Delete ${scope.name} and its rules`)));
        failure.querySelector("button").focus();
      } else {
        failure.textContent = `Could not delete ${scope.name}: ${error.message}`;
      }
    }
  }

  await load();
}

/** A textarea for `KEY=VALUE` secrets: not spell-checked, not remembered by the browser. */
function secretArea(id, name, placeholder) {
  return h("textarea", { id, name, rows: "2", spellcheck: "false", autocomplete: "off", autocapitalize: "off", placeholder, "data-secret": "true" });
}

function hints(text) {
  return (text || "").split(/[,\n]/).map((part) => part.trim()).filter(Boolean);
}

function describeKeys(scope) {
  const all = [...scope.env_keys, ...scope.header_keys];
  return all.length ? `${all.length} secret${all.length === 1 ? "" : "s"} set (${all.join(", ")})` : "no secrets";
}

/**
 * The error with a field this form has: `env_vars.TOKEN` is the stored key's input when the form
 * shows one, else the text area of new `env_vars` (where such a key was typed).
 */
function fieldFor(form, error) {
  if (!error.field || form.querySelector(`[name="${CSS.escape(error.field)}"]`)) return error;
  const base = error.field.split(".")[0];
  if (form.querySelector(`[name="${CSS.escape(base)}"]`)) return { field: base, message: error.message };
  return error;
}

function field(id, label, input, hint) {
  const hintId = `${id}-hint`;
  if (hint) input.setAttribute("aria-describedby", hintId);
  return h("div", { class: "cfg-field" },
    h("label", { for: id }, label),
    input,
    hint ? h("p", { class: "cfg-hint", id: hintId }, hint) : null);
}
