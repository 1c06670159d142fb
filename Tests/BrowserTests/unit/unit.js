// Unit tests of the page's modules, run in the real browser by unit_test.py (served from the
// repository root, so the modules load from /Public/js/ exactly as the app ships them).
// Inputs are small and hand-computable; each check says what it expected.

import { bytesToBase64, decodeMask, encodeGreyPNG } from "/Public/js/png.js";
import { Annotation } from "/Public/js/label/annotation.js";
import { fillHoles, floodFill, largestComponent, polygonFill } from "/Public/js/label/morphology.js";
import { VOLUME_FILE } from "/Public/js/upload.js";
import { keyOf, shortcutFor, SHORTCUTS } from "/Public/js/label/shortcuts.js";
import { PAGE, pageOffset, progressText, settle } from "/Public/js/label/review.js";
import { paths } from "/Public/js/api.js";
import { Viewer } from "/Public/js/label/viewer.js";
import { describeState, matchingImages, renderContext, renderImages, scrollImageIntoView } from "/Public/js/label/panels.js";

const results = [];
function check(name, condition, detail = "") {
  results.push({ name, ok: Boolean(condition), detail: String(detail) });
}
const same = (a, b) => a.length === b.length && a.every((v, k) => v === b[k]);
const setPixels = (edits, width) => [...edits].flatMap((v, k) => (v ? [[k % width, Math.floor(k / width), v]] : []));

async function pngTests() {
  // 5x3 with both values in every row and column, so a row/column mix-up shows.
  const bits = [1, 0, 0, 1, 1,
                0, 1, 0, 0, 1,
                1, 1, 1, 0, 0];
  const pixels = Uint8Array.from(bits, (b) => b * 255);
  const png = await encodeGreyPNG(pixels, 5, 3);
  window.unitPNG = bytesToBase64(png); // unit_test.py decodes it independently
  const back = await decodeMask(new Blob([png], { type: "image/png" }), 5, 3);
  check("grey PNG round trip through the browser's decoder", same([...back], bits), [...back].join(""));
  let threw = false;
  try {
    await encodeGreyPNG(new Uint8Array(14), 5, 3);
  } catch {
    threw = true;
  }
  check("encodeGreyPNG refuses a pixel count that does not match", threw);
  let sizeError = "";
  try {
    await decodeMask(new Blob([png], { type: "image/png" }), 3, 5);
  } catch (error) {
    sizeError = error.message;
  }
  check("decodeMask refuses a mask of another size", sizeError.includes("5x3"), sizeError);
  const long = Uint8Array.from({ length: 0x8000 * 2 + 5 }, (_, k) => (k * 7) & 255);
  let binary = "";
  for (const b of long) binary += String.fromCharCode(b);
  check("bytesToBase64 across its 32 KiB slices equals btoa", bytesToBase64(long) === btoa(binary));
}

function annotationTests() {
  const a = new Annotation(8, 6);
  a.push({ kind: "click", x: 10.5, y: 20.5, positive: true });
  a.push({ kind: "box", x0: 0, y0: 1, x1: 4.5, y1: 5.5 });
  a.push({ kind: "scribble", positive: false, width: 2, points: [[0.5, 0.5], [3.5, 2.5]] });
  const p = a.prompts();
  check("prompts put pixel centres on integers (click on pixel (10, 20) -> 10, 20)",
    p.clicks[0].x === 10 && p.clicks[0].y === 20 && p.clicks[0].positive === true, JSON.stringify(p.clicks));
  check("boxes and scribble points get the same half-pixel shift",
    JSON.stringify(p.boxes[0]) === '{"x0":-0.5,"y0":0.5,"x1":4,"y1":5}' &&
    JSON.stringify(p.scribbles[0].points) === "[[0,0],[3,2]]" && p.scribbles[0].positive === false,
    JSON.stringify(p));

  // A disc of radius 1 at the centre of pixel (0, 0) covers the centres within distance 1: (0,0),
  // (1,0), (0,1); (1,1) is sqrt(2) away, and the disc is clipped at the image corner.
  const b = new Annotation(4, 4);
  b.push({ kind: "brush", erase: false, radius: 1, points: [[0.5, 0.5]] });
  check("brush disc at the corner sets exactly the covered pixels",
    JSON.stringify(setPixels(b.edits, 4)) === "[[0,0,1],[1,0,1],[0,1,1]]", JSON.stringify(setPixels(b.edits, 4)));

  // Composite: edits win over the prediction in both directions.
  const c = new Annotation(4, 1);
  c.setPrediction(Uint8Array.from([1, 1, 0, 0]));
  c.push({ kind: "brush", erase: true, radius: 0.5, points: [[0.5, 0.5]] });
  c.push({ kind: "brush", erase: false, radius: 0.5, points: [[2.5, 0.5]] });
  check("composite: erased pixels are 0, painted pixels 1, the rest the prediction",
    same([...c.composite()], [0, 1, 1, 0]), [...c.composite()].join(""));
  c.undo();
  check("undo of a brush stroke rebuilds the edits without it", same([...c.composite()], [0, 1, 0, 0]),
    [...c.composite()].join(""));
  c.redo();
  check("redo re-applies it", same([...c.composite()], [0, 1, 1, 0]), [...c.composite()].join(""));
  c.undo();
  c.push({ kind: "click", x: 1.5, y: 0.5, positive: true });
  check("a new operation after undo clears the redo stack", !c.canRedo && c.interactionCount === 2 && c.promptCount === 1,
    `canRedo ${c.canRedo}, ${c.interactionCount} ops, ${c.promptCount} prompts`);
  c.reset();
  check("reset drops operations and edits but keeps the prediction",
    c.interactionCount === 0 && same([...c.composite()], [1, 1, 0, 0]) && !c.canUndo, [...c.composite()].join(""));
  const empty = new Annotation(3, 1);
  check("without a prediction the composite is empty", same([...empty.composite()], [0, 0, 0]));

  // A long stroke is painted continuously (no gaps between the sampled discs).
  const d = new Annotation(20, 3);
  d.push({ kind: "brush", erase: false, radius: 0.6, points: [[0.5, 1.5], [19.5, 1.5]] });
  const row = [...d.edits.subarray(20, 40)];
  check("a brush stroke leaves no gaps along its path", row.every((v) => v === 1), row.join(""));
}

function shortcutTests() {
  const seen = new Map();
  let duplicate = "";
  for (const row of SHORTCUTS) {
    for (const key of row.keys) {
      // A mode's rows (review) may rebind a key only while the page is in that mode.
      const slot = `${row.mode || ""}:${key}`;
      if (seen.has(slot)) duplicate = `${slot}: ${seen.get(slot)} and ${row.action}`;
      seen.set(slot, row.action);
    }
  }
  check("no key is bound twice in the shortcut table", duplicate === "", duplicate);
  const event = (init) => new KeyboardEvent("keydown", init);
  check("review mode's keys apply only in review mode",
    shortcutFor(event({ key: "r" })).action === "reset" && shortcutFor(event({ key: "r" }), ["review"]).action === "reviewRefine" &&
    shortcutFor(event({ key: "y" })) === undefined && shortcutFor(event({ key: "y" }), ["review"]).action === "reviewAccept" &&
    shortcutFor(event({ key: "x" }), ["review"]).action === "reviewReject" &&
    shortcutFor(event({ key: "Enter" })).action === "accept" && shortcutFor(event({ key: "Enter" }), ["review"]).action === "reviewEnter" &&
    shortcutFor(event({ key: "N", shiftKey: true }), ["review"]).action === "reviewPrevious" &&
    shortcutFor(event({ key: "m" }), ["review"]).action === "toggleMask",
    ["r", "y", "Enter"].map((k) => shortcutFor(event({ key: k }), ["review"])?.action).join(" "));
  check("the review progress says accepted / proposed (stale) / remaining",
    progressText({ accepted: 3, proposed: 2, remaining: 7, stale: 1 }) === "3 accepted · 2 proposed (1 stale) · 7 remaining" &&
    progressText({ accepted: 0, proposed: 0, remaining: 4, stale: 0 }) === "0 accepted · 0 proposed · 4 remaining",
    progressText({ accepted: 3, proposed: 2, remaining: 7, stale: 1 }));
  check("review pages: the page holding an index, and the queue URL asking for it",
    PAGE === 100 && pageOffset(0) === 0 && pageOffset(99) === 0 && pageOffset(100) === 100 && pageOffset(250) === 200 &&
    pageOffset(-1) === 0 &&
    paths.proposals("p", "l", null, 0.5, 200, 100) === "/api/projects/p/labels/l/proposals?max-uncertainty=0.5&offset=200&limit=100" &&
    paths.proposals("p", "l") === "/api/projects/p/labels/l/proposals",
    [pageOffset(250), paths.proposals("p", "l", null, 0.5, 200, 100)].join(" "));
  {
    const item = (image, stale, draft = false) => ({ image, stale, draft, contextRevision: draft ? "" : stale ? "old" : "r1" });
    const queue = { items: [item("a", false), item("b", true), item("d", false, true), item("c", false)], offset: 0,
      shown: 9, proposed: 9, drafts: 2, stale: 3, accepted: 4, remaining: 5, contextRevision: "r1" };
    const rejected = settle(queue, 1, "rejected");
    const accepted = settle(queue, 0, "accepted", "r2");
    const same = settle(queue, 0, "accepted", "r1");
    check("settling a proposal in the page: gone, counted, the others stale after an accept",
      rejected.items.map((i) => i.image).join() === "a,d,c" && rejected.shown === 8 && rejected.proposed === 8 &&
      rejected.stale === 2 && rejected.remaining === 6 && rejected.accepted === 4 && queue.items.length === 4 &&
      accepted.items.map((i) => `${i.image}${i.stale ? "*" : ""}`).join() === "b*,d,c*" && accepted.accepted === 5 &&
      accepted.stale === 6 && accepted.drafts === 2 && accepted.contextRevision === "r2" && accepted.remaining === 5 &&
      same.stale === 3 && same.items.map((i) => `${i.image}${i.stale ? "*" : ""}`).join() === "b*,d,c",
      JSON.stringify([rejected.stale, accepted.stale, accepted.items.map((i) => i.stale), same.stale]));
  }
  const key = (init) => keyOf(new KeyboardEvent("keydown", init));
  check("keyOf names chords as the table does",
    key({ key: "Z", ctrlKey: true, shiftKey: true }) === "Ctrl+Shift+z" && key({ key: "z", ctrlKey: true }) === "Ctrl+z" &&
    key({ key: "?", shiftKey: true }) === "?" && key({ key: "Enter" }) === "Enter" && key({ key: "B", shiftKey: true }) === "Shift+b",
    [key({ key: "Z", ctrlKey: true, shiftKey: true }), key({ key: "?", shiftKey: true }), key({ key: "B", shiftKey: true })].join(" "));
}

async function viewerTests() {
  const canvas = document.getElementById("view");
  const viewer = new Viewer(canvas);
  await new Promise((resolve) => requestAnimationFrame(resolve));
  const grey = Uint16Array.from([0, 500, 1000, 250, 750, 1000, 0, 0, 0, 0]);
  viewer.setImage({ width: 5, height: 2, grey, maxValue: 1000, colour: false });
  // maxValue > 255 -> automatic window from the 0.5/99.5 percentiles: 0..1000 here.
  viewer.setWindow(500, 1000);
  const shown = viewer.imageLayer.getContext("2d").getImageData(0, 0, 5, 1).data;
  const reds = [0, 1, 2, 3, 4].map((k) => shown[4 * k]);
  check("window/level maps low..high to 0..255", reds[0] === 0 && Math.abs(reds[1] - 127.5) <= 1 && reds[2] === 255 &&
    Math.abs(reds[3] - 63.75) <= 1, reds.join(","));
  viewer.setWindow(500, 200); // 400..600: everything below is black, above white
  const narrow = viewer.imageLayer.getContext("2d").getImageData(0, 0, 5, 1).data;
  check("a narrow window clips outside it", narrow[0] === 0 && Math.abs(narrow[4] - 127.5) <= 1 && narrow[8] === 255 &&
    narrow[12] === 0 && narrow[16] === 255, [0, 1, 2, 3, 4].map((k) => narrow[4 * k]).join(","));

  // Automatic window of a 16-bit image holding 0..999 once each: the 0.5% and 99.5% percentiles
  // are the values at ranks 4.995 and 994.005, i.e. 4 and 994.
  viewer.setImage({ width: 1000, height: 1, grey: Uint16Array.from({ length: 1000 }, (_, k) => 999 - k),
    maxValue: 65535, colour: false });
  check("automatic window spans the 0.5..99.5 percentiles", viewer.window.center === 499 && viewer.window.width === 990,
    JSON.stringify(viewer.window));
  viewer.setImage({ width: 5, height: 2, grey, maxValue: 1000, colour: false });

  const dpr = window.devicePixelRatio || 1;
  viewer.fit();
  const scale = viewer.scale;
  check("fit scales the image into the view and centres it",
    Math.abs(viewer.tx * 2 + 5 * scale - canvas.width) < 1e-6 && Math.abs(viewer.ty * 2 + 2 * scale - canvas.height) < 1e-6,
    `scale ${scale.toFixed(2)}, t ${viewer.tx.toFixed(1)},${viewer.ty.toFixed(1)}, canvas ${canvas.width}x${canvas.height}`);
  const before = viewer.toImage(123, 77);
  viewer.zoomAt(123, 77, 0.4);
  const after = viewer.toImage(123, 77);
  check("zooming keeps the image point under the cursor fixed",
    Math.abs(before.x - after.x) < 1e-9 && Math.abs(before.y - after.y) < 1e-9 && Math.abs(viewer.scale - 0.4 * scale) < 1e-9,
    `${before.x.toFixed(4)},${before.y.toFixed(4)} -> ${after.x.toFixed(4)},${after.y.toFixed(4)}`);
  viewer.panBy(10, -4);
  const moved = viewer.toImage(133, 73);
  check("panning moves the image with the pointer", Math.abs(moved.x - after.x) < 1e-9 && Math.abs(moved.y - after.y) < 1e-9);
  const q = viewer.toCanvas(3.25, 1.5);
  const r = viewer.toImage(q.x / dpr, q.y / dpr);
  check("toImage inverts toCanvas", Math.abs(r.x - 3.25) < 1e-9 && Math.abs(r.y - 1.5) < 1e-9);

  // Outline of a 3x3 block inside a 5x5 mask: its 8 border pixels, not the centre.
  viewer.setImage({ width: 5, height: 5, grey: new Uint16Array(25), maxValue: 255, colour: false });
  const mask = new Uint8Array(25);
  for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) mask[y * 5 + x] = 1;
  viewer.setMask(mask);
  const alpha = () => {
    const data = viewer.maskLayer.getContext("2d").getImageData(0, 0, 5, 5).data;
    return [...Array(25).keys()].filter((k) => data[4 * k + 3] > 0);
  };
  check("filled mask layer covers the 9 mask pixels", same(alpha(), [6, 7, 8, 11, 12, 13, 16, 17, 18]), alpha().join(","));
  viewer.setOutline(true);
  check("outline mask layer keeps the 8 boundary pixels", same(alpha(), [6, 7, 8, 11, 13, 16, 17, 18]), alpha().join(","));
}

function stateTests() {
  // Issue 16, bug 3: the three states of an image are told apart, each with its way back.
  const inContext = { accepted: true, inContext: true, included: true, annotator: "ana", interactions: 3 };
  const excluded = { ...inContext, included: false };
  const removed = { accepted: true, inContext: false, included: false, annotator: "ana", interactions: 3 };
  check("an accepted image in the context set says so", describeState(inContext) === "accepted by ana, in the context set",
    describeState(inContext));
  check("an excluded one says how to include it again", describeState(excluded).includes("tick “use”"), describeState(excluded));
  check("a removed one says how to add it back", describeState(removed).includes("Add back"), describeState(removed));
  check("an image without a mask is not accepted", describeState({ accepted: false }) === "not accepted yet");

  const list = document.createElement("ul");
  const images = [["a", inContext], ["b", excluded], ["c", removed], ["d", {}]].map(([id, state]) =>
    ({ id, width: 4, height: 3, labels: { cell: state } }));
  renderImages(list, { images, label: "cell", current: "a", open: () => {} });
  const marks = [...list.querySelectorAll("li")].map((li) => `${li.dataset.image}:${li.dataset.state}:${li.querySelector(".mark").textContent}`);
  check("the image list marks in-context, excluded/removed and to-do images apart",
    same(marks, ["a:done:✓", "b:excluded:⊘", "c:excluded:⊘", "d:todo:○"]), marks.join(" "));

  const ids = (list) => list.map((image) => image.id).join(",");
  check("the image filter keeps the images in one state", ids(matchingImages(images, "cell", "excluded")) === "b,c" &&
    ids(matchingImages(images, "cell", "todo")) === "d" && ids(matchingImages(images, "cell", "done")) === "a",
    ids(matchingImages(images, "cell", "excluded")));
  const named = [{ id: "001_HC" }, { id: "002_hc" }, { id: "liver_01" }];
  check("finding by name matches any part of the id, in any case", ids(matchingImages(named, "cell", "all", " hC")) === "001_HC,002_hc",
    ids(matchingImages(named, "cell", "all", " hC")));
  // A thousand images: only the rows in and near view are in the page; spacers keep the scroll
  // height, and bringing an image into view renders its row.
  const long = document.createElement("ul");
  long.className = "image-list";
  long.style.cssText = "max-height: 200px; overflow-y: auto; position: relative; list-style: none; margin: 0; padding: 0";
  document.body.append(long);
  const many = Array.from({ length: 1000 }, (_, k) => ({ id: `img-${String(k).padStart(4, "0")}`, width: 8, height: 8,
    labels: { cell: k % 3 ? {} : inContext } }));
  const listed = renderImages(long, { images: many, label: "cell", current: "img-0000", open: () => {} });
  const rows = () => long.querySelectorAll("li[data-image]").length;
  const rowHeight = long.querySelector("li[data-image]").offsetHeight;
  check("a list of 1,000 images renders only the rows near view, and keeps the full scroll height",
    listed.length === 1000 && rows() < 120 && Math.abs(long.scrollHeight - 1000 * rowHeight) <= 1,
    `${rows()} rows, scroll height ${long.scrollHeight} for ${rowHeight}px rows`);
  const found = scrollImageIntoView(long, "img-0777");
  const row = long.querySelector('li[data-image="img-0777"]');
  check("bringing an image into view renders its row inside the visible part of the list",
    found && row && row.offsetTop >= long.scrollTop && row.offsetTop + row.offsetHeight <= long.scrollTop + long.clientHeight,
    `row at ${row?.offsetTop}, view ${long.scrollTop}..${long.scrollTop + long.clientHeight}`);
  const todo = renderImages(long, { images: many, label: "cell", current: null, open: () => {}, filter: "done" });
  check("a filter lists its matches windowed the same way", todo.length === 334 && rows() > 0 && rows() < 120
    && [...long.querySelectorAll("li[data-image]")].every((li) => li.dataset.state === "done"), `${todo.length} matches, ${rows()} rows`);
  long.remove();
  const filtered = document.createElement("ul");
  renderImages(filtered, { images: named, label: "cell", current: null, open: () => {}, query: "zzz" });
  check("a find without matches says so", filtered.textContent === "No image matches.", filtered.textContent);

  const panel = document.createElement("div");
  const restored = [];
  renderContext(panel, { project: "p", label: "cell", entries: [], outside: [images[2]],
    handlers: { open: () => {}, restore: (id) => restored.push(id), toggle: () => {}, remove: () => {} } });
  const button = panel.querySelector('.context-outside li[data-image="c"] button.restore');
  button?.click();
  check("a removed image is listed with an “Add back” button that restores it", same(restored, ["c"]), restored.join(","));
  check("with nothing in the context set the panel says the network has nothing to go on",
    panel.querySelector(".empty")?.textContent.includes("nothing to condition on"), panel.textContent);
}

function morphologyTests() {
  // 6x5: a ring around (2, 2) touching nothing, a blob of 2 at the right edge, and a notch open to the border.
  const mask = Uint8Array.from([
    0, 0, 0, 0, 0, 0,
    1, 1, 1, 0, 0, 1,
    1, 0, 1, 0, 0, 1,
    1, 1, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0]);
  const filled = fillHoles(mask, 6, 5);
  check("fill holes fills background enclosed by the mask, nothing that reaches the border",
    filled[2 * 6 + 1] === 1 && [...filled].filter(Boolean).length === 11, [...filled].join(""));
  const largest = largestComponent(mask, 6, 5);
  check("keep largest keeps the 8-pixel ring and drops the 2-pixel blob",
    [...largest].filter(Boolean).length === 8 && largest[1 * 6 + 5] === 0, [...largest].join(""));
  const diagonal = Uint8Array.from([1, 0, 0, 1]);
  check("components are 4-connected: diagonal pixels are apart", [...largestComponent(diagonal, 2, 2)].join("") === "1000");

  // As an annotation edit: recorded pixels, undone and redone, and kept over a new prediction.
  const a = new Annotation(6, 5);
  a.setPrediction(mask);
  const op = a.pushMaskEdit("fill holes", fillHoles(a.composite(), 6, 5));
  check("a mask edit records the changed pixels and counts as one interaction",
    op && [...op.on].join() === "13" && op.off.length === 0 && a.interactionCount === 1, op && [...op.on].join());
  a.setPrediction(new Uint8Array(30));
  check("the edit stays over a later prediction", a.composite()[13] === 1 && [...a.composite()].filter(Boolean).length === 1);
  a.undo();
  check("undo drops it", a.composite()[13] === 0);
  a.redo();
  check("redo restores it", a.composite()[13] === 1);
  check("a mask edit that changes nothing is not recorded", a.pushMaskEdit("again", a.composite()) === null && a.interactionCount === 1);

  // Flood fill on the same mask: the ring's hole, the background that reaches the border, a component.
  const hole = floodFill(mask, 6, 5, 1.4, 2.6);
  check("flood fill in the ring's hole fills only the hole",
    [...hole].filter(Boolean).length === 11 && hole[2 * 6 + 1] === 1, [...hole].join(""));
  const blobGone = floodFill(mask, 6, 5, 5, 1);
  check("flood fill on the mask erases that component only",
    blobGone[1 * 6 + 5] === 0 && blobGone[2 * 6 + 5] === 0 && [...blobGone].filter(Boolean).length === 8, [...blobGone].join(""));
  const outside = floodFill(mask, 6, 5, 4, 0);
  check("flood fill in the open background fills it but not the enclosed hole",
    [...outside].filter(Boolean).length === 29 && outside[2 * 6 + 1] === 0, [...outside].join(""));
  check("flood fill outside the image changes nothing", same([...floodFill(mask, 6, 5, -1, 2)], [...mask]));

  // Lasso: pixel centres inside the polygon (even-odd), on an 8x6 grid.
  const empty = new Uint8Array(48);
  const square = polygonFill(empty, 8, 6, [[1, 1], [4, 1], [4, 3], [1, 3]], 1);
  const squareRows = [0, 1, 2, 3, 4, 5].map((y) => [...square.slice(y * 8, y * 8 + 8)].join("")).join("/");
  check("a lasso square from (1,1) to (4,3) covers the pixel centres 1..3 by 1..2 (right and bottom edges are open)",
    squareRows === "00000000/01110000/01110000/00000000/00000000/00000000", squareRows);
  const triangle = polygonFill(empty, 8, 6, [[0, 0], [6, 0], [0, 6]], 1);
  const triangleRows = [0, 1, 2, 3, 4, 5].map((y) => [...triangle.slice(y * 8, y * 8 + 8)].join("")).join("/");
  check("a lasso triangle fills each row up to its hypotenuse",
    triangleRows === "11111100/11111000/11110000/11100000/11000000/10000000", triangleRows);
  const clipped = polygonFill(empty, 8, 6, [[-5, -5], [20, -5], [20, 20], [-5, 20]], 1);
  check("a lasso beyond the image is clipped to it", [...clipped].every((v) => v === 1));
  const erased = polygonFill(square, 8, 6, [[0.5, 0.5], [2.5, 0.5], [2.5, 2.5], [0.5, 2.5]], 0);
  check("a lasso with value 0 erases inside and keeps the rest",
    [...erased].filter(Boolean).length === 2 && erased[1 * 8 + 1] === 0 && erased[2 * 8 + 2] === 0 && erased[1 * 8 + 3] === 1, [...erased].join(""));
  const left = polygonFill(empty, 8, 6, [[0, 0], [3, 0], [3, 6], [0, 6]], 1);
  const right = polygonFill(empty, 8, 6, [[3, 0], [8, 0], [8, 6], [3, 6]], 1);
  check("two lassos that share an edge tile the image: no pixel in both, none in neither",
    [...left].every((v, k) => v + right[k] === 1), [...left].join("") + " " + [...right].join(""));
  check("fewer than three points is no polygon", same([...polygonFill(empty, 8, 6, [[1, 1], [5, 5]], 1)], [...empty]));
}

function volumeUploadTests() {
  const volumes = ["ct.nii", "CT.NII.GZ", "series 3.zip", "a.b.nii.gz"];
  const images = ["scan.png", "ct.nii.png", "notes.gz", "nii", "archive.zip.png", "ct.nii.gz.bak"];
  check("volume files (.nii, .nii.gz, .zip) go to the volume upload, everything else to the image upload",
    volumes.every((name) => VOLUME_FILE.test(name)) && !images.some((name) => VOLUME_FILE.test(name)),
    images.filter((name) => VOLUME_FILE.test(name)).join(","));
  const rows = SHORTCUTS.filter((row) => row.keys.includes("PageUp") || row.keys.includes("PageDown")).map((row) => row.action);
  check("PageUp / PageDown open the previous / next slice", same(rows, ["previousSlice", "nextSlice"]), rows.join(","));
}

async function run() {
  for (const suite of [pngTests, annotationTests, shortcutTests, viewerTests, stateTests, morphologyTests,
    volumeUploadTests]) {
    try {
      await suite();
    } catch (error) {
      check(`${suite.name} ran to the end`, false, `${error.message}\n${error.stack}`);
    }
  }
  document.getElementById("out").textContent = results.map((r) => `${r.ok ? "PASS" : "FAIL"} ${r.name} ${r.detail}`).join("\n");
  window.unitResults = results;
}

run();
