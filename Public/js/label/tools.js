// Pointer input on the canvas: turns presses, drags and the wheel into operations (clicks,
// boxes, scribbles, brush strokes, lasso outlines, flood-fill clicks) in image coordinates, and pans/zooms
// the view.

/** Tool names and how they read in the toolbar and status bar. */
export const TOOLS = {
  click: "Click",
  box: "Box",
  scribblePositive: "Scribble +",
  scribbleNegative: "Scribble −",
  brush: "Brush",
  eraser: "Eraser",
  lasso: "Lasso",
  fill: "Fill",
};

const DRAG_THRESHOLD = 5; // CSS pixels before a click becomes a box drag

/**
 * Wires pointer events of `viewer.canvas`. `host` supplies `currentAnnotation()`, `tool`, `brushRadius`,
 * `scribbleWidth()`, and receives `commit(op)` and `cursorMoved(point)`.
 * Example: `new PointerTools(viewer, controller)`.
 */
export class PointerTools {
  constructor(viewer, host) {
    this.viewer = viewer;
    this.host = host;
    this.drag = null;
    this.spaceDown = false;
    this.hover = null;
    const canvas = viewer.canvas;
    canvas.addEventListener("pointerdown", (e) => this.down(e));
    canvas.addEventListener("pointermove", (e) => this.move(e));
    canvas.addEventListener("pointerup", (e) => this.up(e));
    canvas.addEventListener("pointercancel", () => this.cancel());
    canvas.addEventListener("pointerleave", () => {
      this.hover = null;
      this.host.cursorMoved(null);
      viewer.requestDraw();
    });
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      // Trackpads send many small deltas, wheels few large ones: an exponential feels right for both.
      const delta = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      viewer.zoomAt(e.offsetX, e.offsetY, Math.exp(-delta * 0.0015));
      this.host.viewChanged();
    }, { passive: false });
  }

  /** The operation being drawn, for the overlay (null when none). */
  get live() {
    return this.drag && this.drag.op ? this.drag.op : null;
  }

  down(e) {
    const viewer = this.viewer;
    viewer.canvas.setPointerCapture(e.pointerId);
    viewer.canvas.focus();
    const screen = { x: e.offsetX, y: e.offsetY };
    if (e.button === 1 || this.spaceDown) {
      e.preventDefault();
      this.drag = { mode: "pan", last: screen };
      viewer.canvas.classList.add("panning");
      return;
    }
    const annotation = this.host.currentAnnotation();
    if (!annotation || (e.button !== 0 && e.button !== 2)) return;
    const p = viewer.toImage(screen.x, screen.y);
    const alternate = e.button === 2 || e.shiftKey;
    switch (this.host.tool) {
      case "click":
        this.drag = { mode: "click", start: p, screen, positive: !alternate, op: null };
        break;
      case "box":
        this.drag = { mode: "box", start: p, screen, op: null };
        break;
      case "scribblePositive":
      case "scribbleNegative": {
        const positive = (this.host.tool === "scribblePositive") !== alternate;
        this.drag = { mode: "scribble", op: { kind: "scribble", positive, width: this.host.scribbleWidth(), points: [[p.x, p.y]] } };
        break;
      }
      case "brush":
      case "eraser": {
        const erase = (this.host.tool === "eraser") !== (e.button === 2);
        this.drag = { mode: "brush", op: { kind: "brush", erase, radius: this.host.brushRadius, points: [[p.x, p.y]], live: true } };
        break;
      }
      case "lasso":
        this.drag = { mode: "lasso", op: { kind: "lasso", erase: alternate, points: [[p.x, p.y]] } };
        break;
      case "fill":
        this.drag = { mode: "fill", start: p };
        break;
    }
    viewer.requestDraw();
  }

  move(e) {
    const viewer = this.viewer;
    const screen = { x: e.offsetX, y: e.offsetY };
    const p = viewer.toImage(screen.x, screen.y);
    this.hover = p;
    this.host.cursorMoved(p);
    const drag = this.drag;
    if (!drag) {
      if (this.host.tool === "brush" || this.host.tool === "eraser") viewer.requestDraw();
      return;
    }
    if (drag.mode === "pan") {
      viewer.panBy(screen.x - drag.last.x, screen.y - drag.last.y);
      drag.last = screen;
      this.host.viewChanged();
      return;
    }
    if (drag.mode === "click" && Math.hypot(screen.x - drag.screen.x, screen.y - drag.screen.y) > DRAG_THRESHOLD) {
      drag.mode = "box"; // dragging with the click tool draws a box, as the issue asks ("box (drag)")
    }
    if (drag.mode === "box") {
      drag.op = { kind: "box", x0: drag.start.x, y0: drag.start.y, x1: p.x, y1: p.y };
    } else if (drag.mode === "scribble" || drag.mode === "brush" || drag.mode === "lasso") {
      const points = drag.op.points;
      const [lx, ly] = points[points.length - 1];
      if (Math.hypot(p.x - lx, p.y - ly) * viewer.scale >= 2) points.push([p.x, p.y]);
    }
    viewer.requestDraw();
  }

  up(e) {
    const drag = this.drag;
    this.drag = null;
    this.viewer.canvas.classList.remove("panning");
    if (!drag || drag.mode === "pan") return;
    const annotation = this.host.currentAnnotation();
    if (!annotation) return;
    const { width, height } = annotation;
    const clampX = (x) => Math.min(width - 0.01, Math.max(0, x));
    const clampY = (y) => Math.min(height - 0.01, Math.max(0, y));
    if (drag.mode === "click") {
      if (!this.viewer.contains(drag.start)) return;
      this.host.commit({ kind: "click", x: drag.start.x, y: drag.start.y, positive: drag.positive });
    } else if (drag.mode === "box" && drag.op) {
      const op = drag.op;
      const box = {
        kind: "box",
        x0: clampX(Math.min(op.x0, op.x1)), y0: clampY(Math.min(op.y0, op.y1)),
        x1: clampX(Math.max(op.x0, op.x1)), y1: clampY(Math.max(op.y0, op.y1)),
      };
      if (box.x1 - box.x0 >= 1 && box.y1 - box.y0 >= 1) this.host.commit(box);
    } else if (drag.mode === "scribble") {
      const points = drag.op.points.filter(([x, y]) => this.viewer.contains({ x, y }));
      if (points.length > 0) this.host.commit({ ...drag.op, points });
    } else if (drag.mode === "brush") {
      const op = { ...drag.op };
      delete op.live;
      this.host.commit(op);
    } else if (drag.mode === "lasso") {
      if (drag.op.points.length >= 3) this.host.commit(drag.op);
    } else if (drag.mode === "fill") {
      if (this.viewer.contains(drag.start)) this.host.commit({ kind: "fill", x: drag.start.x, y: drag.start.y });
    }
    this.viewer.requestDraw();
  }

  cancel() {
    this.drag = null;
    this.viewer.canvas.classList.remove("panning");
    this.viewer.requestDraw();
  }
}
