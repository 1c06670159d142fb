// The user's work on one image: an ordered list of operations (prompts for the network, and brush
// strokes that fix pixels by hand) with undo/redo, plus the latest prediction. The mask the user
// sees and accepts is the prediction with the brush strokes painted over it.

/** Operation kinds that are sent to the network as prompts (brush strokes are not). */
export const PROMPT_KINDS = new Set(["click", "box", "scribble"]);

/**
 * Work on one image of `width` x `height` pixels.
 * Example: `const a = new Annotation(256, 256); a.push({ kind: "click", x: 10.5, y: 20.5, positive: true });`
 */
export class Annotation {
  constructor(width, height) {
    this.width = width;
    this.height = height;
    this.ops = [];
    this.undone = [];
    this.prediction = null; // Uint8Array 0/1, or null until the first prediction arrives
    this.edits = new Int8Array(width * height); // +1 painted, -1 erased, 0 untouched
    this.revision = 0; // bumps on every change, so views know when to redraw
  }

  /** Interactions used so far: prompts and brush strokes currently applied (undone ones do not count). */
  get interactionCount() {
    return this.ops.length;
  }

  get promptCount() {
    return this.ops.filter((op) => PROMPT_KINDS.has(op.kind)).length;
  }

  get canUndo() {
    return this.ops.length > 0;
  }

  get canRedo() {
    return this.undone.length > 0;
  }

  /** Append an operation; a new operation forgets what was undone (as in any editor). */
  push(op) {
    this.ops.push(op);
    this.undone = [];
    this.applyEdit(op);
    this.revision++;
  }

  /**
   * Replace the mask by `target` (0/1, e.g. with its holes filled) as one undoable edit: the
   * pixels that change are recorded, so the edit replays the same whatever is predicted later.
   * Returns the operation, or null when nothing would change.
   */
  pushMaskEdit(name, target) {
    const current = this.composite();
    const on = [];
    const off = [];
    for (let k = 0; k < current.length; k++) {
      if (target[k] && !current[k]) on.push(k);
      else if (!target[k] && current[k]) off.push(k);
    }
    if (on.length === 0 && off.length === 0) return null;
    const op = { kind: "pixels", name, on: Int32Array.from(on), off: Int32Array.from(off) };
    this.push(op);
    return op;
  }

  /** Apply an edit operation (brush stroke or recorded pixels) to the edit layer. */
  applyEdit(op) {
    if (op.kind === "brush") this.paintStroke(op);
    if (op.kind === "pixels") {
      for (const k of op.on) this.edits[k] = 1;
      for (const k of op.off) this.edits[k] = -1;
    }
  }

  /** Undo the last operation and return it (or null). */
  undo() {
    const op = this.ops.pop();
    if (!op) return null;
    this.undone.push(op);
    if (!PROMPT_KINDS.has(op.kind)) this.rebuildEdits();
    this.revision++;
    return op;
  }

  /** Redo the last undone operation and return it (or null). */
  redo() {
    const op = this.undone.pop();
    if (!op) return null;
    this.ops.push(op);
    this.applyEdit(op);
    this.revision++;
    return op;
  }

  /** Forget every operation and the brush edits; the prediction stays until the next one replaces it. */
  reset() {
    this.ops = [];
    this.undone = [];
    this.edits.fill(0);
    this.revision++;
  }

  setPrediction(mask) {
    this.prediction = mask;
    this.revision++;
  }

  /**
   * The prompts in the API's shape: `{clicks, boxes, scribbles}`. Operations are stored in canvas
   * image space (pixel k spans [k, k+1)); the API puts pixel centres on integers (README, "HTTP API"),
   * hence the half-pixel shift here and nowhere else.
   */
  prompts() {
    const c = (v) => Math.round((v - 0.5) * 100) / 100;
    const clicks = [];
    const boxes = [];
    const scribbles = [];
    for (const op of this.ops) {
      if (op.kind === "click") clicks.push({ x: c(op.x), y: c(op.y), positive: op.positive });
      else if (op.kind === "box") boxes.push({ x0: c(op.x0), y0: c(op.y0), x1: c(op.x1), y1: c(op.y1) });
      else if (op.kind === "scribble") {
        scribbles.push({ points: op.points.map(([x, y]) => [c(x), c(y)]), positive: op.positive, width: op.width });
      }
    }
    return { clicks, boxes, scribbles };
  }

  /** The mask as 0/1 bytes: prediction (or empty) with brush edits applied. */
  composite() {
    const out = new Uint8Array(this.width * this.height);
    const prediction = this.prediction;
    for (let k = 0; k < out.length; k++) {
      const edit = this.edits[k];
      out[k] = edit > 0 ? 1 : edit < 0 ? 0 : prediction ? prediction[k] : 0;
    }
    return out;
  }

  rebuildEdits() {
    this.edits.fill(0);
    for (const op of this.ops) this.applyEdit(op);
  }

  /** Paint a brush stroke (discs along its polyline) into the edit layer. */
  paintStroke(op) {
    const value = op.erase ? -1 : 1;
    const points = op.points;
    if (points.length === 1) this.paintDisc(points[0][0], points[0][1], op.radius, value);
    for (let k = 1; k < points.length; k++) {
      const [x0, y0] = points[k - 1];
      const [x1, y1] = points[k];
      const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / Math.max(0.5, op.radius / 2)));
      for (let s = 0; s <= steps; s++) {
        const t = s / steps;
        this.paintDisc(x0 + t * (x1 - x0), y0 + t * (y1 - y0), op.radius, value);
      }
    }
  }

  paintDisc(cx, cy, radius, value) {
    const r2 = radius * radius;
    const yMin = Math.max(0, Math.floor(cy - radius));
    const yMax = Math.min(this.height - 1, Math.ceil(cy + radius));
    const xMin = Math.max(0, Math.floor(cx - radius));
    const xMax = Math.min(this.width - 1, Math.ceil(cx + radius));
    for (let y = yMin; y <= yMax; y++) {
      for (let x = xMin; x <= xMax; x++) {
        // Pixel centres at +0.5, the same convention as the API's coordinates.
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        if (dx * dx + dy * dy <= r2) this.edits[y * this.width + x] = value;
      }
    }
  }
}
