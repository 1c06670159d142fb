// Importing images from the browser: PNGs go up as they are; anything else the browser can decode
// (JPEG, BMP, GIF, WebP, and TIFF in Safari only) is converted to PNG on a canvas first.

import { uploadPNG, uploadVolume } from "./api.js";

/** Files the server cuts into slices: NIfTI, and zips (of DICOM files). */
export const VOLUME_FILE = /\.(nii|nii\.gz|zip)$/i;

const TIFF = /\.tiff?$/i;

/** Why the browser could not decode `file`: TIFF gets its own explanation. */
function tiffHint(file) {
  return TIFF.test(file.name) || file.type === "image/tiff"
    ? "this browser cannot decode TIFF (only Safari can): convert it to PNG first (e.g. ImageMagick: convert scan.tif scan.png), then import the PNG"
    : "the browser cannot decode this file as an image";
}

async function toPNG(file) {
  if (file.type === "image/png" || /\.png$/i.test(file.name)) return file;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch {
    throw new Error(tiffHint(file));
  }
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  if (!blob) throw new Error("the browser could not encode the image as PNG");
  return blob;
}

/**
 * Upload files one after another into `project`, reporting each: `report(file, "ok"|"error", text)`.
 * Volumes (`VOLUME_FILE`) go to the server whole, cut in `volume.plane` with `volume.slices`.
 * Returns how many succeeded. Example: `await importFiles("demo", input.files, log, { plane: "auto", slices: "all" })`.
 */
export async function importFiles(project, files, report, volume = { plane: "auto", slices: "all" }) {
  let done = 0;
  for (const file of files) {
    if (VOLUME_FILE.test(file.name)) {
      try {
        report(file, "busy", "uploading the volume…");
        const { volumes, images } = await uploadVolume(project, file.name, file, volume);
        report(file, "ok", `imported ${images} slice(s) as ${volumes.map((v) => v.id).join(", ")}`);
        done++;
      } catch (error) {
        report(file, "error", error.message);
      }
      continue;
    }
    try {
      report(file, "busy", file.type === "image/png" ? "uploading…" : "converting to PNG…");
      const png = await toPNG(file);
      const name = file.name.replace(/\.[^.]*$/, "") + ".png";
      const { id } = await uploadPNG(project, name, png);
      report(file, "ok", `imported as ${id}`);
      done++;
    } catch (error) {
      // 409: the same file is already in the project (the message names it); nothing was lost.
      report(file, error.status === 409 ? "warn" : "error", error.message);
    }
  }
  return done;
}

/** Accept files dropped on `zone` or chosen in `input`; calls `onFiles(fileList)`. */
export function bindDropZone(zone, input, onFiles) {
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer.files.length) onFiles(Array.from(e.dataTransfer.files));
  });
  input.addEventListener("change", () => {
    // Copy first: clearing the input empties its live FileList.
    if (input.files.length) onFiles(Array.from(input.files));
    input.value = "";
  });
}
