// The canvas view: the image (with window/level), the mask overlay (filled or outlined, with
// adjustable opacity), the interactions, zoom and pan. Layers are kept at image resolution and
// scaled on draw, so zooming costs nothing but a drawImage.

export const MASK_RGB = [64, 224, 160];
/** Outline colours of the other labels' accepted masks, in the project's label order (then repeating). */
export const OTHER_LABEL_RGB = [[122, 162, 255], [255, 184, 107], [215, 135, 255], [242, 242, 242], [255, 235, 90]];
const POSITIVE = "#3fe08f";
const NEGATIVE = "#ff5c6c";
const BOX = "#f2c94c";

/**
 * Draws one image and its mask onto `canvas`, which fills its parent element.
 * Example: `const v = new Viewer(canvas); v.setImage(info); v.setMask(mask); v.fit();`
 */
export class Viewer {
  constructor(canvas) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.image = null; // {width, height, grey: Uint16Array, maxValue, bitmap, colour}
    this.imageLayer = document.createElement("canvas");
    this.maskLayer = document.createElement("canvas");
    this.othersLayer = document.createElement("canvas");
    this.mask = null;
    this.others = []; // [{label, mask, rgb}]: other labels' accepted masks, drawn as outlines
    this.othersVisible = true;
    this.opacity = 0.45;
    this.outline = false;
    this.maskVisible = true;
    this.window = { center: 127.5, width: 255 };
    this.scale = 1;
    this.tx = 0;
    this.ty = 0;
    this.decorate = null; // callback(context, viewer) drawing interactions on top
    this.pending = false;
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement);
    this.resize();
  }

  resize() {
    const parent = this.canvas.parentElement;
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(parent.clientWidth * dpr));
    const height = Math.max(1, Math.round(parent.clientHeight * dpr));
    if (width === this.canvas.width && height === this.canvas.height) return;
    const wasFitted = this.fitted;
    this.canvas.width = width;
    this.canvas.height = height;
    this.canvas.style.width = `${parent.clientWidth}px`;
    this.canvas.style.height = `${parent.clientHeight}px`;
    if (wasFitted || !this.image) this.fit();
    this.requestDraw();
  }

  /** Show a new image. `info.grey` is luminance in [0, maxValue]; `info.bitmap` the original (for colour). */
  setImage(info) {
    this.image = info;
    this.mask = null;
    this.imageLayer.width = this.maskLayer.width = this.othersLayer.width = info.width;
    this.imageLayer.height = this.maskLayer.height = this.othersLayer.height = info.height;
    this.maskLayer.getContext("2d").clearRect(0, 0, info.width, info.height);
    this.others = [];
    this.othersLayer.getContext("2d").clearRect(0, 0, info.width, info.height);
    this.autoWindow();
    this.fit();
  }

  /** Window/level from the 0.5 and 99.5 percentiles, so 16-bit CT/MR shows contrast at once. */
  autoWindow() {
    const info = this.image;
    if (!info) return;
    if (info.maxValue <= 255) {
      this.setWindow(info.maxValue / 2, info.maxValue);
      return;
    }
    // A histogram instead of a sort: linear in the pixels, which matters for large 16-bit images.
    const counts = new Uint32Array(info.maxValue + 1);
    for (const v of info.grey) counts[Math.min(v, info.maxValue)]++;
    const percentile = (fraction) => {
      const target = fraction * (info.grey.length - 1);
      let seen = 0;
      for (let v = 0; v < counts.length; v++) {
        seen += counts[v];
        if (seen > target) return v;
      }
      return info.maxValue;
    };
    const low = percentile(0.005);
    const high = percentile(0.995);
    this.setWindow((low + high) / 2, Math.max(1, high - low));
  }

  /** Whether the window shows the full range untouched (then colour images keep their colour). */
  get windowIsIdentity() {
    const max = this.image ? this.image.maxValue : 255;
    return Math.abs(this.window.center - max / 2) < 0.5 && Math.abs(this.window.width - max) < 0.5;
  }

  setWindow(center, width) {
    this.window = { center, width: Math.max(1, width) };
    this.renderImageLayer();
    this.requestDraw();
  }

  renderImageLayer() {
    const info = this.image;
    if (!info) return;
    const context = this.imageLayer.getContext("2d");
    if (info.colour && info.bitmap && this.windowIsIdentity) {
      context.drawImage(info.bitmap, 0, 0);
      return;
    }
    const pixels = context.createImageData(info.width, info.height);
    const out = pixels.data;
    const low = this.window.center - this.window.width / 2;
    const gain = 255 / this.window.width;
    const grey = info.grey;
    for (let k = 0; k < grey.length; k++) {
      const v = Math.min(255, Math.max(0, (grey[k] - low) * gain));
      out[4 * k] = out[4 * k + 1] = out[4 * k + 2] = v;
      out[4 * k + 3] = 255;
    }
    context.putImageData(pixels, 0, 0);
  }

  /** Show a 0/1 mask (Uint8Array at image size), or clear it with null. */
  setMask(mask) {
    this.mask = mask;
    this.renderMaskLayer();
    this.requestDraw();
  }

  renderMaskLayer() {
    const info = this.image;
    if (!info) return;
    const context = this.maskLayer.getContext("2d");
    const pixels = context.createImageData(info.width, info.height);
    const out = pixels.data;
    const mask = this.mask;
    if (mask) {
      const { width, height } = info;
      const [r, g, b] = MASK_RGB;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const k = y * width + x;
          if (!mask[k]) continue;
          if (this.outline && !isBoundary(mask, width, height, x, y)) continue;
          out[4 * k] = r;
          out[4 * k + 1] = g;
          out[4 * k + 2] = b;
          out[4 * k + 3] = 255;
        }
      }
    }
    context.putImageData(pixels, 0, 0);
  }

  /**
   * The other labels' accepted masks (`[{label, mask}]`, 0/1 at image size), shown as thin outlines
   * under this label's mask so the user sees what is already segmented. Returns each with its colour.
   */
  setOtherMasks(others) {
    this.others = others.map((other, k) => ({ ...other, rgb: OTHER_LABEL_RGB[k % OTHER_LABEL_RGB.length] }));
    const info = this.image;
    if (!info) return this.others;
    const context = this.othersLayer.getContext("2d");
    const pixels = context.createImageData(info.width, info.height);
    const out = pixels.data;
    const { width, height } = info;
    for (const { mask, rgb } of this.others) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const k = y * width + x;
          if (!mask[k] || !isBoundary(mask, width, height, x, y)) continue;
          out[4 * k] = rgb[0];
          out[4 * k + 1] = rgb[1];
          out[4 * k + 2] = rgb[2];
          out[4 * k + 3] = 255;
        }
      }
    }
    context.putImageData(pixels, 0, 0);
    this.requestDraw();
    return this.others;
  }

  setOthersVisible(visible) {
    this.othersVisible = visible;
    this.requestDraw();
  }

  setOutline(outline) {
    this.outline = outline;
    this.renderMaskLayer();
    this.requestDraw();
  }

  setOpacity(opacity) {
    this.opacity = opacity;
    this.requestDraw();
  }

  /** Scale and centre the image in the view. */
  fit() {
    this.fitted = true;
    if (!this.image) return;
    const margin = 0.96;
    this.scale = Math.min(this.canvas.width / this.image.width, this.canvas.height / this.image.height) * margin;
    this.tx = (this.canvas.width - this.image.width * this.scale) / 2;
    this.ty = (this.canvas.height - this.image.height * this.scale) / 2;
    this.requestDraw();
  }

  /** Zoom by `factor` keeping the point under (sx, sy) (CSS pixels of the canvas) fixed. */
  zoomAt(sx, sy, factor) {
    const dpr = window.devicePixelRatio || 1;
    const px = sx * dpr;
    const py = sy * dpr;
    const next = Math.min(64, Math.max(0.05, this.scale * factor));
    const applied = next / this.scale;
    this.tx = px - (px - this.tx) * applied;
    this.ty = py - (py - this.ty) * applied;
    this.scale = next;
    this.fitted = false;
    this.requestDraw();
  }

  zoomCentered(factor) {
    const dpr = window.devicePixelRatio || 1;
    this.zoomAt(this.canvas.width / dpr / 2, this.canvas.height / dpr / 2, factor);
  }

  /** Pan by a drag of (dx, dy) CSS pixels. */
  panBy(dx, dy) {
    const dpr = window.devicePixelRatio || 1;
    this.tx += dx * dpr;
    this.ty += dy * dpr;
    this.fitted = false;
    this.requestDraw();
  }

  /** CSS pixel position on the canvas -> image pixel coordinates (not clamped). */
  toImage(sx, sy) {
    const dpr = window.devicePixelRatio || 1;
    return { x: (sx * dpr - this.tx) / this.scale, y: (sy * dpr - this.ty) / this.scale };
  }

  /** Image coordinates -> device pixels of the canvas. */
  toCanvas(x, y) {
    return { x: x * this.scale + this.tx, y: y * this.scale + this.ty };
  }

  contains(point) {
    return this.image && point.x >= 0 && point.y >= 0 && point.x < this.image.width && point.y < this.image.height;
  }

  requestDraw() {
    if (this.drawScheduled) return;
    this.drawScheduled = true;
    requestAnimationFrame(() => {
      this.drawScheduled = false;
      this.draw();
    });
  }

  draw() {
    const context = this.context;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = "#0b0c0e";
    context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.image) return;
    context.setTransform(this.scale, 0, 0, this.scale, this.tx, this.ty);
    // Smooth when shrinking, crisp pixels when zoomed in (annotators need to see pixel edges).
    context.imageSmoothingEnabled = this.scale < 2;
    context.drawImage(this.imageLayer, 0, 0);
    if (this.others.length && this.othersVisible) {
      context.imageSmoothingEnabled = false;
      context.globalAlpha = 0.8;
      context.drawImage(this.othersLayer, 0, 0);
      context.globalAlpha = 1;
    }
    if (this.mask && this.maskVisible) {
      context.imageSmoothingEnabled = false;
      context.globalAlpha = this.outline ? Math.max(0.85, this.opacity) : this.opacity;
      context.drawImage(this.maskLayer, 0, 0);
      context.globalAlpha = 1;
    }
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.strokeStyle = "#3a3f48";
    context.lineWidth = 1;
    context.strokeRect(this.tx - 0.5, this.ty - 0.5, this.image.width * this.scale + 1, this.image.height * this.scale + 1);
    if (this.decorate) this.decorate(context, this);
  }

  /** Draw the prompts of an annotation (and a stroke in progress) in screen space. */
  drawPrompts(context, ops, live) {
    const dpr = window.devicePixelRatio || 1;
    const all = live ? [...ops, live] : ops;
    for (const op of all) {
      if (op.kind === "lasso") {
        // Only ever live: once released it becomes mask pixels.
        context.beginPath();
        op.points.forEach(([x, y], k) => {
          const p = this.toCanvas(x, y);
          if (k === 0) context.moveTo(p.x, p.y);
          else context.lineTo(p.x, p.y);
        });
        context.closePath();
        context.lineWidth = 1.5 * dpr;
        context.setLineDash([5 * dpr, 3 * dpr]);
        context.strokeStyle = op.erase ? NEGATIVE : "#ffffff";
        context.stroke();
        context.setLineDash([]);
        context.fillStyle = op.erase ? "rgba(20,20,20,0.35)" : `rgba(${MASK_RGB.join(",")},0.3)`;
        context.fill("evenodd");
      } else if (op.kind === "click") {
        const p = this.toCanvas(op.x, op.y);
        context.beginPath();
        context.arc(p.x, p.y, 5 * dpr, 0, 2 * Math.PI);
        context.fillStyle = op.positive ? POSITIVE : NEGATIVE;
        context.fill();
        context.lineWidth = 1.5 * dpr;
        context.strokeStyle = "#0b0c0e";
        context.stroke();
      } else if (op.kind === "box") {
        const a = this.toCanvas(Math.min(op.x0, op.x1), Math.min(op.y0, op.y1));
        const b = this.toCanvas(Math.max(op.x0, op.x1), Math.max(op.y0, op.y1));
        context.lineWidth = 2 * dpr;
        context.strokeStyle = BOX;
        context.setLineDash([6 * dpr, 4 * dpr]);
        context.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
        context.setLineDash([]);
      } else if (op.kind === "scribble" || op.kind === "brush") {
        if (op.kind === "brush" && !op.live) continue; // applied strokes show as mask pixels
        context.beginPath();
        op.points.forEach(([x, y], k) => {
          const p = this.toCanvas(x, y);
          if (k === 0) context.moveTo(p.x, p.y);
          else context.lineTo(p.x, p.y);
        });
        context.lineCap = context.lineJoin = "round";
        if (op.kind === "scribble") {
          context.lineWidth = Math.max(2 * dpr, op.width * this.scale);
          context.strokeStyle = op.positive ? POSITIVE : NEGATIVE;
          context.globalAlpha = 0.85;
        } else {
          context.lineWidth = Math.max(1, 2 * op.radius * this.scale);
          context.strokeStyle = op.erase ? "rgba(20,20,20,0.8)" : `rgb(${MASK_RGB.join(",")})`;
          context.globalAlpha = 0.6;
        }
        context.stroke();
        context.globalAlpha = 1;
      }
    }
  }

  /** A circle showing the brush footprint at an image position. */
  drawBrushCursor(context, point, radius, erase) {
    const p = this.toCanvas(point.x, point.y);
    context.beginPath();
    context.arc(p.x, p.y, Math.max(2, radius * this.scale), 0, 2 * Math.PI);
    context.lineWidth = 1.5 * (window.devicePixelRatio || 1);
    context.strokeStyle = erase ? NEGATIVE : "#ffffff";
    context.stroke();
  }
}

/** Whether mask pixel (x, y) is on the mask's boundary: a 4-neighbour is outside it, or it is on the image edge. */
function isBoundary(mask, width, height, x, y) {
  const k = y * width + x;
  return !(x > 0 && x < width - 1 && y > 0 && y < height - 1 &&
    mask[k - 1] && mask[k + 1] && mask[k - width] && mask[k + width]);
}
