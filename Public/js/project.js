// Project page (server-rendered from Templates/project.html at /projects/<id>): renames the project,
// adds, renames and deletes labels, imports images and masks, deletes images. After each change the labels and the image
// grid are taken from the server's fresh rendering of this page; no markup is built here.

import { describe, getJSON, paths, sendJSON } from "./api.js";
import { importMasks } from "./maskimport.js";
import { $, refreshFromPage, showStatus, STORE } from "./page.js";
import { bindDropZone, importFiles } from "./upload.js";

const projectId = document.body.dataset.project || decodeURIComponent(location.pathname.split("/")[2] || "");

/** Takes the labels, the image grid, its count and its page links from the server's rendering of this page. */
async function refresh() {
  try {
    // With the query: a project of many images shows its grid in pages (?page=N).
    await refreshFromPage(location.pathname + location.search, ["labels", "label-tools", "image-count", "image-pages", "images", "volumes"]);
  } catch (error) {
    showStatus(`cannot open project “${projectId}”: ${describe(error)}`, "warn");
  }
}

/** One log line per file, newest first, updated as its import goes on. */
function logger() {
  const rows = new Map();
  return (file, kind, text) => {
    let row = rows.get(file);
    if (!row) {
      row = document.createElement("li");
      rows.set(file, row);
      $("upload-log").prepend(row);
    }
    row.className = kind;
    row.textContent = `${file.name}: ${text}`;
  };
}

async function importMaskFiles(label, files, asDraft) {
  const annotator = localStorage.getItem(STORE.annotator) || "imported";
  try {
    // Mask files are matched to the project's images by name.
    const { images } = await getJSON(paths.project(projectId));
    const done = await importMasks(projectId, label, files, images, annotator, logger(), asDraft);
    const what = asDraft ? "imported as drafts (to review)" : "accepted";
    showStatus(`${done} of ${files.length} mask(s) ${what} for “${label}”`, done === files.length ? "ok" : "warn");
  } catch (error) {
    showStatus(`cannot import masks: ${describe(error)}`, "warn");
  }
  await refresh();
}

async function deleteImage(id) {
  if (!confirm(`Delete ${id} from the project? The file is moved to the project's trash/ folder and its accepted masks to history/.`)) return;
  try {
    await sendJSON(paths.image(projectId, id), undefined, "DELETE");
    showStatus(`deleted ${id} (kept in the project's trash/ folder)`, "ok");
  } catch (error) {
    showStatus(`cannot delete ${id}: ${describe(error)}`, "warn");
  }
  await refresh();
}

async function renameLabel(label) {
  const name = prompt(`New name for the label “${label}” (letters, digits, dot, dash, underscore; its masks, context set and history move with it):`, label);
  if (name === null || name.trim() === "" || name.trim() === label) return;
  try {
    await sendJSON(paths.label(projectId, label), { name: name.trim() }, "PATCH");
    showStatus(`renamed the label “${label}” to “${name.trim()}”`, "ok");
  } catch (error) {
    showStatus(`cannot rename “${label}”: ${describe(error)}`, "warn");
  }
  await refresh();
}

async function deleteLabel(label) {
  if (!confirm(`Delete the label “${label}”? Its masks, context set, history and proposals are moved to the project's trash/labels/ folder (nothing is destroyed).`)) return;
  try {
    const { trash } = await sendJSON(paths.label(projectId, label), undefined, "DELETE");
    showStatus(`deleted the label “${label}” (its files are in the project's ${trash}/)`, "ok");
  } catch (error) {
    showStatus(`cannot delete “${label}”: ${describe(error)}`, "warn");
  }
  await refresh();
}

// Listeners on the lists, which stay while their items are replaced.
$("label-tools").addEventListener("click", (e) => {
  const exportLink = e.target.closest("a[data-accepted]");
  if (!exportLink || Number(exportLink.dataset.accepted) > 0) return;
  e.preventDefault();
  showStatus("Nothing to export yet: no image has an accepted mask of any label.", "warn");
});
$("labels").addEventListener("click", (e) => {
  const labelItem = e.target.closest("li[data-label]");
  if (labelItem && e.target.closest("button.rename-label")) return renameLabel(labelItem.dataset.label);
  if (labelItem && e.target.closest("button.delete-label")) return deleteLabel(labelItem.dataset.label);
  const exportLink = e.target.closest("a[data-accepted]");
  // An empty label has nothing to download; the link would fail without a word.
  if (!exportLink || Number(exportLink.dataset.accepted) > 0) return;
  e.preventDefault();
  const label = exportLink.closest("li[data-label]").dataset.label;
  showStatus(`Nothing to export for “${label}” yet: no image has an accepted mask.`, "warn");
});
// Masks made elsewhere, accepted as they are (they join the context set at once) or as drafts.
$("labels").addEventListener("change", async (e) => {
  const input = e.target.closest("input.mask-files");
  if (!input) return;
  const files = Array.from(input.files);
  input.value = "";
  if (files.length) await importMaskFiles(input.dataset.label, files, input.dataset.draft === "1");
});
$("volumes").addEventListener("click", (e) => {
  const link = e.target.closest("a.nifti-export");
  // A label without accepted slices in this volume would download an error instead of a file.
  if (!link || Number(link.dataset.labeled) > 0) return;
  e.preventDefault();
  showStatus(`Nothing to export: no slice of ${link.closest("li[data-volume]").dataset.volume} has an accepted mask of this label yet.`, "warn");
});
$("images").addEventListener("click", (e) => {
  const button = e.target.closest("button.delete-image");
  if (button) deleteImage(button.closest("li[data-image]").dataset.image);
});

$("rename-project").addEventListener("click", async () => {
  const current = $("project-name").textContent;
  const name = prompt("New name for the project (its id and links stay the same):", current);
  if (name === null || name.trim() === current) return;
  try {
    const project = await sendJSON(paths.project(projectId), { name }, "PATCH");
    $("project-name").textContent = project.name;
    document.title = `${project.name} · MultiverSeg`;
    showStatus(`renamed to “${project.name}”`, "ok");
  } catch (error) {
    showStatus(`cannot rename: ${describe(error)}`, "warn");
  }
});

$("add-label").addEventListener("submit", async (e) => {
  e.preventDefault();
  const input = e.target.elements.label;
  const label = input.value.trim();
  try {
    await sendJSON(paths.labels(projectId), { label });
    $("label-message").textContent = `Added label “${label}”.`;
    $("label-message").className = "form-message ok";
    input.value = "";
    await refresh();
  } catch (error) {
    $("label-message").textContent = `Cannot add the label: ${describe(error)}`;
    $("label-message").className = "form-message error";
  }
});

bindDropZone($("dropzone"), $("files"), async (files) => {
  let duplicates = 0;
  const log = logger();
  const volume = { plane: $("volume-plane").value, slices: $("volume-slices").value.trim() || "all" };
  const done = await importFiles(projectId, files, (file, kind, text) => {
    if (kind === "warn") duplicates++;
    log(file, kind, text);
  }, volume);
  const skipped = duplicates ? ` (${duplicates} already in the project, not imported again)` : "";
  showStatus(`${done} of ${files.length} file(s) imported${skipped}`, done === files.length ? "ok" : "warn");
  await refresh();
});
