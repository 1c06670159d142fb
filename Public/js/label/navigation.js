// Moving through a label's images on the labeling page: opening one (with its saved mask when
// accepted), accepting the mask (after the prediction of the last interaction), un-accepting,
// next / skip / back, and the annotator's name.
// Methods of the page: main.js installs them on LabelPage, so `this` is the page.

import { APIError, describe, getJSON, getRaw, paths, sendJSON } from "../api.js";
import { bytesToBase64, decodeMask, decodeToRGBA, encodeGreyPNG } from "../png.js";
import { Annotation } from "./annotation.js";
import { describeState } from "./panels.js";
import { $, STORE } from "../page.js";

export class Navigation {
  /** Opens an image; `options.proposal` (review mode) shows that proposal as its mask. */
  async open(imageId, options = {}) {
    const token = ++this.openToken;
    const meta = this.project.images.find((image) => image.id === imageId);
    if (!meta) {
      this.status(`no image ${imageId} in this project`, "warn");
      return;
    }
    if (this.imageId && this.imageId !== imageId) {
      this.visited = this.visited.filter((id) => id !== this.imageId).concat(this.imageId).slice(-100);
    }
    this.imageId = imageId;
    this.annotation = null;
    this.shownSeq = -1;
    this.firstSeq = this.channel.seq + 1;
    this.notifySettled();
    document.body.dataset.image = imageId;
    document.body.dataset.shownSeq = "-1";
    document.body.dataset.firstSeq = String(this.firstSeq);
    document.body.dataset.maskPixels = "0";
    $("image-name").textContent = imageId;
    const url = new URL(location.href);
    url.searchParams.set("project", this.projectId);
    url.searchParams.set("label", this.label);
    url.searchParams.set("image", imageId);
    history.replaceState(null, "", url.toString());
    this.renderImageList();
    this.message(null);
    this.setHint(null);
    this.setPending(true);

    let info;
    try {
      info = await this.loadImage(meta);
    } catch (error) {
      if (token === this.openToken) this.message(`Cannot load ${imageId}: ${describe(error)}`, true);
      return;
    }
    if (token !== this.openToken) return; // the user moved on while it loaded
    this.info = info;
    this.slice = info.slice;
    this.annotation = new Annotation(info.width, info.height);
    this.viewer.setImage(info);
    this.applyLabelWindow();
    this.showSlicePosition();
    this.setupWindowSliders();
    this.viewChanged();
    this.refreshMask();
    this.showOtherLabels(meta, info, token);

    if (options.proposal) {
      try {
        await this.reviewShowProposal(options.proposal, info, token);
        return;
      } catch (error) {
        if (token !== this.openToken) return;
        this.status(`proposal unreadable (${describe(error)}); predicting instead`, "warn");
      }
    }
    const state = meta.labels && meta.labels[this.label];
    if (state && state.accepted) {
      // An accepted image opens with its saved mask; any interaction starts a new prediction.
      try {
        const response = await fetch(paths.mask(this.projectId, this.label, imageId));
        if (!response.ok) throw new APIError(`mask: HTTP ${response.status}`, response.status);
        const mask = await decodeMask(await response.blob(), info.width, info.height);
        if (token !== this.openToken) return;
        this.annotation.setPrediction(mask);
        this.refreshMask();
        this.setPending(false);
        this.status(`${imageId}: ${describeState(state)} — interact to revise`, "ok");
        return;
      } catch (error) {
        this.status(`saved mask unreadable (${describe(error)}); predicting instead`, "warn");
      }
    }
    // The in-context prediction with no interaction, shown as soon as it arrives.
    this.predict(false);
  }

  /** The image's accepted masks of the project's other labels, as outlines under this label's mask. */
  async showOtherLabels(meta, info, token) {
    const others = this.project.labels.filter((label) => label !== this.label && meta.labels?.[label]?.accepted);
    const loaded = [];
    for (const label of others) {
      try {
        const response = await fetch(paths.mask(this.projectId, label, meta.id));
        if (!response.ok) continue; // un-accepted meanwhile: nothing to show
        loaded.push({ label, mask: await decodeMask(await response.blob(), info.width, info.height) });
      } catch {
        // A mask that cannot be read only loses its outline; labeling goes on.
      }
    }
    if (token !== this.openToken) return;
    const shown = this.viewer.setOtherMasks(loaded);
    document.body.dataset.otherLabels = shown.map((other) => other.label).join(",");
    const legend = $("others-legend");
    legend.replaceChildren(...shown.map(({ label, rgb }) => {
      const item = document.createElement("span");
      item.className = "other-label";
      item.style.setProperty("--swatch", `rgb(${rgb.join(",")})`);
      item.textContent = label;
      return item;
    }));
    $("others-row").hidden = shown.length === 0;
  }

  /** Pixels for display: uint16 luminance from /raw (for window/level) and the PNG (for colour). */
  async loadImage(meta) {
    const pngResponse = fetch(paths.imagePNG(this.projectId, meta.id)).then(async (response) => {
      if (!response.ok) throw new APIError(`image: HTTP ${response.status}`, response.status);
      return response.blob();
    });
    const raw = getRaw(this.projectId, meta.id).catch((error) => error);
    // Where a volume slice sits in its volume, and the label's window for it (null for a plain image).
    const slice = getJSON(paths.slice(this.projectId, this.label, meta.id)).catch(() => null);
    const blob = await pngResponse;
    const bitmap = await createImageBitmap(blob);
    let data = await raw;
    if (data instanceof Error) {
      // Without /raw, fall back to the 8-bit luminance the browser decodes (window/level still works).
      const { width, height, rgba } = await decodeToRGBA(blob);
      const grey = new Uint16Array(width * height);
      for (let k = 0; k < grey.length; k++) {
        grey[k] = Math.round(0.299 * rgba[4 * k] + 0.587 * rgba[4 * k + 1] + 0.114 * rgba[4 * k + 2]);
      }
      data = { width, height, maxValue: 255, data: grey };
    }
    return {
      width: data.width, height: data.height, grey: data.data, maxValue: data.maxValue, bitmap,
      colour: (meta.channels || 1) >= 3, bitDepth: meta.bitDepth || (data.maxValue > 255 ? 16 : 8),
      slice: await slice,
    };
  }

  /** "volume, slice i / n" beside the image name, for a volume slice. */
  showSlicePosition() {
    const volume = this.slice && this.slice.volume;
    const element = $("slice-position");
    element.hidden = !volume;
    element.textContent = volume ? `${volume.id}, slice ${volume.position + 1} / ${volume.count}` : "";
    document.body.dataset.slice = volume ? `${volume.id}:${volume.position + 1}/${volume.count}` : "";
  }

  /** PageUp: the previous imported slice of this image's volume. */
  previousSlice() {
    this.openNeighbourSlice("previous");
  }

  /** PageDown: the next imported slice of this image's volume. */
  nextSlice() {
    this.openNeighbourSlice("next");
  }

  openNeighbourSlice(direction) {
    const volume = this.slice && this.slice.volume;
    if (!volume) {
      this.status(`${this.imageId} is no volume slice`, "warn");
      return;
    }
    const target = volume[direction];
    if (!target) {
      this.status(`${direction === "next" ? "last" : "first"} slice of ${volume.id}`, "warn");
      return;
    }
    this.open(target);
  }


  async nextImageId(after) {
    try {
      const { id } = await getJSON(paths.next(this.projectId, this.label, $("order").value, after));
      return id;
    } catch (error) {
      this.status(`cannot ask for the next image: ${describe(error)}`, "warn");
      return undefined;
    }
  }

  async accept() {
    if (!this.annotation || this.accepting) return;
    const annotator = await this.ensureAnnotator();
    if (!annotator) {
      this.status("accept cancelled: an annotator name is needed", "warn");
      return;
    }
    this.accepting = true;
    $("accept").disabled = true;
    const annotation = this.annotation;
    const imageId = this.imageId;
    try {
      // Save what the user meant: the mask of their last interaction, not the one still shown
      // while its prediction is on the way (mask and interaction count are read together after).
      if (this.awaitingPrediction) {
        this.setAcceptState("waiting");
        this.status("Accept: waiting for the prediction of your last interaction, then saving… (Esc cancels)", "");
        const outcome = await this.untilPredicted(annotation);
        if (outcome !== "ready") {
          const why = { failed: "the prediction of your last interaction failed; interact again or undo it, then accept",
            moved: "another image was opened", cancelled: "cancelled" }[outcome];
          this.status(`not accepted: ${why}`, "warn");
          return;
        }
      }
      this.setAcceptState("saving");
      const mask = annotation.composite();
      const pixels = new Uint8Array(mask.length);
      for (let k = 0; k < mask.length; k++) pixels[k] = mask[k] ? 255 : 0;
      const png = await encodeGreyPNG(pixels, annotation.width, annotation.height);
      const answer = await sendJSON(paths.accept(this.projectId, this.label, imageId), {
        maskPNG: bytesToBase64(png), annotator, interactions: annotation.interactionCount,
      });
      this.status(`accepted ${imageId} (version ${answer.version}, context ${answer.contextSize})`, "ok");
      $("sb-context").textContent = `context ${answer.contextSize}`;
      // The list learns of the accept here; fetching every image's state again would make each
      // accept in a project of 10,000 images wait for it.
      this.appliedRevision = answer.contextRevision;
      this.noteAccepted(imageId, { version: answer.version, interactions: annotation.interactionCount, annotator });
      await this.refreshContext();
      if (this.review) await this.reviewReload(this.reviewIndex);
      else await this.openNext(imageId);
    } catch (error) {
      this.status(`accept failed: ${describe(error)}`, "warn");
    } finally {
      this.accepting = false;
      this.setAcceptState(null);
      $("accept").disabled = false;
    }
  }

  /** The Accept button says what it is doing: waiting for a prediction, or saving. */
  setAcceptState(state) {
    const button = $("accept");
    button.firstChild.textContent = state === "waiting" ? "Waiting for prediction… " : state === "saving" ? "Saving… " : "Accept ";
    button.classList.toggle("busy", Boolean(state));
    document.body.dataset.acceptState = state || "";
  }

  /** Images of this label with an accepted mask. */
  acceptedCount() {
    return (this.project?.images || []).filter((image) => image.labels?.[this.label]?.accepted).length;
  }

  /** Withdraws the current image's accepted mask (kept in history) and predicts it afresh. */
  async unaccept() {
    const imageId = this.imageId;
    if (!imageId || !confirm(`Un-accept ${imageId}? Its mask goes to history and the image leaves the context set.`)) return;
    try {
      await sendJSON(paths.mask(this.projectId, this.label, imageId), undefined, "DELETE");
      this.status(`${imageId} is no longer accepted (its mask is kept in history)`, "ok");
    } catch (error) {
      this.status(`cannot un-accept ${imageId}: ${describe(error)}`, "warn");
    }
    await this.refreshLists();
    if (this.imageId === imageId) await this.open(imageId);
  }

  /** Back to the image opened before this one (or, with none, the one listed before it). */
  async previousImage() {
    const ids = new Set((this.project?.images || []).map((image) => image.id));
    while (this.visited.length && !ids.has(this.visited[this.visited.length - 1])) this.visited.pop();
    let target = this.visited.pop();
    if (!target) {
      const list = this.project?.images || [];
      const index = list.findIndex((image) => image.id === this.imageId);
      target = index > 0 ? list[index - 1].id : undefined;
    }
    if (!target) {
      this.status("no image before this one", "warn");
      return;
    }
    await this.open(target);
    this.visited.pop(); // going back is not a visit to come back to
  }

  findImage() {
    $("image-find").focus({ preventScroll: true }); // scrolling the side panel would hide Accept
    $("image-find").select();
  }

  async skip() {
    if (this.imageId) await this.openNext(this.imageId);
  }

  async openNext(after) {
    const id = await this.nextImageId(after);
    if (id === undefined) return;
    if (id === null) {
      this.annotation = null;
      this.setHint(null);
      this.viewer.setMask(null);
      this.setPending(false);
      this.message("Every image of this label has an accepted mask. Download them with “Export zip”, or open any image from the list to revise it.");
      document.body.dataset.image = "";
      return;
    }
    await this.open(id);
  }

  saveAnnotator(name) {
    const clean = name.trim();
    if (clean) localStorage.setItem(STORE.annotator, clean);
    $("annotator").value = clean;
    return clean;
  }

  /** The annotator's name, asked once in a dialog and kept in localStorage. */
  ensureAnnotator() {
    const known = ($("annotator").value || localStorage.getItem(STORE.annotator) || "").trim();
    if (known) return Promise.resolve(this.saveAnnotator(known));
    const dialog = $("annotator-dialog");
    const input = $("annotator-input");
    input.value = "";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => {
        resolve(dialog.returnValue === "ok" ? this.saveAnnotator(input.value) : "");
      }, { once: true });
      dialog.returnValue = "";
      dialog.showModal();
      input.focus();
    });
  }
}
