// Tools: search every server's tools the way you would ask for them ("create an issue", a tool's
// name), best match first (BM25 over names, descriptions and parameters, GET /api/v1/tools?q=).
// With a workspace chosen, each hit says what that workspace's rules decide for it.
// `#/tools?q=issue` fills the box, so other pages can link here.
import { api, h } from "../api.js";

const DECISION_TEXT = { allow: "Allow", deny: "Deny", approve: "Needs approval" };

export async function render(view) {
  const preset = new URLSearchParams(location.hash.split("?")[1] || "");
  const queryInput = h("input", {
    id: "tools-q",
    name: "q",
    type: "search",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "e.g. create an issue, read file, github__list_commits",
    "aria-describedby": "tools-q-hint",
  });
  queryInput.value = preset.get("q") || "";
  const workspaceSelect = h("select", { id: "tools-workspace", name: "workspace_id" }, h("option", { value: "" }, "Any (no decision)"));
  const status = h("p", { class: "cfg-status", role: "status" });
  const results = h("div", { id: "tools-results" });
  const form = h("form", { id: "tools-form", class: "cfg-form", role: "search" },
    h("div", { class: "cfg-field" },
      h("label", { for: "tools-q" }, "Search tools"),
      queryInput,
      h("p", { class: "cfg-hint", id: "tools-q-hint" },
        "Words are matched in names (snake_case and camelCase split), titles, descriptions and parameters; a tool's exact name comes first.")),
    h("div", { class: "cfg-field" }, h("label", { for: "tools-workspace" }, "Workspace"), workspaceSelect),
  );
  view.append(
    h("h1", { tabindex: "-1" }, "Tools"),
    h("p", { class: "muted" }, "Every tool the servers offered when last discovered, under the names clients see."),
    form,
    status,
    results,
  );

  let asked = 0;
  async function search() {
    const ticket = ++asked;
    const q = queryInput.value.trim();
    const parameters = new URLSearchParams({ limit: "25" });
    if (q) parameters.set("q", q);
    if (workspaceSelect.value) parameters.set("workspace_id", workspaceSelect.value);
    try {
      const found = await api("GET", `/api/v1/tools?${parameters}`);
      if (ticket !== asked) return; // a newer question is on its way
      draw(found.tools, q);
    } catch (error) {
      if (error.status === 401 || ticket !== asked) return;
      status.textContent = "";
      results.replaceChildren(h("p", { class: "form-error" }, `Could not search: ${error.message}`));
    }
  }

  function draw(tools, q) {
    status.textContent = q
      ? `${tools.length} tool${tools.length === 1 ? "" : "s"} match “${q}”.`
      : `${tools.length} tool${tools.length === 1 ? "" : "s"} by name; type to search.`;
    if (!tools.length) {
      results.replaceChildren(h("p", { class: "muted" }, q ? "No tool matches: try other words, or fewer." : "No tools known yet: discover a server first."));
      return;
    }
    const withDecision = Boolean(workspaceSelect.value);
    results.replaceChildren(
      h("div", { class: "table-wrap", role: "region", "aria-labelledby": "tools-caption", tabindex: "0" },
        h("table", { class: "tools" },
          h("caption", { id: "tools-caption", class: "cfg-caption" }, q ? "Best match first" : "Tools"),
          h("thead", {}, h("tr", {},
            h("th", { scope: "col" }, "Tool"),
            h("th", { scope: "col" }, "Server"),
            withDecision ? h("th", { scope: "col" }, "Decision") : null,
            h("th", { scope: "col" }, "Description"))),
          h("tbody", {}, tools.map((tool) =>
            h("tr", { "data-tool": tool.name },
              h("td", {}, h("code", {}, tool.name)),
              h("td", {}, tool.server || tool.server_id),
              withDecision ? h("td", { "data-decision": tool.decision || "" }, DECISION_TEXT[tool.decision] || "—") : null,
              h("td", {}, [tool.title, (tool.description || "").split("\n")[0]].filter(Boolean).join(" — ")))))),
      ),
    );
  }

  let timer = null;
  queryInput.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    search();
  });
  workspaceSelect.addEventListener("change", search);

  api("GET", "/api/v1/workspaces")
    .then((list) => {
      if (!Array.isArray(list)) return;
      workspaceSelect.append(...list.map((w) => h("option", { value: w.id }, w.name)));
    })
    .catch(() => {
      /* the search works without the workspace names */
    });
  await search();
  return () => clearTimeout(timer);
}
