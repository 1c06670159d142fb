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
    // The card is watched, not its contents, which the browser does not lay out while out of view.
    if (observer) {
      card.loadThumbnail = load;
      observer.observe(card);
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

/** Rows rendered above and below the visible part of the image list. */
const LIST_MARGIN = 30;
/** Rows rendered while the list has no height yet (hidden, or not in the page). */
const LIST_UNSIZED = 80;
const imageLists = new WeakMap(); // <ul> -> { shown, options, rowHeight, frame }

/**
 * The image list with each image's state for this label; `open(id)` opens one. Only images
 * matching `filter` and `query` are listed (see `matchingImages`), and of those only the rows in
 * and near view are in the page (spacers stand for the others, and scrolling renders them), so a
 * project of thousands of images costs what a screenful does. Returns the matching images.
 * Example: `renderImages(list, { images, label: "cell", current: "a", open })`.
 */
export function renderImages(list, { images, label, current, open, filter = "all", query = "" }) {
  const shown = matchingImages(images, label, filter, query);
  let state = imageLists.get(list);
  if (!state) {
    state = { frame: 0, rowHeight: 0 };
    imageLists.set(list, state);
    list.addEventListener("scroll", () => {
      if (state.frame) return;
      state.frame = requestAnimationFrame(() => {
        state.frame = 0;
        drawImageRows(list, state);
      });
    }, { passive: true });
  }
  Object.assign(state, { shown, options: { images, label, current, open } });
  if (shown.length === 0) {
    const empty = document.createElement("li");
    empty.className = "empty";
    empty.textContent = images.length ? "No image matches." : "No images.";
    list.replaceChildren(empty);
    return shown;
  }
  drawImageRows(list, state);
  return shown;
}

/**
 * Scrolls the image list so that image `id` is in view (centred when it was not), rendering its
 * row; true when it is listed. Only the list scrolls, never the panel around it.
 */
export function scrollImageIntoView(list, id) {
  const state = imageLists.get(list);
  const index = state?.shown.findIndex((image) => image.id === id) ?? -1;
  if (index < 0 || !state.rowHeight || !list.clientHeight) return index >= 0;
  const top = index * state.rowHeight;
  if (top < list.scrollTop || top + state.rowHeight > list.scrollTop + list.clientHeight) {
    list.scrollTop = Math.max(0, top - list.clientHeight / 2);
    drawImageRows(list, state);
  }
  return true;
}

function drawImageRows(list, state) {
  const { shown } = state;
  if (!shown?.length) return;
  const height = list.clientHeight;
  const rowHeight = state.rowHeight || 24;
  // A shorter list than before (a filter) may leave the old scroll position past its end.
  const top = Math.min(list.scrollTop, Math.max(0, shown.length * rowHeight - height));
  const first = height ? Math.max(0, Math.floor(top / rowHeight) - LIST_MARGIN) : 0;
  const count = height ? Math.ceil(height / rowHeight) + 2 * LIST_MARGIN : LIST_UNSIZED;
  const last = Math.min(shown.length, first + count);
  const rows = shown.slice(first, last).map((image) => imageRow(image, state.options));
  const spacer = (rowsStoodFor) => {
    const item = document.createElement("li");
    item.className = "spacer";
    item.setAttribute("aria-hidden", "true");
    item.style.height = `${rowsStoodFor * rowHeight}px`;
    return item;
  };
  list.replaceChildren(...(first > 0 ? [spacer(first)] : []), ...rows, ...(last < shown.length ? [spacer(shown.length - last)] : []));
  // Rows are one line each: the first rendered one gives the height the spacers use (measured
  // once, as reading it makes the browser lay out the page).
  // An empty list has no height yet either: the rows just added give it one.
  const measured = state.rowHeight ? 0 : rows[0]?.offsetHeight || 0;
  if (measured) {
    state.rowHeight = measured;
    drawImageRows(list, state);
  }
}

function imageRow(image, { label, current, open }) {
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
  return item;
}
