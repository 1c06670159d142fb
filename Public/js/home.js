// Home page: app status from /api/health and the project list from /api/projects.

const statusEl = document.getElementById("status");
const listEl = document.getElementById("projects");

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  return body;
}

function projectItem(project) {
  const item = document.createElement("li");
  item.dataset.project = project.id;
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = project.name;
  const meta = document.createElement("span");
  meta.className = "meta";
  const labels = project.labels.join(", ") || "no labels yet";
  meta.textContent = `${project.imageCount} images · labels: ${labels}`;
  item.append(name, meta);
  return item;
}

async function load() {
  try {
    const health = await getJSON("/api/health");
    const model = health.model.available ? `model ${health.model.name}` : "no model weights found";
    statusEl.textContent = `v${health.version} · ${model}`;
    statusEl.className = "status " + (health.model.available ? "ok" : "warn");
  } catch (error) {
    statusEl.textContent = `server unreachable: ${error.message}`;
    statusEl.className = "status warn";
  }
  try {
    const { projects } = await getJSON("/api/projects");
    listEl.replaceChildren(...projects.map(projectItem));
    if (projects.length === 0) {
      listEl.innerHTML = '<li class="empty">No projects yet: add a folder with a project.json to the projects folder.</li>';
    }
  } catch (error) {
    listEl.innerHTML = "";
    const item = document.createElement("li");
    item.className = "empty";
    item.textContent = `Cannot list projects: ${error.message}`;
    listEl.append(item);
  }
}

load();
