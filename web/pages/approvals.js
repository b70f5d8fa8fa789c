// The approvals page.
import { h } from "../api.js";

export async function render(view) {
  view.append(h("h1", {}, "approvals"));
}
