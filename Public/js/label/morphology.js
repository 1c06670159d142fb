// Whole-mask edits on 0/1 masks (row-major, width x height): fill holes and keep the largest
// component. Both use 4-connectivity, so a diagonal gap counts as a gap.

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
