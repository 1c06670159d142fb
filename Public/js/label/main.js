// The labeling page: wires the viewer, the pointer tools, the prediction stream and the panels.
// URL: /label.html?project=<id>&label=<label>[&image=<id>][&review=1]
// The page is one object (LabelPage, below: start-up, controls, messages, keys); its other concerns
// are written in their own modules and installed on it: session.js (predictions), navigation.js
// (open, accept, next), sidebar.js (image list, context set), controls.js (display and tools),
// review.js (review mode: the label's proposals, most uncertain first).

import { describe, getJSON, paths } from "../api.js";
import { $, showStatus, STORE } from "../page.js";
import { PROMPT_KINDS } from "./annotation.js";
import { Controls } from "./controls.js";
import { Navigation } from "./navigation.js";
import { matchingImages } from "./panels.js";
import { PredictionChannel } from "./predictions.js";
import { ReviewMode } from "./review.js";
import { PredictionSession } from "./session.js";
import { renderHelp, shortcutFor } from "./shortcuts.js";
import { Sidebar } from "./sidebar.js";
import { PointerTools, TOOLS } from "./tools.js";
import { Viewer } from "./viewer.js";

class LabelPage {
  constructor() {
    const params = new URLSearchParams(location.search);
    this.projectId = params.get("project");
    this.label = params.get("label");
    this.requestedImage = params.get("image");
    this.review = params.get("review") === "1";
    this.reviewQueue = null;
    /** The context revision this page's last accept answered (see onContext). */
    this.appliedRevision = null;
    this.reviewItem = null; // the proposal under review
    this.reviewIndex = 0;
    this.project = null;
    this.imageId = null;
    this.annotation = null;
    this.info = null;
    this.openToken = 0;
    this.firstSeq = 0; // seqs below this belong to an earlier opening of the image
    this.shownSeq = -1;
    this.lastSeq = 0;
    this.accepting = false;
    this.failedSeq = -1; // the newest seq whose prediction failed for good
    this.settleWaiters = new Set(); // re-checked whenever a prediction arrives, fails or is superseded
    this.retryTimer = null;
    this.retrying = false;
    this.contextSize = null; // included context entries, once known
    this.visited = []; // images opened before the current one, oldest first (for "Back")
    this.tool = localStorage.getItem(STORE.tool) in TOOLS ? localStorage.getItem(STORE.tool) : "click";
    this.brushRadius = 6;
    this.contextEntries = [];

    this.viewer = new Viewer($("view"));
    this.viewer.decorate = (context, viewer) => this.decorate(context, viewer);
    this.pointer = new PointerTools(this.viewer, this);
  }

  // ---- host interface for PointerTools ----

  currentAnnotation() {
    return this.annotation;
  }

  scribbleWidth() {
    // About 2 px at the network's 128x128 input, in image pixels.
    const size = this.info ? Math.max(this.info.width, this.info.height) : 128;
    return Math.max(2, Math.round((size / 128) * 2));
  }

  commit(op) {
    if (!this.annotation) return;
    if (op.kind === "lasso" || op.kind === "fill") {
      this.shapeEdit(op);
      return;
    }
    this.annotation.push(op);
    if (PROMPT_KINDS.has(op.kind)) this.predict(true);
    this.refreshMask();
  }

  cursorMoved(point) {
    if (!point || !this.info || !this.viewer.contains(point)) {
      $("sb-cursor").textContent = "—";
      return;
    }
    const x = Math.floor(point.x);
    const y = Math.floor(point.y);
    const value = this.info.grey[y * this.info.width + x];
    $("sb-cursor").textContent = `x ${x}  y ${y}  value ${value}`;
  }

  viewChanged() {
    $("sb-zoom").textContent = `${Math.round(this.viewer.scale * 100 / (window.devicePixelRatio || 1))}%`;
  }

  // ---- start-up ----

  async start() {
    this.bindControls();
    renderHelp($("help-body"));
    this.selectTool(this.tool);
    const home = { text: "All projects", href: "/" };
    if (!this.projectId) {
      this.message("No project chosen. Open a project from the project list.", true, [home]);
      return;
    }
    // The context set is asked for alongside the project (not after it): a long project list
    // takes a while to arrive, and the panel should not wait for it.
    const contextRequest = this.label ? getJSON(paths.context(this.projectId, this.label)) : null;
    contextRequest?.catch(() => {}); // answered (or reported) by refreshContext
    try {
      this.project = await getJSON(paths.project(this.projectId));
    } catch (error) {
      this.message(`Cannot open project “${this.projectId}”: ${describe(error)}`, true, [home]);
      return;
    }
    const projectPage = { text: `Project “${this.project.name}”`, href: `/projects/${encodeURIComponent(this.projectId)}` };
    document.title = `${this.project.name} · MultiverSeg`;
    $("project-link").textContent = this.project.name;
    $("project-link").href = `/projects/${encodeURIComponent(this.projectId)}`;
    // A label or image named in the URL that does not exist is an error, never a silent switch
    // to another one (the user would label the wrong task or image).
    if (this.label && !this.project.labels.includes(this.label)) {
      const known = this.project.labels.length ? `its labels are ${this.project.labels.map((l) => `“${l}”`).join(", ")}` : "it has no label yet";
      this.message(`Project “${this.project.name}” has no label “${this.label}”: ${known}.`, true, [projectPage, home]);
      return;
    }
    if (!this.label) this.label = this.project.labels[0];
    if (!this.label) {
      this.message("This project has no label yet: add one on the project page.", true, [projectPage, home]);
      return;
    }
    if (this.requestedImage && !this.project.images.some((image) => image.id === this.requestedImage)) {
      const labelled = new URL(location.href);
      labelled.searchParams.delete("image");
      this.message(`Project “${this.project.name}” has no image “${this.requestedImage}”.`, true,
        [{ text: `Label “${this.label}” from the first image to do`, href: labelled.pathname + labelled.search }, projectPage, home]);
      return;
    }
    const select = $("label-select");
    select.replaceChildren(...this.project.labels.map((name) => new Option(name, name, false, name === this.label)));
    $("export").href = paths.exportZip(this.projectId, this.label);
    $("export").setAttribute("download", `${this.projectId}-${this.label}-masks.zip`);
    if (this.project.images.length === 0) {
      this.message("This project has no images yet: upload some on the project page.", true, [projectPage, home]);
      return;
    }

    this.checkModel();
    this.channel = new PredictionChannel(this.projectId, this.label, {
      onPrediction: (data, roundTrip) => this.onPrediction(data, roundTrip),
      onSuperseded: () => {
        this.updatePending();
        this.notifySettled();
      },
      onError: (data) => this.onPredictionError(data),
      onContext: ({ revision, image, state } = {}) => {
        // An accept made on this page is in its list already (noteAccepted); a change of one image
        // (another page's accept, the context panel) comes with its state; anything else (a
        // collaborator's app on a shared folder, a deleted image) needs every image's state again.
        if (revision && revision === this.appliedRevision) {
          // nothing to fetch
        } else if (image && state && this.noteState(image, state)) {
          this.refreshContext();
        } else {
          this.refreshLists();
        }
        this.loadLabelWindow(); // a window changed here or in a collaborator's app
      },
      onRefresh: (data) => this.reviewRefreshProgress(data),
      onReconnect: () => {
        if (this.annotation && this.shownSeq < this.lastSeq) this.predict(false);
        this.refreshLists();
      },
      onStatus: (text, kind) => this.status(text, kind),
    });
    this.channel.connect();
    this.renderImageList();
    // The first image's display depends on whether there is any context to predict from.
    await this.refreshContext(contextRequest);
    await this.loadLabelWindow();

    if (this.review) {
      await this.reviewStart();
      return;
    }
    let first = this.requestedImage;
    if (!first) {
      first = await this.nextImageId(null);
      first = first ?? this.project.images[0].id;
    }
    await this.open(first);
  }

  /** Without a model the page still works for hand labeling (brush, eraser, accept): say so. */
  async checkModel() {
    try {
      const { model } = await getJSON(paths.health());
      if (model.available) return;
      const notice = $("notice");
      notice.textContent = `Predictions are off (${model.problem || "no model weights"}). ` +
        "You can still paint masks with the brush (P) and accept them.";
      notice.hidden = false;
    } catch {
      // The status line reports an unreachable server already.
    }
  }

  bindControls() {
    for (const button of document.querySelectorAll("[data-tool]")) {
      button.addEventListener("click", () => this.selectTool(button.dataset.tool));
    }
    for (const button of document.querySelectorAll("[data-action]")) {
      button.addEventListener("click", () => this[button.dataset.action]());
    }
    $("help-button").addEventListener("click", () => this.toggleHelp());
    // A plain button, not a submit one: Enter in the name field must submit "Save", the form's
    // first submit button, never "Cancel".
    $("annotator-cancel").addEventListener("click", () => $("annotator-dialog").close("cancel"));
    // Mouse clicks on buttons must not leave them focused: Enter would then press the button
    // instead of accepting. Keyboard focus (Tab) still works as usual.
    for (const button of document.querySelectorAll(".toolbar button, .actions button, .actions .button, .review-panel button, #auto-window")) {
      button.addEventListener("mousedown", (e) => e.preventDefault());
    }
    $("accept").addEventListener("click", () => (this.review ? this.reviewEnter() : this.accept()));
    $("export").addEventListener("click", (e) => {
      // The server answers an empty label with an error, which a download link would drop silently.
      if (this.acceptedCount() > 0) return;
      e.preventDefault();
      this.status(`Nothing to export yet: no image of “${this.label}” has an accepted mask. Accept one (Enter) first.`, "warn");
    });
    // In review mode Skip and Back move through the review queue, as N and Shift+N do.
    $("skip").addEventListener("click", () => (this.review ? this.reviewNext() : this.skip()));
    $("unaccept").addEventListener("click", () => this.unaccept());
    $("previous").addEventListener("click", () => (this.review ? this.reviewPrevious() : this.previousImage()));
    $("image-filter").addEventListener("change", () => this.renderImageList());
    const find = $("image-find");
    find.addEventListener("input", () => this.renderImageList());
    find.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        const [match] = matchingImages(this.project?.images || [], this.label, $("image-filter").value, find.value);
        if (match) this.open(match.id);
        else this.status(`no image matches “${find.value}”`, "warn");
      } else if (e.key === "Escape") {
        find.value = "";
        find.blur();
        this.renderImageList();
      }
    });
    $("label-select").addEventListener("change", (e) => {
      const url = new URL(location.href);
      url.searchParams.set("label", e.target.value);
      url.searchParams.delete("image");
      location.href = url.toString();
    });
    const order = $("order");
    order.value = localStorage.getItem(STORE.order) || "listed";
    order.addEventListener("change", () => localStorage.setItem(STORE.order, order.value));
    const annotator = $("annotator");
    annotator.value = localStorage.getItem(STORE.annotator) || "";
    annotator.addEventListener("change", () => this.saveAnnotator(annotator.value));

    $("opacity").addEventListener("input", (e) => this.setOpacity(Number(e.target.value) / 100));
    $("show-mask").addEventListener("change", (e) => {
      this.viewer.maskVisible = e.target.checked;
      this.viewer.requestDraw();
    });
    $("outline").addEventListener("change", (e) => this.viewer.setOutline(e.target.checked));
    $("show-others").addEventListener("change", (e) => this.viewer.setOthersVisible(e.target.checked));
    const onWindow = () => {
      this.viewer.setWindow(Number($("level").value), Number($("window").value));
      this.showWindow();
    };
    $("window").addEventListener("input", onWindow);
    $("level").addEventListener("input", onWindow);
    $("auto-window").addEventListener("click", () => this.autoWindow());
    $("label-window").addEventListener("change", (e) => {
      $("custom-window").hidden = e.target.value !== "custom";
      // A custom window waits for its numbers (Apply); a preset applies at once.
      if (e.target.value !== "custom") this.setLabelWindow(e.target.value);
    });
    $("apply-window").addEventListener("click", () => this.setLabelWindow("custom"));
    $("brush-size").addEventListener("input", (e) => this.setBrushRadius(Number(e.target.value)));

    document.addEventListener("keydown", (e) => this.onKey(e));
    document.addEventListener("keyup", (e) => {
      if (e.key === " ") {
        this.pointer.spaceDown = false;
        this.viewer.canvas.classList.remove("pan-ready");
      }
    });
    window.addEventListener("beforeunload", () => this.channel?.close());
  }


  /** A message over the stage; `links` ({text, href}) offer a way on, e.g. home. */
  message(text, isError = false, links = []) {
    const box = $("stage-message");
    box.hidden = !text;
    box.textContent = text || "";
    box.classList.toggle("error", isError);
    if (links.length) {
      const row = document.createElement("p");
      row.className = "links";
      for (const { text: label, href } of links) {
        const link = document.createElement("a");
        link.className = "button";
        link.href = href;
        link.textContent = label;
        row.append(link);
      }
      box.append(row);
    }
    if (text) {
      this.setPending(false);
      this.setHint(null);
    }
  }

  status(text, kind = "") {
    showStatus(text, kind);
  }

  /** Keys: Escape always; the rest (shortcuts.js names the actions) unless the user is typing. */
  onKey(e) {
    const typing = e.target.closest && e.target.closest("input[type=text], input[type=search], input[type=number], textarea, select, dialog");
    if (e.key === "Escape") {
      this.escape();
      return;
    }
    if (typing) return;
    // A focused button or link keeps its own Enter/Space (keyboard users activate it that way).
    if ((e.key === "Enter" || e.key === " ") && e.target.closest && e.target.closest("button, a")) return;
    if (e.key === " " && e.target.closest && e.target.closest("input")) return; // Space toggles checkboxes
    if (e.key === " ") {
      e.preventDefault();
      this.pointer.spaceDown = true;
      this.viewer.canvas.classList.add("pan-ready");
      return;
    }
    const row = shortcutFor(e, this.review ? ["review"] : []);
    if (!row) return;
    e.preventDefault();
    this[row.action](e);
  }
}

// The concerns' methods join the page's own, so `this` in any of them is the page.
for (const concern of [PredictionSession, Navigation, Sidebar, Controls, ReviewMode]) {
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(concern.prototype))) {
    if (name !== "constructor") Object.defineProperty(LabelPage.prototype, name, descriptor);
  }
}

const page = new LabelPage();
window.multiversegPage = page; // for the browser test and for poking around in the console
page.start();
