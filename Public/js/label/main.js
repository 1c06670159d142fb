// The labeling page: wires the viewer, the pointer tools, the prediction stream and the panels.
// URL: /label.html?project=<id>&label=<label>[&image=<id>]

import { APIError, describe, getJSON, getRaw, paths, sendJSON } from "../api.js";
import { bytesToBase64, decodeMask, decodeToRGBA, encodeGreyPNG } from "../png.js";
import { Annotation, PROMPT_KINDS } from "./annotation.js";
import { describeState, matchingImages, renderChart, renderContext, renderImages } from "./panels.js";
import { fillHoles, largestComponent } from "./morphology.js";
import { PredictionChannel } from "./predictions.js";
import { renderHelp, shortcutFor } from "./shortcuts.js";
import { PointerTools, TOOLS } from "./tools.js";
import { Viewer } from "./viewer.js";

const $ = (id) => document.getElementById(id);
const STORE = { annotator: "multiverseg.annotator", order: "multiverseg.order", tool: "multiverseg.tool" };

class LabelPage {
  constructor() {
    const params = new URLSearchParams(location.search);
    this.projectId = params.get("project");
    this.label = params.get("label");
    this.requestedImage = params.get("image");
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
      onContext: () => this.refreshLists(),
      onReconnect: () => {
        if (this.annotation && this.shownSeq < this.lastSeq) this.predict(false);
        this.refreshLists();
      },
      onStatus: (text, kind) => this.status(text, kind),
    });
    this.channel.connect();
    this.renderImageList();
    // The first image's display depends on whether there is any context to predict from.
    await this.refreshContext();

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
    for (const button of document.querySelectorAll(".toolbar button, .actions button, .actions .button, #auto-window")) {
      button.addEventListener("mousedown", (e) => e.preventDefault());
    }
    $("accept").addEventListener("click", () => this.accept());
    $("export").addEventListener("click", (e) => {
      // The server answers an empty label with an error, which a download link would drop silently.
      if (this.acceptedCount() > 0) return;
      e.preventDefault();
      this.status(`Nothing to export yet: no image of “${this.label}” has an accepted mask. Accept one (Enter) first.`, "warn");
    });
    $("skip").addEventListener("click", () => this.skip());
    $("unaccept").addEventListener("click", () => this.unaccept());
    $("previous").addEventListener("click", () => this.previousImage());
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
    const onWindow = () => {
      this.viewer.setWindow(Number($("level").value), Number($("window").value));
      this.showWindow();
    };
    $("window").addEventListener("input", onWindow);
    $("level").addEventListener("input", onWindow);
    $("auto-window").addEventListener("click", () => this.autoWindow());
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

  // ---- opening images and predictions ----

  async open(imageId) {
    const token = ++this.openToken;
    const meta = this.project.images.find((image) => image.id === imageId);
    if (!meta) {
      this.status(`no image ${imageId} in this project`, "warn");
      return;
    }
    if (this.imageId && this.imageId !== imageId) {
      this.visited = this.visited.filter((id) => id !== this.imageId).concat(this.imageId).slice(-100);
    }
    this.imageId = imageId;
    this.annotation = null;
    this.shownSeq = -1;
    this.firstSeq = this.channel.seq + 1;
    this.notifySettled();
    document.body.dataset.image = imageId;
    document.body.dataset.shownSeq = "-1";
    document.body.dataset.firstSeq = String(this.firstSeq);
    document.body.dataset.maskPixels = "0";
    $("image-name").textContent = imageId;
    const url = new URL(location.href);
    url.searchParams.set("project", this.projectId);
    url.searchParams.set("label", this.label);
    url.searchParams.set("image", imageId);
    history.replaceState(null, "", url.toString());
    this.renderImageList();
    this.message(null);
    this.setHint(null);
    this.setPending(true);

    let info;
    try {
      info = await this.loadImage(meta);
    } catch (error) {
      if (token === this.openToken) this.message(`Cannot load ${imageId}: ${describe(error)}`, true);
      return;
    }
    if (token !== this.openToken) return; // the user moved on while it loaded
    this.info = info;
    this.annotation = new Annotation(info.width, info.height);
    this.viewer.setImage(info);
    this.setupWindowSliders();
    this.viewChanged();
    this.refreshMask();

    const state = meta.labels && meta.labels[this.label];
    if (state && state.accepted) {
      // An accepted image opens with its saved mask; any interaction starts a new prediction.
      try {
        const response = await fetch(paths.mask(this.projectId, this.label, imageId));
        if (!response.ok) throw new APIError(`mask: HTTP ${response.status}`, response.status);
        const mask = await decodeMask(await response.blob(), info.width, info.height);
        if (token !== this.openToken) return;
        this.annotation.setPrediction(mask);
        this.refreshMask();
        this.setPending(false);
        this.status(`${imageId}: ${describeState(state)} — interact to revise`, "ok");
        return;
      } catch (error) {
        this.status(`saved mask unreadable (${describe(error)}); predicting instead`, "warn");
      }
    }
    // The in-context prediction with no interaction, shown as soon as it arrives.
    this.predict(false);
  }

  /** Whether a prediction without interactions means anything: only with a context to go on. */
  get coldStart() {
    return this.contextSize === 0 && this.annotation != null && this.annotation.promptCount === 0;
  }

  /**
   * With an empty context set and no interaction the network has nothing to condition on: its
   * output would be noise presented as a prediction. Show no mask and say how to start instead.
   */
  showColdStart() {
    this.firstSeq = this.channel.seq + 1; // answers to earlier requests must not show up later
    this.lastSeq = this.channel.seq;
    document.body.dataset.firstSeq = String(this.firstSeq);
    this.annotation.setPrediction(null);
    this.refreshMask();
    this.setPending(false);
    this.notifySettled();
    this.setHint("The context set is empty, so there is nothing to predict from yet. Click on the object, " +
      "drag a box or scribble to start; every mask you accept makes the next prediction better.");
  }

  setHint(text) {
    const hint = $("hint");
    hint.hidden = !text;
    hint.textContent = text || "";
    document.body.dataset.coldStart = String(Boolean(text));
  }

  /** Pixels for display: uint16 luminance from /raw (for window/level) and the PNG (for colour). */
  async loadImage(meta) {
    const pngResponse = fetch(paths.imagePNG(this.projectId, meta.id)).then(async (response) => {
      if (!response.ok) throw new APIError(`image: HTTP ${response.status}`, response.status);
      return response.blob();
    });
    const raw = getRaw(this.projectId, meta.id).catch((error) => error);
    const blob = await pngResponse;
    const bitmap = await createImageBitmap(blob);
    let data = await raw;
    if (data instanceof Error) {
      // Without /raw, fall back to the 8-bit luminance the browser decodes (window/level still works).
      const { width, height, rgba } = await decodeToRGBA(blob);
      const grey = new Uint16Array(width * height);
      for (let k = 0; k < grey.length; k++) {
        grey[k] = Math.round(0.299 * rgba[4 * k] + 0.587 * rgba[4 * k + 1] + 0.114 * rgba[4 * k + 2]);
      }
      data = { width, height, maxValue: 255, data: grey };
    }
    return {
      width: data.width, height: data.height, grey: data.data, maxValue: data.maxValue, bitmap,
      colour: (meta.channels || 1) >= 3, bitDepth: meta.bitDepth || (data.maxValue > 255 ? 16 : 8),
    };
  }

  predict(usePrevious) {
    if (!this.annotation || !this.imageId) return;
    if (this.coldStart) {
      this.showColdStart();
      return;
    }
    this.setHint(null);
    this.send(this.imageId, { ...this.annotation.prompts(), usePrevious }, 0);
  }

  /**
   * Sends a prediction request; one that fails for want of the server (unreachable, restarting,
   * its event stream not yet back) is sent again with backoff while it is still the newest.
   */
  send(imageId, body, attempt) {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const request = this.channel.request(imageId, body);
    const seq = this.channel.seq;
    this.lastSeq = seq;
    this.setPending(true);
    request.then(() => {
      if (!this.retrying) return;
      this.retrying = false;
      this.status("reconnected: predicting your last interaction", "ok");
    }, (error) => {
      if (seq !== this.lastSeq || imageId !== this.imageId) return; // a newer request took over
      const transient = !(error instanceof APIError) || error.status === 409 || error.status === 502 || error.status === 504;
      if (!transient) {
        this.status(`prediction request failed: ${describe(error)}`, "warn");
        this.failedSeq = seq;
        this.setPending(false);
        this.notifySettled();
        if (error instanceof APIError && error.status === 503) this.checkModel();
        return;
      }
      const delay = Math.min(8000, 500 * 2 ** attempt);
      this.retrying = true;
      this.status(`cannot reach the server (${describe(error)}); trying again in ${(delay / 1000).toFixed(1)} s…`, "warn");
      this.retryTimer = setTimeout(() => {
        if (seq === this.lastSeq && imageId === this.imageId) this.send(imageId, body, attempt + 1);
      }, delay);
    });
  }

  /** True while the newest prediction asked for on this image has not arrived. */
  get awaitingPrediction() {
    return this.lastSeq >= this.firstSeq && this.shownSeq < this.lastSeq && this.failedSeq < this.lastSeq;
  }

  notifySettled() {
    for (const waiter of [...this.settleWaiters]) waiter();
  }

  /**
   * Waits until the newest prediction for `annotation` has arrived: "ready", or "failed",
   * "moved" (another image opened) or "cancelled" (Escape).
   */
  untilPredicted(annotation) {
    return new Promise((resolve) => {
      const check = (outcome) => {
        let result = outcome;
        if (!result && annotation !== this.annotation) result = "moved";
        if (!result && this.failedSeq >= this.lastSeq && this.lastSeq >= this.firstSeq) result = "failed";
        if (!result && !this.awaitingPrediction) result = "ready";
        if (!result) return;
        this.settleWaiters.delete(check);
        this.cancelWaiting = null;
        resolve(result);
      };
      this.settleWaiters.add(check);
      this.cancelWaiting = () => check("cancelled");
      check();
    });
  }

  async onPrediction(data, roundTrip) {
    if (data.image !== this.imageId || !this.annotation) return;
    if (data.seq < this.firstSeq || data.seq <= this.shownSeq) return; // stale: newest wins
    const annotation = this.annotation;
    let mask;
    try {
      mask = await decodeMask(data.maskPNG, annotation.width, annotation.height);
    } catch (error) {
      this.status(`bad prediction from server: ${describe(error)}`, "warn");
      return;
    }
    // A newer one may have been shown while this one decoded.
    if (annotation !== this.annotation || data.seq <= this.shownSeq) return;
    this.shownSeq = data.seq;
    document.body.dataset.shownSeq = String(data.seq);
    annotation.setPrediction(mask);
    this.refreshMask();
    this.updatePending();
    this.notifySettled();
    if (annotation.promptCount > 0 && !mask.some((v) => v)) {
      // Honest about an empty answer rather than leaving the user to wonder whether it worked.
      this.status("The network found nothing for these interactions: add a positive click inside the object, or paint it with the brush (P).", "warn");
    }
    const server = Number.isFinite(data.latencyMs) ? `${Math.round(data.latencyMs)} ms` : "?";
    // A precomputed prediction (computed while the user worked on the previous image) is shown
    // after the round trip only; its compute time is still the figure worth knowing.
    const trip = roundTrip == null ? "" : data.cached
      ? ` (precomputed, shown after ${Math.round(roundTrip)} ms)` : ` (${Math.round(roundTrip)} ms round trip)`;
    $("sb-latency").textContent = `prediction ${server}${trip}`;
    if (data.contextSize != null) $("sb-context").textContent = `context ${data.contextSize}`;
    // Exposed for the browser test and the latency probe (Tests/BrowserTests).
    document.body.dataset.latencyMs = String(data.latencyMs);
    document.body.dataset.roundTripMs = roundTrip == null ? "" : String(Math.round(roundTrip));
    document.body.dataset.cached = String(Boolean(data.cached));
    document.body.dataset.predictionContext = String(data.contextSize ?? "");
    if (data.uncertainty != null) $("sb-latency").title = `server compute time (round trip in brackets); uncertainty ${Number(data.uncertainty).toFixed(3)}`;
  }

  onPredictionError(data) {
    if (data.image !== this.imageId) return;
    this.status(`prediction failed: ${data.error}`, "warn");
    if (data.seq >= this.lastSeq) {
      this.failedSeq = data.seq;
      this.setPending(false);
      this.notifySettled();
    }
  }

  updatePending() {
    this.setPending(this.shownSeq < this.lastSeq && this.lastSeq >= this.firstSeq);
  }

  setPending(pending) {
    $("pending").hidden = !pending;
    document.body.dataset.pending = String(pending);
  }

  refreshMask() {
    const annotation = this.annotation;
    const mask = annotation ? annotation.composite() : null;
    this.viewer.setMask(mask);
    let count = 0;
    if (mask) for (let k = 0; k < mask.length; k++) count += mask[k];
    document.body.dataset.maskPixels = String(count);
    const n = annotation ? annotation.interactionCount : 0;
    $("sb-interactions").textContent = `${n} interaction${n === 1 ? "" : "s"}`;
    for (const action of ["undo", "redo"]) {
      const button = document.querySelector(`[data-action="${action}"]`);
      button.disabled = !annotation || !(action === "undo" ? annotation.canUndo : annotation.canRedo);
    }
  }

  decorate(context, viewer) {
    if (!this.annotation) return;
    viewer.drawPrompts(context, this.annotation.ops, this.pointer.live);
    const hover = this.pointer.hover;
    if (hover && (this.tool === "brush" || this.tool === "eraser") && viewer.contains(hover)) {
      viewer.drawBrushCursor(context, hover, this.brushRadius, this.tool === "eraser");
    }
  }

  // ---- accept, next ----

  async nextImageId(after) {
    try {
      const { id } = await getJSON(paths.next(this.projectId, this.label, $("order").value, after));
      return id;
    } catch (error) {
      this.status(`cannot ask for the next image: ${describe(error)}`, "warn");
      return undefined;
    }
  }

  async accept() {
    if (!this.annotation || this.accepting) return;
    const annotator = await this.ensureAnnotator();
    if (!annotator) {
      this.status("accept cancelled: an annotator name is needed", "warn");
      return;
    }
    this.accepting = true;
    $("accept").disabled = true;
    const annotation = this.annotation;
    const imageId = this.imageId;
    try {
      // Save what the user meant: the mask of their last interaction, not the one still shown
      // while its prediction is on the way (mask and interaction count are read together after).
      if (this.awaitingPrediction) {
        this.setAcceptState("waiting");
        this.status("Accept: waiting for the prediction of your last interaction, then saving… (Esc cancels)", "");
        const outcome = await this.untilPredicted(annotation);
        if (outcome !== "ready") {
          const why = { failed: "the prediction of your last interaction failed; interact again or undo it, then accept",
            moved: "another image was opened", cancelled: "cancelled" }[outcome];
          this.status(`not accepted: ${why}`, "warn");
          return;
        }
      }
      this.setAcceptState("saving");
      const mask = annotation.composite();
      const pixels = new Uint8Array(mask.length);
      for (let k = 0; k < mask.length; k++) pixels[k] = mask[k] ? 255 : 0;
      const png = await encodeGreyPNG(pixels, annotation.width, annotation.height);
      const answer = await sendJSON(paths.accept(this.projectId, this.label, imageId), {
        maskPNG: bytesToBase64(png), annotator, interactions: annotation.interactionCount,
      });
      this.status(`accepted ${imageId} (version ${answer.version}, context ${answer.contextSize})`, "ok");
      $("sb-context").textContent = `context ${answer.contextSize}`;
      await this.refreshLists();
      await this.openNext(imageId);
    } catch (error) {
      this.status(`accept failed: ${describe(error)}`, "warn");
    } finally {
      this.accepting = false;
      this.setAcceptState(null);
      $("accept").disabled = false;
    }
  }

  /** The Accept button says what it is doing: waiting for a prediction, or saving. */
  setAcceptState(state) {
    const button = $("accept");
    button.firstChild.textContent = state === "waiting" ? "Waiting for prediction… " : state === "saving" ? "Saving… " : "Accept ";
    button.classList.toggle("busy", Boolean(state));
    document.body.dataset.acceptState = state || "";
  }

  /** Images of this label with an accepted mask. */
  acceptedCount() {
    return (this.project?.images || []).filter((image) => image.labels?.[this.label]?.accepted).length;
  }

  /** Withdraws the current image's accepted mask (kept in history) and predicts it afresh. */
  async unaccept() {
    const imageId = this.imageId;
    if (!imageId || !confirm(`Un-accept ${imageId}? Its mask goes to history and the image leaves the context set.`)) return;
    try {
      await sendJSON(paths.mask(this.projectId, this.label, imageId), undefined, "DELETE");
      this.status(`${imageId} is no longer accepted (its mask is kept in history)`, "ok");
    } catch (error) {
      this.status(`cannot un-accept ${imageId}: ${describe(error)}`, "warn");
    }
    await this.refreshLists();
    if (this.imageId === imageId) await this.open(imageId);
  }

  /** Back to the image opened before this one (or, with none, the one listed before it). */
  async previousImage() {
    const ids = new Set((this.project?.images || []).map((image) => image.id));
    while (this.visited.length && !ids.has(this.visited[this.visited.length - 1])) this.visited.pop();
    let target = this.visited.pop();
    if (!target) {
      const list = this.project?.images || [];
      const index = list.findIndex((image) => image.id === this.imageId);
      target = index > 0 ? list[index - 1].id : undefined;
    }
    if (!target) {
      this.status("no image before this one", "warn");
      return;
    }
    await this.open(target);
    this.visited.pop(); // going back is not a visit to come back to
  }

  findImage() {
    $("image-find").focus({ preventScroll: true }); // scrolling the side panel would hide Accept
    $("image-find").select();
  }

  async skip() {
    if (this.imageId) await this.openNext(this.imageId);
  }

  async openNext(after) {
    const id = await this.nextImageId(after);
    if (id === undefined) return;
    if (id === null) {
      this.annotation = null;
      this.setHint(null);
      this.viewer.setMask(null);
      this.setPending(false);
      this.message("Every image of this label has an accepted mask. Download them with “Export zip”, or open any image from the list to revise it.");
      document.body.dataset.image = "";
      return;
    }
    await this.open(id);
  }

  saveAnnotator(name) {
    const clean = name.trim();
    if (clean) localStorage.setItem(STORE.annotator, clean);
    $("annotator").value = clean;
    return clean;
  }

  /** The annotator's name, asked once in a dialog and kept in localStorage. */
  ensureAnnotator() {
    const known = ($("annotator").value || localStorage.getItem(STORE.annotator) || "").trim();
    if (known) return Promise.resolve(this.saveAnnotator(known));
    const dialog = $("annotator-dialog");
    const input = $("annotator-input");
    input.value = "";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => {
        resolve(dialog.returnValue === "ok" ? this.saveAnnotator(input.value) : "");
      }, { once: true });
      dialog.returnValue = "";
      dialog.showModal();
      input.focus();
    });
  }

  // ---- panels ----

  async refreshLists() {
    try {
      this.project = await getJSON(paths.project(this.projectId));
    } catch (error) {
      this.status(`cannot refresh the project: ${describe(error)}`, "warn");
    }
    this.renderImageList();
    await this.refreshContext();
  }

  renderImageList() {
    if (!this.project) return;
    const opened = this.project.images.find((image) => image.id === this.imageId);
    $("unaccept").disabled = !opened?.labels?.[this.label]?.accepted;
    renderImages($("images"), {
      images: this.project.images, label: this.label, current: this.imageId, open: (id) => this.open(id),
      filter: $("image-filter").value, query: $("image-find").value,
    });
    const shown = $("images").querySelectorAll("li[data-image]").length;
    $("image-count").textContent = shown === this.project.images.length ? `${shown}` : `${shown} of ${this.project.images.length}`;
    const states = this.project.images.map((image) => image.labels?.[this.label] || {});
    const done = states.filter((state) => state.accepted).length;
    const used = states.filter((state) => state.accepted && state.inContext && state.included).length;
    $("progress").textContent = `${done} / ${this.project.images.length} accepted · ${used} in context`;
    // Scroll only the list (scrollIntoView would also scroll the side panel and hide Accept).
    const list = $("images");
    const current = list.querySelector("li.current");
    if (current && (current.offsetTop < list.scrollTop || current.offsetTop + current.offsetHeight > list.scrollTop + list.clientHeight)) {
      list.scrollTop = current.offsetTop - list.clientHeight / 2;
    }
  }

  async refreshContext() {
    try {
      const { entries } = await getJSON(paths.context(this.projectId, this.label));
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
          await this.refreshLists();
          if (this.annotation && this.annotation.promptCount === 0) this.predict(false);
        },
        restore: async (id) => {
          try {
            await sendJSON(paths.contextEntry(this.projectId, this.label, id), { included: true }, "PATCH");
            this.status(`${id} is back in the context set`, "ok");
          } catch (error) {
            this.status(`cannot add ${id} back: ${describe(error)}`, "warn");
          }
          await this.refreshLists();
          if (this.annotation && this.annotation.promptCount === 0) this.predict(false);
        },
        remove: async (entry) => {
          if (!confirm(`Remove ${entry.id} from the context set? Its mask stays saved, and “Add back” returns it.`)) return;
          try {
            await sendJSON(paths.contextEntry(this.projectId, this.label, entry.id), undefined, "DELETE");
          } catch (error) {
            this.status(`cannot remove ${entry.id}: ${describe(error)}`, "warn");
          }
          await this.refreshLists();
          if (this.annotation && this.annotation.promptCount === 0) this.predict(false);
        },
      },
    });
    // Crossing an empty context set changes what the current image can honestly show.
    if (this.annotation && this.annotation.promptCount === 0 && !this.accepting && wasColdStart !== (used === 0)) {
      this.predict(false);
    }
  }

  // ---- display controls ----

  setupWindowSliders() {
    $("brush-size").max = String(this.maxBrushRadius());
    if (this.brushRadius > this.maxBrushRadius()) this.setBrushRadius(this.brushRadius);
    const max = this.info.maxValue;
    $("window").max = String(max);
    $("level").max = String(max);
    $("bitdepth").textContent = `${this.info.width}×${this.info.height}, ${this.info.bitDepth}-bit` +
      `${this.info.colour ? " colour (window/level shows luminance)" : " grey"}; display only — the network sees the original.`;
    this.showWindow();
  }

  showWindow() {
    const { center, width } = this.viewer.window;
    $("window").value = String(Math.round(width));
    $("level").value = String(Math.round(center));
    $("window-value").textContent = String(Math.round(width));
    $("level-value").textContent = String(Math.round(center));
  }

  autoWindow() {
    this.viewer.autoWindow();
    this.showWindow();
  }

  setOpacity(opacity) {
    const value = Math.min(1, Math.max(0, opacity));
    this.viewer.setOpacity(value);
    $("opacity").value = String(Math.round(value * 100));
    $("opacity-value").textContent = `${Math.round(value * 100)}%`;
  }

  /** The largest brush: 40 px, or a tenth of a large image's longer side (one stroke can then clear a mask). */
  maxBrushRadius() {
    return this.info ? Math.max(40, Math.round(Math.max(this.info.width, this.info.height) / 10)) : 40;
  }

  setBrushRadius(radius) {
    this.brushRadius = Math.min(this.maxBrushRadius(), Math.max(1, radius));
    $("brush-size").value = String(this.brushRadius);
    $("brush-size-value").textContent = String(this.brushRadius);
    this.viewer.requestDraw();
  }

  selectTool(tool) {
    this.tool = tool;
    localStorage.setItem(STORE.tool, tool);
    for (const button of document.querySelectorAll("[data-tool]")) {
      button.classList.toggle("active", button.dataset.tool === tool);
      button.setAttribute("aria-pressed", String(button.dataset.tool === tool));
    }
    $("sb-tool").textContent = TOOLS[tool];
    this.viewer.canvas.dataset.tool = tool;
    this.viewer.requestDraw();
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
    const element = $("status");
    element.textContent = text;
    element.className = `status ${kind}`;
  }

  // ---- keyboard actions (names used in SHORTCUTS) ----

  onKey(e) {
    const typing = e.target.closest && e.target.closest("input[type=text], input[type=search], textarea, select, dialog");
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
    const row = shortcutFor(e);
    if (!row) return;
    e.preventDefault();
    this[row.action](e);
  }

  toolClick() { this.selectTool("click"); }
  toolBox() { this.selectTool("box"); }
  toolScribblePositive() { this.selectTool("scribblePositive"); }
  toolScribbleNegative() { this.selectTool("scribbleNegative"); }
  toolBrush() { this.selectTool("brush"); }
  toolEraser() { this.selectTool("eraser"); }

  brushSize(e) {
    this.setBrushRadius(this.brushRadius + (e.key === "]" ? 1 : -1) * Math.max(1, Math.round(this.brushRadius / 5)));
  }

  fillHoles() {
    this.maskEdit("fill holes", fillHoles);
  }

  keepLargest() {
    this.maskEdit("keep the largest component", largestComponent);
  }

  /** A whole-mask edit as one undoable operation, kept like brush edits over later predictions. */
  maskEdit(name, transform) {
    const annotation = this.annotation;
    if (!annotation) return;
    const op = annotation.pushMaskEdit(name, transform(annotation.composite(), annotation.width, annotation.height));
    this.status(op ? `${name}: ${op.on.length} pixel(s) added, ${op.off.length} removed` : `${name}: nothing to change`, op ? "ok" : "");
    this.refreshMask();
  }

  undo() {
    const op = this.annotation?.undo();
    if (!op) return;
    // The previous prediction belongs to the undone state, so it must not feed the network.
    if (PROMPT_KINDS.has(op.kind)) this.predict(false);
    this.refreshMask();
  }

  redo() {
    const op = this.annotation?.redo();
    if (!op) return;
    if (PROMPT_KINDS.has(op.kind)) this.predict(false);
    this.refreshMask();
  }

  reset() {
    if (!this.annotation) return;
    this.annotation.reset();
    this.predict(false);
    this.refreshMask();
  }

  fit() {
    this.viewer.fit();
    this.viewChanged();
  }

  zoomKey(e) {
    this.viewer.zoomCentered(e.key === "+" ? 1.25 : 0.8);
    this.viewChanged();
  }

  toggleMask() {
    $("show-mask").checked = !$("show-mask").checked;
    this.viewer.maskVisible = $("show-mask").checked;
    this.viewer.requestDraw();
  }

  toggleOutline() {
    $("outline").checked = !$("outline").checked;
    this.viewer.setOutline($("outline").checked);
  }

  opacityKey(e) {
    this.setOpacity(this.viewer.opacity + (e.key === "." ? 0.1 : -0.1));
  }

  toggleHelp() {
    const help = $("help");
    if (help.open) help.close();
    else help.showModal();
  }

  escape() {
    this.cancelWaiting?.();
    this.pointer.cancel();
    if ($("help").open) $("help").close();
  }
}

const page = new LabelPage();
window.multiversegPage = page; // for the browser test and for poking around in the console
page.start();
