// Grey PNG encoding and mask decoding in the browser. Masks travel as 8-bit grey PNGs (0/255);
// encoding them ourselves keeps them one channel (a canvas would write RGBA) and exact.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (let k = 0; k < bytes.length; k++) c = CRC_TABLE[(c ^ bytes[k]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let k = 0; k < 4; k++) out[4 + k] = type.charCodeAt(k);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

async function zlibDeflate(bytes) {
  // "deflate" in CompressionStream is the zlib format, which is exactly what IDAT holds.
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Encode `pixels` (Uint8Array, width*height, row-major) as an 8-bit greyscale PNG.
 * Example: `const png = await encodeGreyPNG(mask255, 256, 256)`.
 */
export async function encodeGreyPNG(pixels, width, height) {
  if (pixels.length !== width * height) throw new Error(`mask has ${pixels.length} pixels, expected ${width * height}`);
  const raw = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter type None: masks compress well without filtering
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, colour type 0 (grey), deflate, adaptive filter, no interlace
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", header),
    chunk("IDAT", await zlibDeflate(raw)),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Base64 of bytes, in slices so long masks do not overflow the argument list. */
export function bytesToBase64(bytes) {
  let binary = "";
  for (let k = 0; k < bytes.length; k += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(k, k + 0x8000));
  }
  return btoa(binary);
}

function base64ToBytes(text) {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let k = 0; k < binary.length; k++) out[k] = binary.charCodeAt(k);
  return out;
}

/** Decode any image blob into its RGBA pixels at natural size: `{width, height, rgba}`. */
export async function decodeToRGBA(blob) {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  bitmap.close();
  return { width: canvas.width, height: canvas.height, rgba: data };
}

/**
 * Decode a mask PNG (a Blob, or base64 text) into 0/1 bytes, checking its size against the image.
 * Example: `const mask = await decodeMask(event.maskPNG, 256, 256)`.
 */
export async function decodeMask(source, width, height) {
  const blob = typeof source === "string" ? new Blob([base64ToBytes(source)], { type: "image/png" }) : source;
  const image = await decodeToRGBA(blob);
  if (image.width !== width || image.height !== height) {
    throw new Error(`mask is ${image.width}x${image.height}, the image ${width}x${height}`);
  }
  const mask = new Uint8Array(width * height);
  for (let k = 0; k < mask.length; k++) mask[k] = image.rgba[4 * k] > 127 ? 1 : 0;
  return mask;
}
