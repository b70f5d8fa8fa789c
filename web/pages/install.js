// The install page: the AI clients Junction knows, whether each is on this machine and has
// Junction in its configuration; preview the change as a diff, install, uninstall.
import { api, clearFormErrors, h, showFormError } from "../api.js";

const ACTION_TEXT = {
  installed: (path) => `Installed Junction into ${path}.`,
  updated: (path) => `Updated Junction's entry in ${path}.`,
  unchanged: (path) => `${path} already has this entry; nothing was written.`,
  removed: (path) => `Removed Junction from ${path}.`,
  absent: (path) => `${path} has no Junction entry; nothing was written.`,
};

/** A unified diff with its lines marked added, removed, hunk or file header. */
function diffView(diff, id) {
  const lines = diff.replace(/\n$/, "").split("\n");
  return h(
    "pre",
    { class: "diff", id, tabindex: "0", "aria-label": "Changes to the configuration file" },
    lines.map((line) => {
      const kind = line.startsWith("+++") || line.startsWith("---")
        ? "diff-file"
        : line.startsWith("@@")
          ? "diff-hunk"
          : line.startsWith("+")
            ? "diff-add"
            : line.startsWith("-")
              ? "diff-del"
              : "diff-same";
      return h("span", { class: `diff-line ${kind}` }, line);
    }),
  );
}

function pill(text, kind, title) {
  return h("span", { class: `status-pill ${kind}`, title }, text);
}

function outcomeText(outcome) {
  const text = ACTION_TEXT[outcome.action]?.(outcome.config_path) || `${outcome.action}: ${outcome.config_path}.`;
  return outcome.created ? `${text} The file is new.` : text;
}

export async function render(view) {
  const [statuses, workspaces] = await Promise.all([
    api("GET", "/api/v1/mcp-install/status"),
    api("GET", "/api/v1/workspaces").catch(() => []),
  ]);

  const workspaceSelect = h(
    "select",
    { id: "install-workspace", name: "workspace", "aria-describedby": "install-workspace-hint" },
    h("option", { value: "" }, "None: route by the folder the client works in"),
    workspaces.map((workspace) => h("option", { value: workspace.name }, workspace.name)),
  );
  const options = h(
    "form",
    { id: "install-options", class: "install-options", onsubmit: (event) => event.preventDefault() },
    h("label", { for: workspaceSelect.id }, "Workspace for the entry"),
    workspaceSelect,
    h(
      "p",
      { id: "install-workspace-hint", class: "hint muted" },
      "Optional: a client installed with a workspace is routed as that workspace, whatever folder it works in.",
    ),
    h("p", { class: "form-error", role: "alert" }),
  );
  const list = h("ul", { class: "client-list", id: "install-clients", "aria-labelledby": "install-clients-title" });
  view.append(
    h("h1", {}, "Install"),
    h(
      "p",
      { class: "muted" },
      "Add Junction to your AI clients' MCP configuration. Files are edited in place (other entries and comments " +
        "stay), backed up first, and replaced atomically.",
    ),
    options,
    h("h2", { id: "install-clients-title" }, "Clients"),
    list,
  );

  const cards = new Map();
  for (const status of statuses) {
    const card = clientCard(status);
    cards.set(status.id, card);
    list.append(card.element);
  }

  /** Re-reads every client's state after a change (one file may serve several clients). */
  async function refresh() {
    try {
      for (const status of await api("GET", "/api/v1/mcp-install/status")) cards.get(status.id)?.update(status);
    } catch {
      /* the outcome is already shown; the badges catch up on the next visit */
    }
  }

  function entryOptions(extra = {}) {
    const body = { ...extra };
    if (workspaceSelect.value) body.workspace = workspaceSelect.value;
    return body;
  }

  function clientCard(initial) {
    const id = initial.id;
    const base = `client-${id}`;
    let status = initial;
    const badges = h("p", { class: "badges" });
    const path = h("p", { class: "config-path" });
    const problem = h("p", { class: "bad", role: "alert" });
    const outcome = h("div", { class: "outcome", id: `${base}-outcome`, role: "status" });
    const diffSlot = h("div", { class: "diff-slot" });
    const previewButton = h("button", { type: "button", "data-action": "preview" }, "Preview");
    const installButton = h("button", { type: "button", class: "primary", "data-action": "install" }, "Install");
    const uninstallButton = h("button", { type: "button", class: "danger", "data-action": "uninstall" }, "Uninstall");
    const buttons = [previewButton, installButton, uninstallButton];
    const element = h(
      "li",
      { class: "card client", id: base, "data-client": id, "aria-labelledby": `${base}-name` },
      h("h3", { id: `${base}-name` }, initial.name),
      badges,
      path,
      problem,
      h("div", { class: "button-row", role: "group", "aria-label": `${initial.name} actions` }, buttons),
      outcome,
      diffSlot,
    );

    function update(next) {
      status = next;
      badges.replaceChildren(
        status.detected ? pill("Detected", "ok") : pill("Not detected", "muted"),
        " ",
        status.installed
          ? status.up_to_date
            ? pill("Installed, up to date", "ok")
            : pill(
                "Installed, differs from the default entry",
                "warn",
                "Junction's entry is not the one it would write now without a workspace: " +
                  "an older command path, other arguments, or a workspace pin.",
              )
          : pill("Not installed", "muted"),
      );
      path.replaceChildren(
        h("span", { class: "muted" }, status.config_exists ? "Configuration: " : "Configuration (not created yet): "),
        h("code", {}, status.config_path || "unknown"),
      );
      problem.textContent = status.error || "";
      problem.hidden = !status.error;
      installButton.textContent = status.installed && !status.up_to_date ? "Update" : "Install";
      uninstallButton.disabled = !status.installed;
    }
    update(initial);

    function say(...children) {
      outcome.replaceChildren(...children);
    }

    function fail(error) {
      if (error?.field === "workspace") {
        showFormError(options, error);
        say(h("p", { class: "form-error" }, "See the workspace field above."));
      } else {
        say(h("p", { class: "form-error" }, error?.message || String(error)));
      }
    }

    /** Runs `work` with the buttons off; focus goes back to the button if disabling lost it. */
    async function busy(work) {
      clearFormErrors(options);
      const focused = document.activeElement;
      buttons.forEach((button) => (button.disabled = true));
      element.setAttribute("aria-busy", "true");
      try {
        await work();
      } finally {
        element.removeAttribute("aria-busy");
        buttons.forEach((button) => (button.disabled = false));
        uninstallButton.disabled = !status.installed;
        const lost = !document.activeElement || document.activeElement === document.body;
        if (lost && buttons.includes(focused)) (focused.disabled ? previewButton : focused).focus();
      }
    }

    previewButton.addEventListener("click", () =>
      busy(async () => {
        const query = new URLSearchParams(entryOptions()).toString();
        try {
          const preview = await api("GET", `/api/v1/mcp-install/${encodeURIComponent(id)}/preview${query ? `?${query}` : ""}`);
          say();
          diffSlot.replaceChildren(
            h("h4", {}, "Preview of ", h("code", {}, preview.config_path)),
            preview.diff
              ? diffView(preview.diff, `${base}-diff`)
              : h("p", { id: `${base}-diff`, class: "muted" }, "Nothing would change: the entry is already there as wanted."),
          );
        } catch (error) {
          fail(error);
        }
      }),
    );

    async function install(force) {
      await busy(async () => {
        try {
          const body = entryOptions(force ? { force: true } : {});
          const done = await api("POST", `/api/v1/mcp-install/${encodeURIComponent(id)}/install`, body);
          report(done);
        } catch (error) {
          if (error.status === 409 && error.code === "not_detected") {
            const anyway = h("button", { type: "button", "data-action": "force" }, "Install anyway");
            anyway.addEventListener("click", () => install(true));
            say(
              h(
                "p",
                { class: "warn" },
                `${status.name} was not found on this machine (there is no ${status.config_path}). ` +
                  "Install anyway to create its configuration.",
              ),
              anyway,
            );
            anyway.focus();
          } else {
            fail(error);
          }
        }
      });
    }
    installButton.addEventListener("click", () => install(false));

    uninstallButton.addEventListener("click", () =>
      busy(async () => {
        try {
          report(await api("POST", `/api/v1/mcp-install/${encodeURIComponent(id)}/uninstall`, {}));
        } catch (error) {
          fail(error);
        }
      }),
    );

    async function report(done) {
      diffSlot.replaceChildren();
      say(
        h("p", { class: done.changed ? "ok" : "muted" }, outcomeText(done)),
        done.backup_path ? h("p", {}, "The previous file was backed up to ", h("code", {}, done.backup_path), ".") : null,
      );
      await refresh();
    }

    return { element, update };
  }
}
