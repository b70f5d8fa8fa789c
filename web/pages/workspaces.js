// Workspaces: project roots with their own route rules and default policy. A table of them, a form
// to add one, the same form to edit one (PUT sends every field; tags replace the whole set), and
// delete after a second click (it deletes the workspace's route rules too).
import { api, clearFormErrors, confirmButton, h, pairsText, parsePairs, showFormError } from "../api.js";

const POLICIES = ["allow", "deny", "approve"];

export async function render(view) {
  let workspaces = [];
  let editing = null;

  const status = h("p", { class: "cfg-status", role: "status" });
  const failure = h("p", { class: "form-error", role: "alert" });
  const table = h("div", { id: "workspaces-table" });
  const editSection = h("section", { id: "workspace-edit", "aria-labelledby": "workspace-edit-title", hidden: true });
  const createForm = workspaceForm("workspace-create", null, "Add workspace");
  createForm.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(createForm, "POST", "/api/v1/workspaces", null);
  });

  view.append(
    h("h1", { tabindex: "-1" }, "Workspaces"),
    h("p", { class: "muted" },
      "A workspace is a project folder. Clients working at or below its root use its route rules first, ",
      "then the global ones; its default policy decides a tool no rule matches."),
    status,
    failure,
    table,
    editSection,
    h("section", { "aria-labelledby": "workspace-create-title" },
      h("h2", { id: "workspace-create-title" }, "Add a workspace"),
      createForm),
  );

  async function load() {
    try {
      workspaces = await api("GET", "/api/v1/workspaces");
      failure.textContent = "";
    } catch (error) {
      if (error.status === 401) return;
      failure.textContent = `Could not load workspaces: ${error.message}`;
      return;
    }
    drawTable();
  }

  function drawTable() {
    if (workspaces.length === 0) {
      table.replaceChildren(h("p", { class: "muted" }, "No workspaces yet: add one below."));
      return;
    }
    table.replaceChildren(
      h("div", { class: "table-wrap", role: "region", "aria-labelledby": "workspaces-caption", tabindex: "0" },
        h("table", {},
          h("caption", { id: "workspaces-caption", class: "cfg-caption" }, `${workspaces.length} workspace${workspaces.length === 1 ? "" : "s"}`),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, "Name"),
            h("th", { scope: "col" }, "Root path"),
            h("th", { scope: "col" }, "Default policy"),
            h("th", { scope: "col" }, "Tags"),
            h("th", { scope: "col" }, h("span", { class: "cfg-sr" }, "Actions")))),
          h("tbody", {}, workspaces.map(row)))),
    );
  }

  function row(workspace) {
    const tags = Object.entries(workspace.tags || {});
    return h("tr", { "data-id": workspace.id, "data-name": workspace.name },
      h("th", { scope: "row" }, workspace.name),
      h("td", {}, h("code", { class: "cfg-path" }, workspace.root_path)),
      h("td", {}, h("span", { class: `cfg-policy cfg-policy-${workspace.default_policy}` }, workspace.default_policy)),
      h("td", {}, tags.length ? h("ul", { class: "cfg-chips" }, tags.map(([k, v]) => h("li", {}, h("code", {}, `${k}=${v}`)))) : h("span", { class: "muted" }, "—")),
      h("td", { class: "cfg-actions" },
        h("button", { type: "button", "data-action": "edit", "aria-label": `Edit ${workspace.name}`, onclick: () => openEdit(workspace) }, "Edit"),
        " ",
        confirmButton("Delete", `Delete ${workspace.name} and its rules`, () => remove(workspace), { "aria-label": `Delete ${workspace.name}` })));
  }

  function openEdit(workspace) {
    editing = workspace;
    const form = workspaceForm("workspace-edit-form", workspace, "Save");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(form, "PUT", `/api/v1/workspaces/${encodeURIComponent(workspace.id)}`, workspace);
    });
    form.querySelector(".cfg-buttons").append(h("button", { type: "button", onclick: closeEdit }, "Cancel"));
    editSection.replaceChildren(h("h2", { id: "workspace-edit-title" }, `Edit workspace ${workspace.name}`), form);
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

  async function submit(form, method, path, before) {
    clearFormErrors(form);
    const data = new FormData(form);
    let tags;
    try {
      tags = parsePairs(data.get("tags"));
    } catch (error) {
      showFormError(form, { field: "tags", message: `Tags, ${error.message}` });
      return;
    }
    const body = { name: data.get("name").trim(), root_path: data.get("root_path").trim(), default_policy: data.get("default_policy"), tags };
    try {
      const saved = await api(method, path, body);
      status.textContent = before ? `Saved workspace ${saved.name}.` : `Added workspace ${saved.name}.`;
      await load();
      if (before) closeEdit();
      else form.reset();
    } catch (error) {
      if (error.status === 401) return;
      showFormError(form, error);
    }
  }

  async function remove(workspace) {
    try {
      await api("DELETE", `/api/v1/workspaces/${encodeURIComponent(workspace.id)}`);
      status.textContent = `Deleted workspace ${workspace.name}.`;
      failure.textContent = "";
      if (editing?.id === workspace.id) closeEdit();
      await load();
      view.querySelector("h1").focus();
    } catch (error) {
      if (error.status === 401) return;
      failure.textContent = `Could not delete ${workspace.name}: ${error.message}`;
    }
  }

  await load();
}

/** The create or edit form; `prefix` keeps ids unique when both are on the page. */
function workspaceForm(prefix, workspace, submitLabel) {
  const id = (name) => `${prefix}-${name}`;
  const policy = h("select", { id: id("default_policy"), name: "default_policy" },
    POLICIES.map((p) => h("option", { value: p, selected: (workspace?.default_policy || "allow") === p }, p)));
  return h("form", { id: prefix, class: "cfg-form", novalidate: true },
    field(id("name"), "Name", h("input", { id: id("name"), name: "name", required: true, autocomplete: "off", spellcheck: "false", value: workspace?.name }),
      "Letters, digits, . _ - (up to 64)."),
    field(id("root_path"), "Root path", h("input", { id: id("root_path"), name: "root_path", required: true, autocomplete: "off", spellcheck: "false", placeholder: "/home/me/project", value: workspace?.root_path }),
      "An absolute path; clients working at or below it are in this workspace."),
    field(id("default_policy"), "Default policy", policy, "What happens to a tool no rule of this workspace or the global ones matches."),
    field(id("tags"), "Tags", textarea(id("tags"), "tags", pairsText(workspace?.tags), "team=platform"), "One key=value per line."),
    h("p", { class: "form-error", role: "alert" }),
    h("div", { class: "cfg-buttons" }, h("button", { type: "submit", class: "primary" }, submitLabel)));
}

function textarea(id, name, value, placeholder) {
  const area = h("textarea", { id, name, rows: "3", spellcheck: "false", autocomplete: "off", placeholder });
  area.value = value || "";
  return area;
}

function field(id, label, input, hint) {
  const hintId = `${id}-hint`;
  if (hint) input.setAttribute("aria-describedby", hintId);
  return h("div", { class: "cfg-field" },
    h("label", { for: id }, label),
    input,
    hint ? h("p", { class: "cfg-hint", id: hintId }, hint) : null);
}
