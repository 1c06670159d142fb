// Project page: its labels (with links to label and export), adding a label, importing images,
// and the image grid with each image's state per label. URL: /project.html?project=<id>

import { describe, getJSON, paths, sendJSON } from "./api.js";
import { bindDropZone, importFiles } from "./upload.js";

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const projectId = new URLSearchParams(location.search).get("project") || document.body.dataset.project;

function status(text, kind = "") {
  $("status").textContent = text;
  $("status").className = `status ${kind}`;
}

function renderLabels(project) {
  const chips = project.labels.map((label) => {
    const done = project.images.filter((image) => image.labels?.[label]?.accepted).length;
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.dataset.label = label;
    const open = document.createElement("a");
    open.href = `/label.html?project=${enc(project.id)}&label=${enc(label)}`;
    open.className = "label-link";
    open.textContent = label;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${done} / ${project.images.length} accepted`;
    const exportLink = document.createElement("a");
    exportLink.href = paths.exportZip(project.id, label);
    exportLink.setAttribute("download", `${project.id}-${label}-masks.zip`);
    exportLink.textContent = "export";
    exportLink.title = "Download the accepted masks of this label as a zip of PNGs";
    chip.append(open, meta, exportLink);
    return chip;
  });
  if (chips.length === 0) {
    const none = document.createElement("span");
    none.className = "hint";
    none.textContent = "No label yet: add one to start labeling.";
    chips.push(none);
  }
  $("labels").replaceChildren(...chips);
}

function renderImages(project) {
  $("image-count").textContent = `(${project.images.length})`;
  const first = project.labels[0];
  const items = project.images.map((image) => {
    const item = document.createElement("li");
    item.dataset.image = image.id;
    const a = document.createElement("a");
    a.href = first ? `/label.html?project=${enc(project.id)}&label=${enc(first)}&image=${enc(image.id)}` : "#";
    const img = document.createElement("img");
    img.loading = "lazy";
    img.alt = image.id;
    img.src = paths.imagePNG(project.id, image.id);
    const caption = document.createElement("span");
    caption.className = "caption";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = image.id;
    name.title = `${image.id}: ${image.width}×${image.height}, ${image.bitDepth}-bit`;
    const marks = document.createElement("span");
    const states = project.labels.map((label) => image.labels?.[label]?.accepted);
    const done = states.filter(Boolean).length;
    marks.className = done === states.length && states.length ? "done" : "todo";
    marks.textContent = states.length ? `${done}/${states.length} ✓` : "";
    marks.title = project.labels.map((label, k) => `${label}: ${states[k] ? "accepted" : "to do"}`).join("\n");
    caption.append(name, marks);
    a.append(img, caption);
    item.append(a);
    return item;
  });
  if (items.length === 0) {
    const empty = document.createElement("li");
    empty.className = "hint";
    empty.style.padding = "0.8rem";
    empty.textContent = "No images yet: import some above.";
    items.push(empty);
  }
  $("images").replaceChildren(...items);
}

async function load() {
  if (!projectId) {
    status("no project chosen", "warn");
    return;
  }
  try {
    const project = await getJSON(paths.project(projectId));
    document.title = `${project.name} · MultiverSeg`;
    $("project-name").textContent = project.name;
    $("description").textContent = project.description || "";
    renderLabels(project);
    renderImages(project);
  } catch (error) {
    status(`cannot open project “${projectId}”: ${describe(error)}`, "warn");
  }
}

$("add-label").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = e.target.elements.label;
  try {
    await sendJSON(paths.labels(projectId), { label: input.value.trim() });
    $("label-message").textContent = `Added label “${input.value.trim()}”.`;
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
  const done = await importFiles(projectId, files, (file, kind, text) => {
    let row = rows.get(file);
    if (!row) {
      row = document.createElement("li");
      rows.set(file, row);
      log.prepend(row);
    }
    row.className = kind;
    row.textContent = `${file.name}: ${text}`;
  });
  status(`${done} of ${files.length} file(s) imported`, done === files.length ? "ok" : "warn");
  await load();
});

load();
