// Tool pinning, for a server's page. `toolChangesSection(server)` is the "Changed tools" section:
// the tools quarantined because their definition changed since it was approved (hidden from
// clients, calls refused), each with the diff between the approved and the changed definition and
// an Approve button; "Approve all" re-pins every one. Hidden while nothing changed.
import { api, h, relativeTime } from "../api.js";

/** Returns { element, refresh }; `refresh()` re-reads the server's changed tools. */
export function toolChangesSection(server) {
  const status = h("p", { class: "cfg-status", role: "status", id: "tool-changes-status" });
  const failure = h("p", { class: "form-error", role: "alert", id: "tool-changes-error" });
  const list = h("div", { id: "tool-changes-list" });
  const approveAll = h("button", { type: "button", class: "primary", "data-action": "approve-all-tools", onclick: () => approve([]) }, "Approve all");
  const element = h("section", { id: "server-tool-changes", "aria-labelledby": "server-tool-changes-title", hidden: true },
    h("h2", { id: "server-tool-changes-title" }, "Changed tools"),
    h("p", { class: "warn" }, "These tools changed since they were approved (a rug pull or tool poisoning looks like this). " +
      "Clients do not see them and their calls are refused until you approve the change."),
    h("div", { class: "cfg-toolbar", role: "group", "aria-label": "Changed tool actions" }, approveAll),
    status, failure, list);
  const path = `/api/v1/downstreams/${encodeURIComponent(server.id)}`;

  async function refresh() {
    let changes;
    try {
      changes = await api("GET", `${path}/tool-changes`);
    } catch (error) {
      if (error.status !== 401) failure.textContent = `Could not read the changed tools: ${error.message}`;
      return;
    }
    element.hidden = changes.length === 0 && !status.textContent;
    list.replaceChildren(...changes.map((change) =>
      h("article", { class: "cfg-tool-change", "data-tool": change.name },
        h("h3", {}, h("code", {}, `${server.namespace}__${change.name}`), " ",
          h("span", { class: "muted" }, `changed ${relativeTime(change.changed_at)}`)),
        h("pre", { class: "cfg-logs cfg-diff", tabindex: "0", "aria-label": `Changes to ${change.name}` },
          ...change.diff.split("\n").map((line) =>
            h("span", { class: line.startsWith("+") && !line.startsWith("+++") ? "ok" : line.startsWith("-") && !line.startsWith("---") ? "bad" : "" }, line + "\n"))),
        h("button", { type: "button", "data-action": "approve-tool", onclick: () => approve([change.name]) }, `Approve ${change.name}`))));
  }

  async function approve(tools) {
    failure.textContent = "";
    approveAll.disabled = true;
    try {
      const answer = await api("POST", `${path}/approve-tools`, { tools });
      status.textContent = answer.approved.length
        ? `Approved ${answer.approved.join(", ")}: clients see ${answer.approved.length === 1 ? "it" : "them"} again.`
        : "Nothing to approve.";
    } catch (error) {
      if (error.status !== 401) failure.textContent = `Could not approve: ${error.message}`;
    } finally {
      approveAll.disabled = false;
    }
    await refresh();
  }

  return { element, refresh };
}
