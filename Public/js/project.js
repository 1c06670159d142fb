// Project page (server-rendered from Templates/project.html at /projects/<id>): refreshes the
// labels and the image grid from the API (adding thumbnails and links), adds labels and imports
// images. The markup built here mirrors the template's.

import { describe, getJSON, paths, sendJSON } from "./api.js";
import { importMasks } from "./maskimport.js";
import { bindDropZone, importFiles } from "./upload.js";

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const projectId = document.body.dataset.project || decodeURIComponent(location.pathname.split("/")[2] || "");

function status(text, kind = "") {
  $("status").textContent = text;
  $("status").className = `status ${kind}`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function labelURL(project, label) {
  const open = project.images.find((image) => !image.labels?.[label]?.accepted) || project.images[0];
  return `/label.html?project=${enc(project.id)}&label=${enc(label)}` + (open ? `&image=${enc(open.id)}` : "");
}

async function renderLabels(project) {
  let contexts = [];
  try {
    contexts = await Promise.all(project.labels.map((label) => getJSON(paths.context(project.id, label))));
  } catch (error) {
    status(`cannot read the context sets: ${describe(error)}`, "warn");
  }
  const items = project.labels.map((label, k) => {
    const accepted = project.images.filter((image) => image.labels?.[label]?.accepted).length;
    const entries = contexts[k]?.entries || [];
    const item = element("li");
    item.dataset.label = label;
    const name = element("a", "name label-link", label);
    name.href = labelURL(project, label);
    const meta = element("span", "meta",
      `${accepted} of ${project.images.length} images accepted · context set: ${entries.filter((e) => e.included !== false).length}`);
    const progress = element("progress");
    progress.max = 100;
    progress.value = project.images.length ? Math.floor((accepted * 100) / project.images.length) : 0;
    item.append(name, meta, progress);
    if (entries.length) {
      const recent = entries.slice(-12).map((e) => e.interactions).join(" · ");
      item.append(element("span", "meta", `interactions per image, latest last: ${recent}`));
    }
    const links = element("span", "links");
    const open = element("a", "button primary label-link", "Label →");
    open.href = name.href;
    const exportLink = element("a", "button", "Export masks (zip)");
    exportLink.href = paths.exportZip(project.id, label);
    exportLink.setAttribute("download", `${project.id}-${label}-masks.zip`);
    exportLink.addEventListener("click", (e) => {
      // An empty label has nothing to download; the link would fail without a word.
      if (accepted > 0) return;
      e.preventDefault();
      status(`Nothing to export for “${label}” yet: no image has an accepted mask.`, "warn");
    });
    // Masks made elsewhere, accepted as they are: they join the context set at once.
    const importLabel = element("label", "button", "Import masks…");
    importLabel.title = "Accept masks made with another tool (PNG or any image the browser reads, named like their images; any non-zero pixel is foreground)";
    const input = element("input", "mask-files");
    input.type = "file";
    input.multiple = true;
    input.accept = "image/*";
    input.hidden = true;
    input.dataset.label = label;
    input.addEventListener("change", async () => {
      const files = Array.from(input.files);
      input.value = "";
      if (files.length) await importMaskFiles(project, label, files);
    });
    importLabel.append(input);
    links.append(open, exportLink, importLabel);
    item.append(links);
    return item;
  });
  if (items.length === 0) items.push(element("li", "empty", "No labels yet: add one (each label is its own segmentation task)."));
  $("labels").replaceChildren(...items);
}

function renderImages(project) {
  $("image-count").textContent = `(${project.images.length})`;
  const first = project.labels[0];
  const items = project.images.map((image) => {
    const item = element("li");
    item.dataset.image = image.id;
    const link = element("a");
    link.href = first ? `/label.html?project=${enc(project.id)}&label=${enc(first)}&image=${enc(image.id)}` : "#labels";
    const thumb = element("span", "thumb");
    const img = element("img");
    img.loading = "lazy";
    img.alt = image.id;
    img.src = paths.imagePNG(project.id, image.id);
    thumb.append(img);
    const firstState = first ? image.labels?.[first] : null;
    if (firstState?.accepted) {
      // The accepted mask of the first label, tinted over the thumbnail (a luminance CSS mask:
      // white mask pixels show the tint, black ones nothing).
      const overlay = element("span", "mask");
      const url = `url("${paths.mask(project.id, first, image.id)}?v=${firstState.version ?? 0}")`;
      overlay.style.maskImage = url;
      overlay.style.webkitMaskImage = url;
      thumb.append(overlay);
    }
    const caption = element("span", "caption");
    const name = element("span", "name", image.id);
    name.title = `${image.id}: ${image.width} × ${image.height}, ${image.bitDepth}-bit`;
    const states = element("span");
    for (const label of project.labels) {
      const state = image.labels?.[label] || {};
      const mark = element("span", state.accepted ? "done" : "todo", state.accepted ? `✓${state.interactions ?? ""}` : "○");
      mark.title = state.accepted ? `${label}: accepted with ${state.interactions ?? "?"} interaction(s)` : `${label}: to do`;
      states.append(mark, " ");
    }
    caption.append(name, states);
    link.append(thumb, caption);
    const remove = element("button", "icon danger delete-image", "✕");
    remove.title = `Delete ${image.id} from the project (its file goes to trash/, its masks to history/)`;
    remove.addEventListener("click", () => deleteImage(image.id));
    item.append(link, remove);
    return item;
  });
  $("images").replaceChildren(...items);
}

function logRow(rows, file) {
  let row = rows.get(file);
  if (!row) {
    row = document.createElement("li");
    rows.set(file, row);
    $("upload-log").prepend(row);
  }
  return row;
}

async function importMaskFiles(project, label, files) {
  const rows = new Map();
  const annotator = localStorage.getItem("multiverseg.annotator") || "imported";
  const done = await importMasks(project.id, label, files, project.images, annotator, (file, kind, text) => {
    const row = logRow(rows, file);
    row.className = kind;
    row.textContent = `${file.name}: ${text}`;
  });
  status(`${done} of ${files.length} mask(s) accepted for “${label}”`, done === files.length ? "ok" : "warn");
  await load();
}

async function deleteImage(id) {
  if (!confirm(`Delete ${id} from the project? The file is moved to the project's trash/ folder and its accepted masks to history/.`)) return;
  try {
    await sendJSON(paths.image(projectId, id), undefined, "DELETE");
    status(`deleted ${id} (kept in the project's trash/ folder)`, "ok");
  } catch (error) {
    status(`cannot delete ${id}: ${describe(error)}`, "warn");
  }
  await load();
}

$("rename-project").addEventListener("click", async () => {
  const current = $("project-name").textContent;
  const name = prompt("New name for the project (its id and links stay the same):", current);
  if (name === null || name.trim() === current) return;
  try {
    const project = await sendJSON(paths.project(projectId), { name }, "PATCH");
    $("project-name").textContent = project.name;
    document.title = `${project.name} · MultiverSeg`;
    status(`renamed to “${project.name}”`, "ok");
  } catch (error) {
    status(`cannot rename: ${describe(error)}`, "warn");
  }
});

async function load() {
  if (!projectId) {
    status("no project chosen", "warn");
    return;
  }
  try {
    const project = await getJSON(paths.project(projectId));
    renderImages(project);
    await renderLabels(project);
  } catch (error) {
    status(`cannot open project “${projectId}”: ${describe(error)}`, "warn");
  }
}

$("add-label").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = e.target.elements.label;
  const label = input.value.trim();
  try {
    await sendJSON(paths.labels(projectId), { label });
    $("label-message").textContent = `Added label “${label}”.`;
    $("label-message").className = "form-message ok";
    input.value = "";
    await load();
  } catch (error) {
    $("label-message").textContent = `Cannot add the label: ${describe(error)}`;
    $("label-message").className = "form-message error";
  }
});

bindDropZone($("dropzone"), $("files"), async (files) => {
  const log = $("upload-log");
  const rows = new Map();
  let duplicates = 0;
  const done = await importFiles(projectId, files, (file, kind, text) => {
    if (kind === "warn") duplicates++;
    let row = rows.get(file);
    if (!row) {
      row = document.createElement("li");
      rows.set(file, row);
      log.prepend(row);
    }
    row.className = kind;
    row.textContent = `${file.name}: ${text}`;
  });
  const skipped = duplicates ? ` (${duplicates} already in the project, not imported again)` : "";
  status(`${done} of ${files.length} file(s) imported${skipped}`, done === files.length ? "ok" : "warn");
  await load();
});

load();
