// What every page script shares: element lookup, the status line, the browser-stored settings, and
// refreshing server-rendered parts. Server-rendered pages (Templates/) are the one source of their
// markup: after a change a page asks the server to render it again and takes the changed parts.

import { APIError } from "./api.js";

/** The element with this id. Example: `$("status").hidden = false`. */
export const $ = (id) => document.getElementById(id);

/** localStorage keys of the settings a browser keeps between pages and visits. */
export const STORE = { annotator: "multiverseg.annotator", order: "multiverseg.order", tool: "multiverseg.tool" };

/** Shows `text` in the header's status line; `kind` is "ok", "warn" or "". Example: `showStatus("saved", "ok")`. */
export function showStatus(text, kind = "") {
  const element = $("status");
  element.textContent = text;
  element.className = `status ${kind}`;
}

/**
 * Fetches the page at `url` as the server renders it now and moves the content of each element
 * named in `ids` into the element with the same id here. The elements themselves stay, so listeners
 * bound on them keep working. Throws an `APIError` with the error page's message when the page
 * cannot be rendered.
 * Example: `await refreshFromPage(location.pathname, ["labels", "images"])`.
 */
export async function refreshFromPage(url, ids) {
  const response = await fetch(url, { headers: { Accept: "text/html" } });
  const rendered = new DOMParser().parseFromString(await response.text(), "text/html");
  if (!response.ok) {
    // Templates/error.html: the reason is the section's first paragraph.
    const reason = rendered.querySelector("#page-error p")?.textContent.replace(/\.$/, "");
    throw new APIError(reason || `HTTP ${response.status}`, response.status);
  }
  for (const id of ids) {
    const here = $(id);
    const there = rendered.getElementById(id);
    if (here && there) here.replaceChildren(...there.childNodes);
  }
}
