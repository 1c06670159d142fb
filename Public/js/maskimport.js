// Bringing masks made elsewhere into a label: each file is matched to an image by name (by the
// server, whose rule `multiverseg import-masks` shares: POST …/masks/match), read in
// the browser (any format it decodes; any non-zero pixel is foreground, so 0/1 label maps work
// too) and accepted as that image's mask, which joins the label's context set, or kept as a draft
// (a proposal in the review queue) to refine with the AI tools.

import { bytesToBase64, encodeGreyPNG } from "./png.js";
import { paths, sendJSON } from "./api.js";

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
  const { matches } = await sendJSON(paths.maskMatch(project, label), { files: files.map((file) => file.name) });
  for (const [k, file] of files.entries()) {
    const { image: id, reason } = matches[k];
    if (!id) {
      report(file, "error", reason);
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
