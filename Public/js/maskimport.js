// Bringing masks made elsewhere into a label: each file is matched to an image by name, read in
// the browser (any format it decodes; any non-zero pixel is foreground, so 0/1 label maps work
// too) and accepted as that image's mask, which joins the label's context set, or kept as a draft
// (a proposal in the review queue) to refine with the AI tools.

import { bytesToBase64, encodeGreyPNG } from "./png.js";
import { paths, sendJSON } from "./api.js";

const SUFFIX = /[_-](mask|masks|seg|segmentation|label|labels|annotation|gt)$/i;
const normal = (name) => name.toLowerCase().replace(/[^a-z0-9.-]+/g, "_");

/**
 * The id among `ids` a mask file is for: its name without extension, or without a suffix such as
 * `_mask` or `_Annotation` (HC18 names its masks `000_HC_Annotation.png`), compared exactly, then
 * ignoring case and punctuation. Null when none matches.
 * Example: `matchImage("000_HC_Annotation.png", ["000_HC"])` is "000_HC".
 */
export function matchImage(fileName, ids) {
  const base = fileName.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "");
  const candidates = [base, base.replace(SUFFIX, "")];
  for (const candidate of candidates) if (ids.includes(candidate)) return candidate;
  for (const candidate of candidates) {
    const found = ids.find((id) => normal(id) === normal(candidate));
    if (found) return found;
  }
  return null;
}

/** A mask file as 0/255 grey pixels at `width` x `height` (an error names a size mismatch). */
async function readMask(file, width, height) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch {
    throw new Error("the browser cannot decode this file as an image");
  }
  if (bitmap.width !== width || bitmap.height !== height) {
    throw new Error(`the mask is ${bitmap.width} x ${bitmap.height} but the image is ${width} x ${height}`);
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = context.getImageData(0, 0, width, height).data;
  const pixels = new Uint8Array(width * height);
  for (let k = 0; k < pixels.length; k++) {
    pixels[k] = rgba[4 * k] || rgba[4 * k + 1] || rgba[4 * k + 2] ? 255 : 0;
  }
  return pixels;
}

/**
 * Accept each file of `files` as the mask of the image it names, for `label` of `project`
 * (`images`: the project detail's images). Reports each file: `report(file, "ok"|"warn"|"error", text)`.
 * With `asDraft`, each mask becomes a draft instead: a proposal in the label's review queue, to
 * accept as it is or refine with the AI tools. Returns how many were imported.
 */
export async function importMasks(project, label, files, images, annotator, report, asDraft = false) {
  let done = 0;
  const ids = images.map((image) => image.id);
  for (const file of files) {
    const id = matchImage(file.name, ids);
    if (!id) {
      report(file, "error", "no image of this name in the project (name the mask like its image, e.g. scan.png or scan_mask.png)");
      continue;
    }
    try {
      report(file, "busy", `reading the mask for ${id}…`);
      const image = images.find((candidate) => candidate.id === id);
      const pixels = await readMask(file, image.width, image.height);
      const png = await encodeGreyPNG(pixels, image.width, image.height);
      if (asDraft) {
        await sendJSON(paths.proposal(project, label, id, "draft"), { maskPNG: bytesToBase64(png), fileName: file.name });
        report(file, "ok", `a draft of ${id}, waiting in the review queue`);
        done++;
        continue;
      }
      const answer = await sendJSON(paths.accept(project, label, id), {
        maskPNG: bytesToBase64(png), annotator, interactions: 0,
      });
      report(file, "ok", `accepted as the mask of ${id} (context ${answer.contextSize})`);
      done++;
    } catch (error) {
      report(file, "error", `${id}: ${error.message}`);
    }
  }
  return done;
}
