// Thin helpers for the JSON API under /api/ (contract: the README, "HTTP API"). Every failure becomes an
// APIError carrying the server's message, so pages can show it as is.

/** An HTTP error answered by the API: `status` and the server's `message`. */
export class APIError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

const enc = encodeURIComponent;

/** URL builders, so no page concatenates API paths by hand. Example: `paths.project("demo")`. */
export const paths = {
  health: () => "/api/health",
  projects: () => "/api/projects",
  project: (p) => `/api/projects/${enc(p)}`,
  labels: (p) => `/api/projects/${enc(p)}/labels`,
  label: (p, l) => `/api/projects/${enc(p)}/labels/${enc(l)}`,
  upload: (p, name) => `/api/projects/${enc(p)}/images?name=${enc(name)}`,
  image: (p, i) => `/api/projects/${enc(p)}/images/${enc(i)}`,
  imagePNG: (p, i) => `/api/projects/${enc(p)}/images/${enc(i)}.png`,
  imageRaw: (p, i) => `/api/projects/${enc(p)}/images/${enc(i)}/raw`,
  events: (p, l, session) => `/api/projects/${enc(p)}/labels/${enc(l)}/events?session=${enc(session)}`,
  predict: (p, l, i) => `/api/projects/${enc(p)}/labels/${enc(l)}/images/${enc(i)}/predict`,
  mask: (p, l, i) => `/api/projects/${enc(p)}/labels/${enc(l)}/images/${enc(i)}/mask.png`,
  accept: (p, l, i) => `/api/projects/${enc(p)}/labels/${enc(l)}/images/${enc(i)}/accept`,
  context: (p, l) => `/api/projects/${enc(p)}/labels/${enc(l)}/context`,
  contextEntry: (p, l, i) => `/api/projects/${enc(p)}/labels/${enc(l)}/context/${enc(i)}`,
  next: (p, l, order, after) =>
    `/api/projects/${enc(p)}/labels/${enc(l)}/next?order=${enc(order)}` + (after ? `&after=${enc(after)}` : ""),
  volumes: (p, name, plane, slices) =>
    `/api/projects/${enc(p)}/volumes?name=${enc(name)}&plane=${enc(plane)}&slices=${enc(slices)}`,
  window: (p, l) => `/api/projects/${enc(p)}/labels/${enc(l)}/window`,
  slice: (p, l, i) => `/api/projects/${enc(p)}/labels/${enc(l)}/images/${enc(i)}/slice`,
  maskMatch: (p, l) => `/api/projects/${enc(p)}/labels/${enc(l)}/masks/match`,
  exportZip: (p, l) => `/api/projects/${enc(p)}/labels/${enc(l)}/export.zip?manifest=1`,
  proposals: (p, l, min, max, offset, limit) => {
    const query = [min != null ? `min-uncertainty=${enc(min)}` : "", max != null ? `max-uncertainty=${enc(max)}` : "",
      offset != null ? `offset=${enc(offset)}` : "", limit != null ? `limit=${enc(limit)}` : ""].filter(Boolean).join("&");
    return `/api/projects/${enc(p)}/labels/${enc(l)}/proposals` + (query ? "?" + query : "");
  },
  refreshProposals: (p, l) => `/api/projects/${enc(p)}/labels/${enc(l)}/proposals/refresh`,
  proposal: (p, l, i, action) => `/api/projects/${enc(p)}/labels/${enc(l)}/proposals/${enc(i)}/${action}`,
  exportMulticlass: (p) => `/api/projects/${enc(p)}/export.zip?multiclass=1`,
};

async function parse(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // A non-JSON answer (a proxy page, a crash) still deserves a readable message.
  }
  if (!response.ok) {
    const message = (body && body.error) || text.slice(0, 200) || `HTTP ${response.status}`;
    throw new APIError(message, response.status);
  }
  return body;
}

/** GET a JSON document. Example: `const { projects } = await getJSON(paths.projects())`. */
export async function getJSON(url) {
  return parse(await fetch(url, { headers: { Accept: "application/json" } }));
}

/** Send a JSON body (POST by default). Example: `await sendJSON(paths.labels(p), { label: "cell" })`. */
export async function sendJSON(url, body, method = "POST") {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return parse(await fetch(url, init));
}

/** Upload PNG bytes as an image of project `p`. Example: `await uploadPNG("demo", "a.png", blob)`. */
export async function uploadPNG(p, name, blob) {
  return parse(await fetch(paths.upload(p, name), {
    method: "POST", headers: { "Content-Type": "image/png", Accept: "application/json" }, body: blob,
  }));
}

/** Upload a volume file (.nii, .nii.gz, a .zip of DICOM files) to be cut into slices. Example:
 * `await uploadVolume("demo", "ct.nii.gz", file, { plane: "axial", slices: "every:2" })`. */
export async function uploadVolume(p, name, blob, { plane = "auto", slices = "all" } = {}) {
  return parse(await fetch(paths.volumes(p, name, plane, slices), {
    method: "POST", headers: { "Content-Type": "application/octet-stream", Accept: "application/json" }, body: blob,
  }));
}

/** Fetch the raw uint16 luminance of an image: `{width, height, maxValue, data: Uint16Array}`. */
export async function getRaw(p, i) {
  const response = await fetch(paths.imageRaw(p, i));
  if (!response.ok) await parse(response);
  const width = Number(response.headers.get("X-Width"));
  const height = Number(response.headers.get("X-Height"));
  const maxValue = Number(response.headers.get("X-Max-Value")) || 255;
  const buffer = await response.arrayBuffer();
  if (!(width > 0 && height > 0) || buffer.byteLength !== width * height * 2) {
    throw new APIError(`raw image has ${buffer.byteLength} bytes, expected ${width}x${height}x2`, 500);
  }
  // The wire format is little-endian; DataView keeps that true on any host.
  const view = new DataView(buffer);
  const data = new Uint16Array(width * height);
  for (let k = 0; k < data.length; k++) data[k] = view.getUint16(2 * k, true);
  return { width, height, maxValue, data };
}

/** A short HTML-free text for an error, for status lines. */
export function describe(error) {
  return error instanceof APIError ? `${error.message} (${error.status})` : String(error.message || error);
}
