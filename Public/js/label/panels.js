// Side panels of the labeling page: the context set (thumbnails, include/exclude, remove), the
// chart of interactions per accepted image, and the image list.

import { paths } from "../api.js";
import { MASK_RGB } from "./viewer.js";

const thumbnails = new Map(); // "image@version" -> Promise<HTMLCanvasElement>

async function loadBitmap(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return createImageBitmap(await response.blob());
}

/** A small canvas with the image and its accepted mask tinted on top (cached by version). */
function thumbnail(project, label, entry, size = 88) {
  const key = `${project}/${label}/${entry.id}@${entry.version ?? 0}`;
  if (!thumbnails.has(key)) {
    thumbnails.set(key, (async () => {
      const [image, mask] = await Promise.all([
        loadBitmap(paths.imagePNG(project, entry.id)),
        loadBitmap(paths.mask(project, label, entry.id)).catch(() => null),
      ]);
      const scale = size / Math.max(image.width, image.height);
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(image.width * scale);
      canvas.height = Math.round(image.height * scale);
      const context = canvas.getContext("2d");
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      if (mask) {
        // Tint the white of the mask: draw it, keep only its bright pixels, colour them.
        const layer = document.createElement("canvas");
        layer.width = canvas.width;
        layer.height = canvas.height;
        const lc = layer.getContext("2d");
        lc.drawImage(mask, 0, 0, layer.width, layer.height);
        const pixels = lc.getImageData(0, 0, layer.width, layer.height);
        for (let k = 0; k < pixels.data.length; k += 4) {
          const on = pixels.data[k] > 127;
          pixels.data[k] = MASK_RGB[0];
          pixels.data[k + 1] = MASK_RGB[1];
          pixels.data[k + 2] = MASK_RGB[2];
          pixels.data[k + 3] = on ? 120 : 0;
        }
        lc.putImageData(pixels, 0, 0);
        context.drawImage(layer, 0, 0);
      }
      return canvas;
    })());
  }
  return thumbnails.get(key);
}

/**
 * Fill the context panel. `handlers.toggle(entry, included)` and `handlers.remove(entry)` act on it;
 * `handlers.open(id)` opens the image. `outside` lists accepted images that are not in the context
 * set (removed from it); `handlers.restore(id)` puts one back.
 */
export function renderContext(container, { project, label, entries, outside = [], handlers }) {
  container.replaceChildren();
  if (outside.length) {
    const box = document.createElement("div");
    box.className = "context-outside";
    const title = document.createElement("p");
    title.className = "hint small";
    title.textContent = "Accepted, but not in the context set:";
    const list = document.createElement("ul");
    for (const image of outside) {
      const item = document.createElement("li");
      item.dataset.image = image.id;
      const name = document.createElement("button");
      name.className = "link";
      name.textContent = image.id;
      name.title = `Open ${image.id}`;
      name.addEventListener("click", () => handlers.open(image.id));
      const back = document.createElement("button");
      back.className = "restore";
      back.textContent = "Add back";
      back.title = "Put this accepted mask back into the context set (with its annotator and interaction count)";
      back.addEventListener("click", () => handlers.restore(image.id));
      item.append(name, back);
      list.append(item);
    }
    box.append(title, list);
    container.append(box);
  }
  if (entries.length === 0) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = outside.length ? "No image is in the context set: the network has nothing to condition on."
      : "No accepted images yet. Accept a mask (Enter) and it joins the context set.";
    container.append(empty);
    return;
  }
  const observer = typeof IntersectionObserver === "function" ? new IntersectionObserver((seen) => {
    for (const item of seen) {
      if (!item.isIntersecting) continue;
      observer.unobserve(item.target);
      item.target.loadThumbnail();
    }
  }, { root: container, rootMargin: "200px" }) : null;
  for (const entry of entries) {
    const card = document.createElement("figure");
    card.className = "context-entry" + (entry.included === false ? " excluded" : "");
    card.dataset.image = entry.id;
    const holder = document.createElement("button");
    holder.className = "thumb";
    holder.title = `Open ${entry.id}`;
    holder.addEventListener("click", () => handlers.open(entry.id));
    const load = () => thumbnail(project, label, entry).then((canvas) => holder.append(canvas)).catch(() => {
      holder.textContent = "no preview";
    });
    // Hundreds of entries: fetch an entry's image and mask only once its card scrolls into view.
    if (observer) {
      holder.loadThumbnail = load;
      observer.observe(holder);
    } else {
      load();
    }
    const caption = document.createElement("figcaption");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = entry.id;
    name.title = `${entry.id} — accepted by ${entry.annotator || "?"}${entry.acceptedAt ? " at " + entry.acceptedAt : ""}`;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${entry.interactions ?? "?"} int. · ${entry.annotator || "?"}`;
    const controls = document.createElement("span");
    controls.className = "controls";
    const toggleLabel = document.createElement("label");
    toggleLabel.title = "Use this entry in the context set";
    const toggle = document.createElement("input");
    toggle.type = "checkbox";
    toggle.checked = entry.included !== false;
    toggle.addEventListener("change", () => handlers.toggle(entry, toggle.checked));
    toggleLabel.append(toggle, " use");
    const remove = document.createElement("button");
    remove.className = "icon danger";
    remove.textContent = "✕";
    remove.title = "Remove from the context set (the mask stays saved; “Add back” returns it)";
    remove.addEventListener("click", () => handlers.remove(entry));
    controls.append(toggleLabel, remove);
    caption.append(name, meta, controls);
    card.append(holder, caption);
    container.append(card);
  }
}

/** Bars of interactions per accepted image, in acceptance order: the count should fall. */
export function renderChart(svg, entries) {
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  const width = 260;
  const height = 56;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const values = entries.map((e) => Number(e.interactions) || 0);
  if (values.length === 0) return;
  const max = Math.max(1, ...values);
  const slot = width / Math.max(values.length, 12);
  values.forEach((value, k) => {
    const h = Math.max(1.5, (value / max) * (height - 12));
    const rect = document.createElementNS(ns, "rect");
    rect.setAttribute("x", (k * slot + 1).toFixed(1));
    rect.setAttribute("y", (height - h).toFixed(1));
    rect.setAttribute("width", Math.max(1, slot - 2).toFixed(1));
    rect.setAttribute("height", h.toFixed(1));
    rect.setAttribute("class", entries[k].included === false ? "bar excluded" : "bar");
    const title = document.createElementNS(ns, "title");
    title.textContent = `#${k + 1} ${entries[k].id}: ${value} interaction(s)`;
    rect.append(title);
    svg.append(rect);
  });
  const label = document.createElementNS(ns, "text");
  label.setAttribute("x", "2");
  label.setAttribute("y", "9");
  label.setAttribute("class", "axis");
  label.textContent = `max ${max}`;
  svg.append(label);
}

/** An image's state for a label, in words: accepted and in the context set, accepted but not
 * used (excluded or removed), or not accepted. */
export function describeState(state) {
  if (!state?.accepted) return "not accepted yet";
  const by = `accepted by ${state.annotator || "?"}`;
  if (state.inContext && state.included) return `${by}, in the context set`;
  if (state.inContext) return `${by}, excluded from the context set (tick “use” to include it)`;
  return `${by}, not in the context set (“Add back” in the context panel returns it)`;
}

/** An image's state for a label as one word: "done" (in the context set), "excluded" (accepted
 * but not used: excluded or removed) or "todo". */
export function stateKind(state) {
  return !state?.accepted ? "todo" : state.inContext && state.included ? "done" : "excluded";
}

/**
 * The images to list: those in state `filter` ("all", "todo", "done", "excluded") whose id
 * contains `query` (any case). Example: `matchingImages(images, "head", "todo", "hc")`.
 */
export function matchingImages(images, label, filter = "all", query = "") {
  const needle = query.trim().toLowerCase();
  return images.filter((image) => (filter === "all" || stateKind(image.labels?.[label]) === filter)
    && (!needle || image.id.toLowerCase().includes(needle)));
}

/** The image list with each image's state for this label; `open(id)` opens one. Only images
 * matching `filter` and `query` are listed (see `matchingImages`). */
export function renderImages(list, { images, label, current, open, filter = "all", query = "" }) {
  list.replaceChildren();
  const shown = matchingImages(images, label, filter, query);
  if (shown.length === 0) {
    const empty = document.createElement("li");
    empty.className = "empty";
    empty.textContent = images.length ? "No image matches." : "No images.";
    list.append(empty);
  }
  for (const image of shown) {
    const state = (image.labels && image.labels[label]) || {};
    const item = document.createElement("li");
    item.dataset.image = image.id;
    if (image.id === current) item.className = "current";
    const button = document.createElement("button");
    // Three states, each with its own mark: in the context set, accepted but not used, to do.
    const kind = stateKind(state);
    item.dataset.state = kind;
    const mark = document.createElement("span");
    mark.className = "mark " + kind;
    mark.textContent = { todo: "○", done: "✓", excluded: "⊘" }[kind];
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = image.id;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = state.accepted && state.interactions != null ? `${state.interactions} int.` : `${image.width}×${image.height}`;
    button.append(mark, name, meta);
    button.title = `${image.id}: ${describeState(state)}` +
      (state.accepted && state.interactions != null ? ` (${state.interactions} interaction(s))` : "");
    button.addEventListener("click", () => open(image.id));
    item.append(button);
    list.append(item);
  }
}
