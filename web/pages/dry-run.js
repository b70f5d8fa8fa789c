// The dry-run page: how a tool call would be routed for a workspace or a folder, and the trace of
// every rule considered, without making the call. `#/dry-run?workspace=A&tool=x` (or `cwd=`)
// fills the form, so other pages can link here.
import { api, clearFormErrors, h, showFormError } from "../api.js";

const DECISION_TEXT = { allow: "Allow", deny: "Deny", approve: "Needs approval" };

function hashParameters() {
  const query = location.hash.split("?")[1] || "";
  return new URLSearchParams(query);
}

/** `fn` after `ms` of quiet; `.cancel()` drops a pending call. */
function debounce(fn, ms) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

function scopeText(scope) {
  if (scope.kind === "global") return `global${scope.subpath ? ` (subpath ${scope.subpath})` : ""}`;
  return `${scope.name} — ${scope.root_path}${scope.subpath ? ` (subpath ${scope.subpath})` : ""}`;
}

function ruleText(rule) {
  const under = rule.path_glob && rule.path_glob !== "**" ? ` under ${rule.path_glob}` : "";
  return `${rule.name ? `${rule.name}: ` : ""}${rule.policy} ${rule.tool_pattern}${under}`;
}

export async function render(view) {
  const preset = hashParameters();
  const workspaces = await api("GET", "/api/v1/workspaces");

  const modeWorkspace = h("input", { type: "radio", id: "dry-mode-workspace", name: "mode", value: "workspace" });
  const modeFolder = h("input", { type: "radio", id: "dry-mode-cwd", name: "mode", value: "cwd" });
  const workspaceSelect = h(
    "select",
    { id: "dry-workspace", name: "workspace_id", disabled: workspaces.length === 0 },
    workspaces.length
      ? workspaces.map((workspace) => h("option", { value: workspace.id }, `${workspace.name} — ${workspace.root_path}`))
      : h("option", { value: "" }, "No workspaces yet"),
  );
  const cwdInput = h("input", {
    id: "dry-cwd",
    name: "cwd",
    type: "text",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "/home/me/src/app",
    "aria-describedby": "dry-cwd-hint",
  });
  const toolInput = h("input", {
    id: "dry-tool",
    name: "tool_name",
    type: "text",
    list: "dry-tools",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    placeholder: "namespace__tool",
    "aria-describedby": "dry-tool-hint",
  });
  const toolList = h("datalist", { id: "dry-tools" });
  const argumentsInput = h("textarea", {
    id: "dry-arguments",
    name: "arguments",
    rows: "3",
    spellcheck: "false",
    placeholder: '{"path": "README.md"}',
    "aria-describedby": "dry-arguments-hint",
  });
  const workspaceField = h(
    "div",
    { class: "field", id: "dry-workspace-field" },
    h("label", { for: workspaceSelect.id }, "Workspace"),
    workspaceSelect,
  );
  const cwdField = h(
    "div",
    { class: "field", id: "dry-cwd-field" },
    h("label", { for: cwdInput.id }, "Folder"),
    cwdInput,
    h("p", { id: "dry-cwd-hint", class: "hint muted" }, "An absolute path, as a client working in that folder would report it."),
  );
  const submit = h("button", { type: "submit", class: "primary" }, "Dry run");
  const form = h(
    "form",
    { id: "dry-run-form", novalidate: true, "aria-labelledby": "dry-run-title" },
    h(
      "fieldset",
      { class: "choices" },
      h("legend", {}, "Route as a client"),
      h("label", { class: "choice", for: modeWorkspace.id }, modeWorkspace, "pinned to a workspace"),
      h("label", { class: "choice", for: modeFolder.id }, modeFolder, "working in a folder"),
    ),
    workspaceField,
    cwdField,
    h(
      "div",
      { class: "field" },
      h("label", { for: toolInput.id }, "Tool"),
      toolInput,
      toolList,
      h(
        "p",
        { id: "dry-tool-hint", class: "hint muted" },
        "The name clients see, namespace__tool; suggestions come from the servers' catalogs.",
      ),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: argumentsInput.id }, "Arguments (optional)"),
      argumentsInput,
      h("p", { id: "dry-arguments-hint", class: "hint muted" }, "A JSON object. Routing does not depend on the arguments."),
    ),
    h("div", { class: "button-row" }, submit),
    h("p", { class: "form-error", role: "alert" }),
  );
  const result = h("section", { id: "dry-run-result", "aria-labelledby": "dry-result-title", hidden: true });

  view.append(
    h("h1", { id: "dry-run-title" }, "Dry run"),
    h("p", { class: "muted" }, "See how Junction would route a tool call, and which rules decided, without making the call."),
    form,
    result,
  );

  function setMode(mode) {
    const workspace = mode === "workspace";
    modeWorkspace.checked = workspace;
    modeFolder.checked = !workspace;
    workspaceField.hidden = !workspace;
    cwdField.hidden = workspace;
    clearFormErrors(form);
  }
  modeWorkspace.addEventListener("change", () => setMode("workspace"));
  modeFolder.addEventListener("change", () => setMode("cwd"));

  // Preset from the address, else a workspace when there is one.
  const presetWorkspace = preset.get("workspace");
  if (presetWorkspace) {
    const found = workspaces.find((workspace) => workspace.id === presetWorkspace || workspace.name === presetWorkspace);
    if (found) workspaceSelect.value = found.id;
  }
  if (preset.get("cwd")) cwdInput.value = preset.get("cwd");
  if (preset.get("tool")) toolInput.value = preset.get("tool");
  setMode(preset.get("cwd") || workspaces.length === 0 ? "cwd" : "workspace");

  // ---- completion from the catalog ------------------------------------------------------------
  let asked = 0;
  const complete = debounce(async () => {
    const ticket = ++asked;
    const parameters = new URLSearchParams({ q: toolInput.value.trim(), limit: "20" });
    if (modeWorkspace.checked && workspaceSelect.value) parameters.set("workspace_id", workspaceSelect.value);
    try {
      const found = await api("GET", `/api/v1/tools?${parameters}`);
      if (ticket !== asked) return; // a newer question is on its way
      toolList.replaceChildren(
        ...found.tools.map((tool) => {
          const summary = tool.title || tool.description?.split("\n")[0];
          const label = [tool.server_name, summary, tool.decision && `→ ${tool.decision}`].filter(Boolean).join(" · ");
          return h("option", { value: tool.name }, label);
        }),
      );
    } catch {
      /* suggestions are a convenience: the field still takes any name */
    }
  }, 200);
  toolInput.addEventListener("input", complete);
  toolInput.addEventListener("focus", complete, { once: true });
  workspaceSelect.addEventListener("change", complete);

  // ---- the dry run -----------------------------------------------------------------------------
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormErrors(form);
    // The result always answers the form as last sent: an old one must not pass for the new.
    result.hidden = true;
    result.replaceChildren();
    const body = { tool_name: toolInput.value.trim() };
    if (!body.tool_name) return showFormError(form, { field: "tool_name", message: "Enter a tool name, namespace__tool." });
    if (modeWorkspace.checked) {
      if (!workspaceSelect.value) {
        return showFormError(form, { field: "workspace_id", message: "There is no workspace yet; route as a folder instead." });
      }
      body.workspace_id = workspaceSelect.value;
    } else {
      body.cwd = cwdInput.value.trim();
      if (!body.cwd) return showFormError(form, { field: "cwd", message: "Enter an absolute folder path." });
    }
    const text = argumentsInput.value.trim();
    if (text) {
      try {
        body.arguments = JSON.parse(text);
      } catch (error) {
        return showFormError(form, { field: "arguments", message: `Not valid JSON: ${error.message}` });
      }
    }
    submit.disabled = true;
    try {
      const [decision, rules] = await Promise.all([
        api("POST", "/api/v1/dry-run", body),
        api("GET", "/api/v1/routes").catch(() => []),
      ]);
      show(decision, new Map(rules.map((rule) => [rule.id, rule])));
    } catch (error) {
      showFormError(form, error);
    } finally {
      submit.disabled = false;
      if (!document.activeElement || document.activeElement === document.body) submit.focus();
    }
  });

  function show(decision, rules) {
    const matched = decision.matched_rule;
    const server = decision.downstream;
    const pairs = [
      ["Reason", decision.reason],
      ["Workspace", decision.workspace ? scopeText(decision.workspace) : "none: only global rules apply"],
      [
        "Matched rule",
        matched
          ? `${ruleText(matched)} (scope ${matched.scope}, priority ${matched.priority}${matched.name ? "" : `, id ${matched.id}`})`
          : "none: a default policy decided",
      ],
      [
        "Server",
        server
          ? h("span", {}, server.name, decision.downstream_tool_name && [" as ", h("code", {}, decision.downstream_tool_name)])
          : "none identified",
      ],
      ["Auth scope", decision.auth_scope ? decision.auth_scope.name : "none"],
      ["Chain", h("ol", { class: "chain" }, decision.chain.map((scope) => h("li", {}, scopeText(scope))))],
    ];
    const trace = decision.trace || [];
    const traceTable = trace.length
      ? h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "trace", id: "dry-trace" },
            h("caption", { class: "muted" }, "Every rule considered, in the order the resolver applies them."),
            h("thead", {}, h("tr", {}, ["Rule", "Scope", "Matched", "Why"].map((name) => h("th", { scope: "col" }, name)))),
            h(
              "tbody",
              {},
              trace.map((entry) => {
                const rule = rules.get(entry.rule_id);
                const deciding = matched && entry.rule_id === matched.id;
                return h(
                  "tr",
                  { class: deciding ? "deciding" : null },
                  h("td", {}, rule && [h("span", {}, ruleText(rule)), h("br")], h("code", { class: rule ? "muted" : null }, entry.rule_id)),
                  h("td", {}, entry.scope),
                  h("td", { class: entry.matched ? "ok" : "muted" }, entry.matched ? "yes" : "no"),
                  h("td", {}, entry.why),
                );
              }),
            ),
          ),
        )
      : h("p", { class: "muted" }, "There are no rules in this chain; the default policy decided.");
    const heading = h("h2", { id: "dry-result-title", tabindex: "-1" }, "Decision for ", h("code", {}, decision.tool_name));
    result.replaceChildren(
      heading,
      h(
        "p",
        { class: `decision decision-${decision.decision}`, id: "dry-decision" },
        DECISION_TEXT[decision.decision] || decision.decision,
      ),
      h(
        "dl",
        { class: "facts" },
        pairs.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
      ),
      h("h3", {}, "Trace"),
      traceTable,
    );
    result.hidden = false;
    heading.focus();
  }

  return () => complete.cancel();
}
