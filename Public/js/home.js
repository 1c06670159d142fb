// Home page: app status, the project list (server-rendered from Templates/, refreshed from the API
// here) and the form that creates a project.

import { describe, getJSON, paths, sendJSON } from "./api.js";

const statusEl = document.getElementById("status");
const listEl = document.getElementById("projects");
const enc = encodeURIComponent;

function link(href, text, className) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  if (className) a.className = className;
  return a;
}

/** The same markup as a card of Templates/home.html, so server and client rendering agree. */
function projectItem(project) {
  const item = document.createElement("li");
  item.dataset.project = project.id;
  const name = link(`/projects/${enc(project.id)}`, project.name, "name");
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = `${project.imageCount} images · ` +
    (project.labels.length ? `labels: ${project.labels.join(", ")}` : "no labels yet");
  const links = document.createElement("span");
  links.className = "links";
  for (const label of project.labels) {
    links.append(link(`/label.html?project=${enc(project.id)}&label=${enc(label)}`, `Label “${label}” →`, "button label-link"));
  }
  if (project.labels.length === 0) links.append(link(`/projects/${enc(project.id)}`, "Add a label →", "button"));
  const remove = document.createElement("button");
  remove.className = "danger delete-project";
  remove.textContent = "Delete";
  remove.title = "Take the project out of the list: its folder moves to .trash/ in the projects folder";
  remove.addEventListener("click", () => deleteProject(project));
  links.append(remove);
  item.append(name, meta, links);
  return item;
}

async function deleteProject(project) {
  if (!confirm(`Delete the project “${project.name}”? Its folder moves to .trash/ in the projects folder, from where it can be moved back.`)) return;
  try {
    await sendJSON(paths.project(project.id), undefined, "DELETE");
    statusEl.textContent = `deleted “${project.name}” (kept in .trash/)`;
    statusEl.className = "status ok";
  } catch (error) {
    statusEl.textContent = `cannot delete “${project.name}”: ${describe(error)}`;
    statusEl.className = "status warn";
  }
  await loadProjects();
}

async function loadStatus() {
  try {
    const health = await getJSON(paths.health());
    const model = health.model.available ? `model ${health.model.name}`
      : `predictions off: ${health.model.problem || "no model weights found"}`;
    statusEl.textContent = `v${health.version} · ${model}`;
    statusEl.className = "status " + (health.model.available ? "ok" : "warn");
  } catch (error) {
    statusEl.textContent = `server unreachable: ${describe(error)}`;
    statusEl.className = "status warn";
  }
}

async function loadProjects() {
  try {
    const { projects } = await getJSON(paths.projects());
    listEl.replaceChildren(...projects.map(projectItem));
    if (projects.length === 0) {
      listEl.innerHTML = '<li class="empty">No projects yet: create one below, or add a folder with a project.json to the projects folder.</li>';
    }
  } catch (error) {
    const item = document.createElement("li");
    item.className = "empty";
    item.textContent = `Cannot list projects: ${describe(error)}`;
    listEl.replaceChildren(item);
  }
}

function bindCreateForm() {
  const form = document.getElementById("create-project");
  if (!form) return;
  const message = document.getElementById("create-message");
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
      location.href = `/projects/${enc(project.id)}`;
    } catch (error) {
      message.textContent = `Cannot create the project: ${describe(error)}`;
      message.className = "form-message error";
    }
  });
}

bindCreateForm();
loadStatus();
loadProjects();
