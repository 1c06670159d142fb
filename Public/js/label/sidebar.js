// The labeling page's side panel kept up to date with the server: the image list and progress,
// the context set (include, exclude, remove, add back) and the interactions chart.
// Methods of the page: main.js installs them on LabelPage, so `this` is the page.

import { APIError, describe, getJSON, paths, sendJSON } from "../api.js";
import { renderChart, renderContext, renderImages, scrollImageIntoView } from "./panels.js";
import { $ } from "../page.js";

export class Sidebar {
  async refreshLists() {
    try {
      this.project = await getJSON(paths.project(this.projectId));
    } catch (error) {
      this.status(`cannot refresh the project: ${describe(error)}`, "warn");
    }
    this.renderImageList();
    await this.refreshContext();
  }

  /**
   * Marks `imageId` accepted for this label in the loaded project, as the server now has it, and
   * redraws the list. Example: `this.noteAccepted("a", { version: 2, interactions: 3, annotator: "ana" })`.
   */
  noteAccepted(imageId, { version, interactions, annotator }) {
    this.noteState(imageId, { accepted: true, inContext: true, included: true, version, interactions, annotator });
  }

  /**
   * Gives `imageId` its new state under this label (as a `context` event sends it) and redraws
   * the list; false when the image is not in the loaded list (the caller fetches it all again).
   */
  noteState(imageId, state) {
    const image = this.project?.images.find((candidate) => candidate.id === imageId);
    if (!image) return false;
    image.labels = { ...image.labels, [this.label]: state };
    this.renderImageList();
    return true;
  }

  renderImageList() {
    if (!this.project) return;
    const opened = this.project.images.find((image) => image.id === this.imageId);
    $("unaccept").disabled = !opened?.labels?.[this.label]?.accepted;
    const shown = renderImages($("images"), {
      images: this.project.images, label: this.label, current: this.imageId, open: (id) => this.open(id),
      filter: $("image-filter").value, query: $("image-find").value,
    }).length;
    $("image-count").textContent = shown === this.project.images.length ? `${shown}` : `${shown} of ${this.project.images.length}`;
    const states = this.project.images.map((image) => image.labels?.[this.label] || {});
    const done = states.filter((state) => state.accepted).length;
    const used = states.filter((state) => state.accepted && state.inContext && state.included).length;
    $("progress").textContent = `${done} / ${this.project.images.length} accepted · ${used} in context`;
    // Scroll only the list (scrollIntoView would also scroll the side panel and hide Accept).
    if (this.imageId) scrollImageIntoView($("images"), this.imageId);
  }

  /** `request`: the context's GET already under way, if any. */
  async refreshContext(request = null) {
    try {
      const { entries } = await (request ?? getJSON(paths.context(this.projectId, this.label)));
      this.contextEntries = entries;
    } catch (error) {
      if (!(error instanceof APIError && error.status === 404)) this.status(`context: ${describe(error)}`, "warn");
      this.contextEntries = [];
    }
    const entries = this.contextEntries;
    const used = entries.filter((entry) => entry.included !== false).length;
    const wasColdStart = this.contextSize === 0;
    this.contextSize = used;
    $("context-count").textContent = entries.length ? `${used} used / ${entries.length}` : "";
    document.body.dataset.contextSize = String(used);
    renderChart($("chart"), entries);
    const outside = (this.project?.images || []).filter((image) => {
      const state = image.labels?.[this.label];
      return state?.accepted && !state.inContext;
    });
    renderContext($("context"), {
      project: this.projectId, label: this.label, entries, outside,
      handlers: {
        open: (id) => this.open(id),
        toggle: async (entry, included) => {
          try {
            await sendJSON(paths.contextEntry(this.projectId, this.label, entry.id), { included }, "PATCH");
          } catch (error) {
            this.status(`cannot change ${entry.id}: ${describe(error)}`, "warn");
          }
          // The list row follows with the change's context event.
          await this.refreshContext();
          if (this.annotation && this.annotation.promptCount === 0) this.predict(false);
        },
        restore: async (id) => {
          try {
            await sendJSON(paths.contextEntry(this.projectId, this.label, id), { included: true }, "PATCH");
            this.status(`${id} is back in the context set`, "ok");
          } catch (error) {
            this.status(`cannot add ${id} back: ${describe(error)}`, "warn");
          }
          await this.refreshContext();
          if (this.annotation && this.annotation.promptCount === 0) this.predict(false);
        },
        remove: async (entry) => {
          if (!confirm(`Remove ${entry.id} from the context set? Its mask stays saved, and “Add back” returns it.`)) return;
          try {
            await sendJSON(paths.contextEntry(this.projectId, this.label, entry.id), undefined, "DELETE");
          } catch (error) {
            this.status(`cannot remove ${entry.id}: ${describe(error)}`, "warn");
          }
          await this.refreshContext();
          if (this.annotation && this.annotation.promptCount === 0) this.predict(false);
        },
      },
    });
    // Crossing an empty context set changes what the current image can honestly show.
    if (this.annotation && this.annotation.promptCount === 0 && !this.accepting && wasColdStart !== (used === 0)) {
      this.predict(false);
    }
  }
}
