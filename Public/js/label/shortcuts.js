// The keyboard shortcuts, in one table: the key handler and the help overlay both read it, so the
// help can never disagree with what the keys do.

/**
 * `keys` are KeyboardEvent.key values (with "Ctrl+" / "Shift+" prefixes where needed); `action`
 * names a method of the page controller. Example row: `{ keys: ["c"], action: "toolClick", ... }`.
 */
export const SHORTCUTS = [
  { group: "Tools", keys: ["c"], action: "toolClick", text: "Click: left = positive, right or Shift+left = negative; drag = box" },
  { group: "Tools", keys: ["b"], action: "toolBox", text: "Box: drag a rectangle around the structure" },
  { group: "Tools", keys: ["s"], action: "toolScribblePositive", text: "Positive scribble (right-drag or Shift = negative)" },
  { group: "Tools", keys: ["d"], action: "toolScribbleNegative", text: "Negative scribble" },
  { group: "Tools", keys: ["p"], action: "toolBrush", text: "Brush: paint mask pixels by hand (right-drag erases)" },
  { group: "Tools", keys: ["e"], action: "toolEraser", text: "Eraser: remove mask pixels by hand" },
  { group: "Tools", keys: ["a"], action: "toolLasso", text: "Lasso: draw an outline to add it to the mask (right-drag or Shift erases it)" },
  { group: "Tools", keys: ["g"], action: "toolFill", text: "Fill: click a hole or the background to fill that region, or the mask to erase that piece" },
  { group: "Tools", keys: ["[", "]"], action: "brushSize", text: "Smaller / larger brush" },
  { group: "Edit", keys: ["h"], action: "fillHoles", text: "Fill the mask's holes" },
  { group: "Edit", keys: ["l"], action: "keepLargest", text: "Keep only the mask's largest component" },
  { group: "Edit", keys: ["Ctrl+z"], action: "undo", text: "Undo" },
  { group: "Edit", keys: ["Ctrl+Shift+z", "Ctrl+y"], action: "redo", text: "Redo" },
  { group: "Edit", keys: ["r"], action: "reset", text: "Reset: drop all interactions and edits on this image" },
  { group: "Edit", keys: ["Enter"], action: "accept", text: "Accept the mask and open the next image" },
  { group: "Edit", keys: ["n"], action: "skip", text: "Skip to the next image without accepting" },
  { group: "Navigate", keys: ["Shift+n"], action: "previousImage", text: "Back to the image opened before this one" },
  { group: "Navigate", keys: ["PageUp"], action: "previousSlice", text: "Volume slice: the previous one (PageUp) in its volume" },
  { group: "Navigate", keys: ["PageDown"], action: "nextSlice", text: "Volume slice: the next one (PageDown) in its volume" },
  { group: "Navigate", keys: ["/"], action: "findImage", text: "Find an image by name (Enter opens the first match)" },
  { group: "View", keys: ["f", "0"], action: "fit", text: "Fit the image to the view" },
  { group: "View", keys: ["+", "-"], action: "zoomKey", text: "Zoom in / out (or the mouse wheel)" },
  { group: "View", keys: ["Space+drag"], action: null, text: "Pan (or drag with the middle button)" },
  { group: "View", keys: ["m"], action: "toggleMask", text: "Show / hide the mask" },
  { group: "View", keys: ["o"], action: "toggleOutline", text: "Outline / filled mask" },
  { group: "View", keys: ["Shift+o"], action: "toggleOthers", text: "Show / hide the other labels' accepted masks (outlines)" },
  { group: "View", keys: [",", "."], action: "opacityKey", text: "Less / more mask opacity" },
  { group: "View", keys: ["w"], action: "autoWindow", text: "Automatic window/level (reset contrast; the label's window for volume slices)" },
  { group: "Review", mode: "review", keys: ["y"], action: "reviewAccept", text: "Review: accept the proposal as it is (0 interactions)" },
  { group: "Review", mode: "review", keys: ["Enter"], action: "reviewEnter", text: "Review: accept the refined mask, or the proposal as it is before any interaction" },
  { group: "Review", mode: "review", keys: ["r"], action: "reviewRefine", text: "Review: refine the proposal with the tools (it is the starting prediction)" },
  { group: "Review", mode: "review", keys: ["x"], action: "reviewReject", text: "Review: reject the proposal (not proposed again from this context)" },
  { group: "Review", mode: "review", keys: ["n"], action: "reviewNext", text: "Review: next proposal (most uncertain first)" },
  { group: "Review", mode: "review", keys: ["Shift+n"], action: "reviewPrevious", text: "Review: previous proposal" },
  { group: "Help", keys: ["?"], action: "toggleHelp", text: "Show / hide this help" },
  { group: "Help", keys: ["Escape"], action: "escape", text: "Close dialogs, cancel a drag" },
];

/** The key string of an event in the table's notation, e.g. "Ctrl+Shift+z" or "?". */
export function keyOf(event) {
  let key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (event.key === "?" || event.key === "+") key = event.key; // typed with Shift on most layouts
  const parts = [];
  if (event.ctrlKey || event.metaKey) parts.push("Ctrl");
  if (event.shiftKey && key.length === 1 && /[a-z]/.test(key)) parts.push("Shift");
  parts.push(key);
  return parts.join("+");
}

/**
 * The table row for a key event, or undefined. Rows of a `mode` the page is in (e.g. "review") win
 * over the others with the same key; rows of other modes do not apply.
 * Example: `shortcutFor(event, ["review"])` maps "r" to reviewRefine rather than reset.
 */
export function shortcutFor(event, modes = []) {
  const key = keyOf(event);
  const rows = SHORTCUTS.filter((row) => row.action && row.keys.includes(key) && (!row.mode || modes.includes(row.mode)));
  return rows.find((row) => row.mode) || rows[0];
}

/** Fill the help overlay from SHORTCUTS: one small table per group, laid out in columns. */
export function renderHelp(container) {
  const groups = new Map();
  for (const row of SHORTCUTS) {
    if (!groups.has(row.group)) groups.set(row.group, []);
    groups.get(row.group).push(row);
  }
  container.replaceChildren();
  for (const [group, rows] of groups) {
    const section = document.createElement("section");
    const title = document.createElement("h3");
    title.textContent = group;
    const table = document.createElement("table");
    table.className = "shortcuts";
    const tbody = document.createElement("tbody");
    for (const row of rows) {
      const tr = document.createElement("tr");
      const keys = document.createElement("td");
      row.keys.forEach((key, k) => {
        if (k > 0) keys.append(" ");
        const kbd = document.createElement("kbd");
        kbd.textContent = key;
        keys.append(kbd);
      });
      const text = document.createElement("td");
      text.textContent = row.text;
      tr.append(keys, text);
      tbody.append(tr);
    }
    table.append(tbody);
    section.append(title, table);
    container.append(section);
  }
}
