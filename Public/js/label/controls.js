// The labeling page's drawing and display controls: the mask shown over the image, window/level,
// opacity, brush size, the pointer tool, and the actions the keyboard shortcuts name (shortcuts.js).
// Methods of the page: main.js installs them on LabelPage, so `this` is the page.

import { describe, getJSON, paths, sendJSON } from "../api.js";
import { PROMPT_KINDS } from "./annotation.js";
import { fillHoles, floodFill, largestComponent, polygonFill } from "./morphology.js";
import { TOOLS } from "./tools.js";
import { $, STORE } from "../page.js";

export class Controls {
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


  setupWindowSliders() {
    $("brush-size").max = String(this.maxBrushRadius());
    if (this.brushRadius > this.maxBrushRadius()) this.setBrushRadius(this.brushRadius);
    const max = this.info.maxValue;
    $("window").max = String(max);
    $("level").max = String(max);
    const applied = this.slice && this.slice.applied;
    $("bitdepth").textContent = `${this.info.width}×${this.info.height}, ${this.info.bitDepth}-bit` +
      `${this.info.colour ? " colour (window/level shows luminance)" : " grey"}; ` + (applied
        ? `the network sees the label window (level ${applied.center}, width ${applied.width}); the sliders are display only.`
        : "display only — the network sees the original.");
    this.showWindow();
  }

  /** The label's window on a volume slice: the same mapping the network's input goes through. */
  applyLabelWindow() {
    const applied = this.slice && this.slice.applied;
    if (!applied) return false;
    this.viewer.setWindow(applied.storedCenter, applied.storedWidth);
    return true;
  }

  /** Fills the label window choice from the server (presets, the label's current window). */
  async loadLabelWindow() {
    try {
      const { window, presets } = await getJSON(paths.window(this.projectId, this.label));
      const select = $("label-window");
      const names = { "soft-tissue": "CT soft tissue", lung: "CT lung", bone: "CT bone", brain: "CT brain",
        percentiles: "MR: 0.5–99.5 percentiles per volume", custom: "custom…" };
      select.replaceChildren(new Option("none (per-image contrast)", "none"), ...presets.map((p) =>
        new Option(p.width ? `${names[p.preset] || p.preset} ${p.width}/${p.center}` : names[p.preset] || p.preset, p.preset)));
      select.value = window ? window.preset : "none";
      $("custom-window").hidden = select.value !== "custom";
      if (window && window.preset === "custom") {
        $("custom-center").value = String(window.center);
        $("custom-width").value = String(window.width);
      }
      document.body.dataset.labelWindow = window ? window.preset : "none";
    } catch (error) {
      this.status(`cannot read the label's window: ${describe(error)}`, "warn");
    }
  }

  /** Stores the label's window; the image is opened again so display and prediction use it. */
  async setLabelWindow(preset) {
    const body = preset === "custom"
      ? { preset, center: Number($("custom-center").value), width: Number($("custom-width").value) }
      : { preset };
    try {
      await sendJSON(paths.window(this.projectId, this.label), body, "PUT");
      this.status(preset === "none" ? "label window removed" : "label window saved: the network sees it too", "ok");
    } catch (error) {
      this.status(`cannot set the window: ${describe(error)}`, "warn");
    }
    await this.loadLabelWindow();
    if (this.imageId) await this.open(this.imageId);
  }

  showWindow() {
    const { center, width } = this.viewer.window;
    $("window").value = String(Math.round(width));
    $("level").value = String(Math.round(center));
    $("window-value").textContent = String(Math.round(width));
    $("level-value").textContent = String(Math.round(center));
  }

  autoWindow() {
    if (!this.applyLabelWindow()) this.viewer.autoWindow();
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


  toolClick() { this.selectTool("click"); }
  toolBox() { this.selectTool("box"); }
  toolScribblePositive() { this.selectTool("scribblePositive"); }
  toolScribbleNegative() { this.selectTool("scribbleNegative"); }
  toolBrush() { this.selectTool("brush"); }
  toolEraser() { this.selectTool("eraser"); }
  toolLasso() { this.selectTool("lasso"); }
  toolFill() { this.selectTool("fill"); }

  brushSize(e) {
    this.setBrushRadius(this.brushRadius + (e.key === "]" ? 1 : -1) * Math.max(1, Math.round(this.brushRadius / 5)));
  }

  fillHoles() {
    this.maskEdit("fill holes", fillHoles);
  }

  keepLargest() {
    this.maskEdit("keep the largest component", largestComponent);
  }

  /** A lasso outline or a flood-fill click from the pointer tools, as a whole-mask edit. */
  shapeEdit(op) {
    if (op.kind === "lasso") {
      this.maskEdit(op.erase ? "lasso erase" : "lasso", (mask, width, height) =>
        polygonFill(mask, width, height, op.points, op.erase ? 0 : 1));
    } else {
      this.maskEdit("flood fill", (mask, width, height) => floodFill(mask, width, height, op.x, op.y));
    }
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

  toggleOthers() {
    $("show-others").checked = !$("show-others").checked;
    this.viewer.setOthersVisible($("show-others").checked);
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
