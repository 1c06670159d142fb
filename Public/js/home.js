// Home page: the status line and project list come from Templates/home.html; this script deletes
// projects, refreshes the list by swapping in the server's rendering of it, and creates projects.

import { describe, paths, sendJSON } from "./api.js";
import { $, refreshFromPage, showStatus } from "./page.js";

const listEl = $("projects");

async function deleteProject(id, name) {
  if (!confirm(`Delete the project “${name}”? Its folder moves to .trash/ in the projects folder, from where it can be moved back.`)) return;
  try {
    await sendJSON(paths.project(id), undefined, "DELETE");
    showStatus(`deleted “${name}” (kept in .trash/)`, "ok");
  } catch (error) {
    showStatus(`cannot delete “${name}”: ${describe(error)}`, "warn");
  }
  try {
    await refreshFromPage("/", ["projects"]);
  } catch (error) {
    const item = document.createElement("li");
    item.className = "empty";
    item.textContent = `Cannot list projects: ${describe(error)}`;
    listEl.replaceChildren(item);
  }
}

// One listener on the list: its items are replaced on every refresh.
listEl.addEventListener("click", (e) => {
  const button = e.target.closest("button.delete-project");
  const item = button?.closest("li[data-project]");
  if (item) deleteProject(item.dataset.project, button.dataset.name);
});

function bindCreateForm() {
  const form = $("create-project");
  if (!form) return;
  const message = $("create-message");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = form.elements.name.value.trim();
    const labels = form.elements.labels.value.split(",").map((label) => label.trim()).filter(Boolean);
    const bad = labels.find((label) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(label));
    if (bad) {
      message.textContent = `“${bad}”: label names use letters, digits, dot, dash and underscore, starting with a letter or digit.`;
      message.className = "form-message error";
      return;
    }
    try {
      const project = await sendJSON(paths.projects(), { name, labels });
      message.textContent = `Created “${project.name}”. Opening it to import images…`;
      message.className = "form-message ok";
      location.href = `/projects/${encodeURIComponent(project.id)}`;
    } catch (error) {
      message.textContent = `Cannot create the project: ${describe(error)}`;
      message.className = "form-message error";
    }
  });
}

bindCreateForm();
