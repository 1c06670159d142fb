// Whole-mask edits on 0/1 masks (row-major, width x height): fill holes, keep the largest
// component, flood fill and the lasso's polygon. Regions are 4-connected, so a diagonal gap counts as a gap.

/** Pixel indices of the 4-connected region of value `value` containing `start` (iterative). */
function region(mask, width, height, start, value, seen) {
  const pixels = [];
  const stack = [start];
  seen[start] = 1;
  while (stack.length) {
    const k = stack.pop();
    pixels.push(k);
    const x = k % width;
    const neighbours = [x > 0 ? k - 1 : -1, x < width - 1 ? k + 1 : -1, k - width, k + width];
    for (const n of neighbours) {
      if (n >= 0 && n < mask.length && !seen[n] && mask[n] === value) {
        seen[n] = 1;
        stack.push(n);
      }
    }
  }
  return pixels;
}

/**
 * The mask with its holes filled: background not connected to the image border becomes mask.
 * Example: a ring becomes a disc.
 */
export function fillHoles(mask, width, height) {
  const out = Uint8Array.from(mask);
  const outside = new Uint8Array(mask.length);
  for (let x = 0; x < width; x++) {
    for (const k of [x, (height - 1) * width + x]) if (!mask[k] && !outside[k]) region(mask, width, height, k, 0, outside);
  }
  for (let y = 0; y < height; y++) {
    for (const k of [y * width, y * width + width - 1]) if (!mask[k] && !outside[k]) region(mask, width, height, k, 0, outside);
  }
  for (let k = 0; k < out.length; k++) if (!mask[k] && !outside[k]) out[k] = 1;
  return out;
}

/** The mask with only its largest 4-connected component (ties: the first in row order). */
export function largestComponent(mask, width, height) {
  const seen = new Uint8Array(mask.length);
  let best = [];
  for (let k = 0; k < mask.length; k++) {
    if (!mask[k] || seen[k]) continue;
    const pixels = region(mask, width, height, k, 1, seen);
    if (pixels.length > best.length) best = pixels;
  }
  const out = new Uint8Array(mask.length);
  for (const k of best) out[k] = 1;
  return out;
}

/**
 * The mask with the pixels inside a closed polygon set to `value` (1 adds, 0 erases). A pixel is
 * inside when its centre is (even-odd rule; a centre on a left or top edge is in, on a right or bottom
 * edge out, so polygons that share an edge never both take a pixel); pixel (i, j) has its centre at
 * x = i, y = j, as the API's coordinates. `points` are [x, y] in image pixels; the last joins the first.
 * Example: `polygonFill(mask, 8, 8, [[1, 1], [5, 1], [5, 5], [1, 5]], 1)` sets the 4x4 square 1..4.
 */
export function polygonFill(mask, width, height, points, value) {
  const out = Uint8Array.from(mask);
  if (points.length < 3) return out;
  const ys = points.map(([, y]) => y);
  const top = Math.max(0, Math.ceil(Math.min(...ys)));
  const bottom = Math.min(height - 1, Math.floor(Math.max(...ys)));
  const crossings = [];
  for (let y = top; y <= bottom; y++) {
    // The x where each edge crosses the row's centre line; half-open in y so a vertex counts once.
    crossings.length = 0;
    for (let k = 0; k < points.length; k++) {
      const [x0, y0] = points[k];
      const [x1, y1] = points[(k + 1) % points.length];
      if ((y0 <= y && y < y1) || (y1 <= y && y < y0)) crossings.push(x0 + ((y - y0) / (y1 - y0)) * (x1 - x0));
    }
    crossings.sort((a, b) => a - b);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const from = Math.max(0, Math.ceil(crossings[k]));
      const to = Math.min(width - 1, Math.ceil(crossings[k + 1]) - 1);
      for (let x = from; x <= to; x++) out[y * width + x] = value;
    }
  }
  return out;
}

/**
 * Flood fill at pixel (x, y): the 4-connected region of the mask that holds the pixel flips, so a
 * click in a hole or in the background fills that region, and a click on the mask erases that
 * component. Returns the new mask (the input when (x, y) is outside the image).
 * Example: in a ring, `floodFill(ring, w, h, cx, cy)` fills the hole and leaves the outside alone.
 */
export function floodFill(mask, width, height, x, y) {
  const out = Uint8Array.from(mask);
  const i = Math.floor(x);
  const j = Math.floor(y);
  if (i < 0 || j < 0 || i >= width || j >= height) return out;
  const start = j * width + i;
  const value = mask[start] ? 1 : 0;
  for (const k of region(mask, width, height, start, value, new Uint8Array(mask.length))) out[k] = 1 - value;
  return out;
}
