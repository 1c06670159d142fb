// Review mode of the labeling page (label.html?...&review=1): walks the label's proposals (from
// `multiverseg propagate`) and drafts (imported masks), most uncertain first. Each opens with the
// proposal as the mask; Y (or Enter before any interaction) accepts it as it is, R refines it with
// the usual tools (the proposal is the previous prediction; Enter then accepts the refined mask
// with its interaction count), X rejects it, N / Shift+N move through the queue. Stale proposals
// (made from an older context) are refreshed by the propagate command shown, or by this server
// ("Refresh here": low priority, progress as `refresh` events).
// Methods of the page: main.js installs them on LabelPage, so `this` is the page.

import { APIError, describe, getJSON, paths, sendJSON } from "../api.js";
import { decodeMask } from "../png.js";
import { $ } from "../page.js";

/** "0.25" -> 0.25; "" or junk -> null (no bound). */
function bound(text) {
  const value = Number.parseFloat(text);
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : null;
}

/** The queue's progress line. Example: `progressText({accepted: 3, proposed: 2, remaining: 7})`. */
export function progressText(queue) {
  const stale = queue.stale ? ` (${queue.stale} stale)` : "";
  return `${queue.accepted} accepted · ${queue.proposed} proposed${stale} · ${queue.remaining} remaining`;
}

/** Proposals asked for at a time: a queue of 10,000 loads as fast as one of 100. */
export const PAGE = 100;

/** The offset of the page holding the queue's `index`-th proposal. Example: `pageOffset(250) === 200`. */
export function pageOffset(index) {
  return Math.floor(Math.max(0, index) / PAGE) * PAGE;
}

/**
 * The loaded queue after the user settled its item at `position` (`how`: "accepted" or
 * "rejected"), as the server now counts it: the item gone, the counts moved, and after an accept
 * (a new context revision) every prediction made from an older one stale.
 * Example: `settle({items: [a, b], shown: 2, proposed: 2, accepted: 0, ...}, 0, "rejected")`.
 */
export function settle(queue, position, how, contextRevision = null) {
  const item = queue.items[position];
  const items = queue.items.filter((_, k) => k !== position);
  const next = {
    ...queue, items, shown: queue.shown - 1, proposed: queue.proposed - 1,
    drafts: queue.drafts - (item.draft ? 1 : 0), stale: queue.stale - (item.stale ? 1 : 0),
    accepted: queue.accepted + (how === "accepted" ? 1 : 0), remaining: queue.remaining + (how === "rejected" ? 1 : 0),
  };
  if (how === "accepted" && contextRevision && contextRevision !== queue.contextRevision) {
    next.contextRevision = contextRevision;
    next.items = items.map((other) => (other.draft ? other : { ...other, stale: other.contextRevision !== contextRevision }));
    // Every prediction in the queue, loaded or not, was made before this accept.
    next.stale = next.proposed - next.drafts;
  }
  return next;
}

export class ReviewMode {
  /**
   * Loads the page of the queue holding its `index`-th proposal (with the panel's uncertainty
   * filter; the last page when the queue got shorter) and shows the progress.
   */
  async reviewLoad(index = 0) {
    const ask = (offset) => getJSON(paths.proposals(this.projectId, this.label,
      bound($("review-min").value), bound($("review-max").value), offset, PAGE));
    let queue = await ask(pageOffset(index));
    if (queue.items.length === 0 && queue.shown > 0) queue = await ask(pageOffset(queue.shown - 1));
    this.reviewQueue = queue;
    this.reviewShowProgress(queue);
    return queue;
  }

  /** The panel's progress, filter count and refresh controls for `queue`. */
  reviewShowProgress(queue) {
    $("review-progress").textContent = progressText(queue);
    $("review-shown").textContent = queue.shown === queue.proposed ? "" : `${queue.shown} shown by the filter`;
    $("review-refresh").hidden = queue.stale === 0;
    $("review-command").textContent = queue.refreshCommand;
    $("review-refresh-here").disabled = queue.refreshing > 0;
    document.body.dataset.reviewAccepted = String(queue.accepted);
    document.body.dataset.reviewProposed = String(queue.proposed);
    document.body.dataset.reviewRemaining = String(queue.remaining);
  }

  /** Starts review mode: the panel, the queue, its first proposal. */
  async reviewStart() {
    document.body.classList.add("reviewing");
    $("review-panel").hidden = false;
    for (const id of ["review-min", "review-max"]) {
      $(id).addEventListener("change", () => this.reviewReload(0));
    }
    $("review-copy").addEventListener("click", () => this.reviewCopyCommand());
    $("review-refresh-here").addEventListener("click", () => this.reviewRefreshHere());
    try {
      await this.reviewLoad(0);
    } catch (error) {
      this.message(`Cannot load the review queue: ${describe(error)}`, true);
      return;
    }
    await this.reviewOpen(0);
  }

  /** Reloads the queue and opens the proposal now at `index` (clamped), or says the review is done. */
  async reviewReload(index) {
    try {
      await this.reviewLoad(index);
    } catch (error) {
      this.status(`cannot reload the review queue: ${describe(error)}`, "warn");
      return;
    }
    await this.reviewOpen(Math.min(index, this.reviewQueue.shown - 1));
  }

  /** Opens the queue's `index`-th proposal with its mask, loading its page when another is loaded. */
  async reviewOpen(index) {
    let queue = this.reviewQueue;
    if (queue && index >= 0 && queue.shown > 0) {
      index = Math.min(index, queue.shown - 1);
      if (index < queue.offset || index >= queue.offset + queue.items.length) {
        try {
          queue = await this.reviewLoad(index);
        } catch (error) {
          this.status(`cannot load the review queue: ${describe(error)}`, "warn");
          return;
        }
        index = Math.min(index, queue.shown - 1);
      }
    }
    const item = queue && index >= 0 ? queue.items[index - queue.offset] : undefined;
    if (!item) {
      this.reviewItem = null;
      this.reviewIndex = 0;
      this.annotation = null;
      this.viewer.setMask(null);
      this.setPending(false);
      document.body.dataset.image = "";
      document.body.dataset.reviewImage = "";
      $("review-item").textContent = "";
      const filtered = this.reviewQueue && this.reviewQueue.proposed > 0;
      this.message(filtered
        ? "No proposal matches the uncertainty filter: widen it to see the others."
        : `Nothing left to review for “${this.label}”. Run multiverseg propagate for more proposals, or label the remaining images.`);
      return;
    }
    this.reviewIndex = index;
    this.reviewItem = item;
    this.reviewRefining = false;
    await this.open(this.reviewItem.image, { proposal: this.reviewItem });
  }

  /** Puts the proposal's mask on the freshly opened image (called by open()). */
  async reviewShowProposal(item, info, token) {
    const response = await fetch(paths.proposal(this.projectId, this.label, item.image, "mask.png"));
    if (!response.ok) throw new APIError(`proposal: HTTP ${response.status}`, response.status);
    const mask = await decodeMask(await response.blob(), info.width, info.height);
    if (token !== this.openToken) return;
    this.annotation.setPrediction(mask);
    this.refreshMask();
    this.setPending(false);
    const kind = item.draft ? `draft imported from ${item.importedFrom || "a file"}` : `uncertainty ${item.uncertainty.toFixed(3)}`;
    const stale = item.stale ? " · stale: made from an older context" : "";
    $("review-item").textContent = `${this.reviewIndex + 1} of ${this.reviewQueue.shown}: ${item.image} — ${kind}${stale}`;
    $("review-item").classList.toggle("stale", item.stale);
    document.body.dataset.reviewImage = item.image;
    document.body.dataset.reviewStale = String(item.stale);
    this.status(`${item.image}: Y accepts as is, R refines, X rejects, N next`, "ok");
  }

  /** Whether the open image is the proposal under review (so predictions start from it). */
  get refiningProposal() {
    return Boolean(this.reviewItem && this.reviewItem.image === this.imageId);
  }

  /**
   * The proposal shown, or null with a word when the open image is not one (opened from the image
   * list): a key must never act on a proposal the user is not looking at.
   */
  shownProposal() {
    if (this.refiningProposal) return this.reviewItem;
    this.status("this image is not the proposal under review: press N to return to the review queue", "warn");
    return null;
  }

  /** Y: the proposal becomes the accepted mask as it is (0 interactions). */
  async reviewAccept() {
    const item = this.shownProposal();
    if (!item || this.accepting) return;
    const annotator = await this.ensureAnnotator();
    if (!annotator) {
      this.status("accept cancelled: an annotator name is needed", "warn");
      return;
    }
    this.accepting = true;
    let answer = null;
    try {
      answer = await sendJSON(paths.proposal(this.projectId, this.label, item.image, "accept"),
        { annotator, tag: item.tag });
      this.status(`accepted the proposal of ${item.image} as it is (version ${answer.version}, context ${answer.contextSize})`, "ok");
      $("sb-context").textContent = `context ${answer.contextSize}`;
    } catch (error) {
      this.status(`not accepted: ${describe(error)}`, "warn");
    } finally {
      this.accepting = false;
    }
    // Settled here: the queue moves on without asking the server for it again.
    if (!answer) return this.reviewReload(this.reviewIndex);
    this.appliedRevision = answer.contextRevision;
    this.noteAccepted(item.image, { version: answer.version, interactions: 0, annotator });
    this.refreshContext();
    await this.reviewSettled(item, "accepted", answer.contextRevision);
  }

  /**
   * Takes a proposal the user settled (`how`: "accepted" or "rejected") out of the loaded queue,
   * counts it, marks the others stale when an accept changed the context, and opens the next.
   */
  async reviewSettled(item, how, contextRevision = null) {
    const queue = this.reviewQueue;
    const position = queue.items.indexOf(item);
    if (position < 0) return this.reviewReload(this.reviewIndex);
    const settled = settle(queue, position, how, contextRevision);
    this.reviewQueue = settled;
    this.reviewShowProgress(settled);
    await this.reviewOpen(Math.min(settled.offset + position, settled.shown - 1));
  }

  /** X: the proposal is removed, and propagate will not propose it again from this context. */
  async reviewReject() {
    const item = this.shownProposal();
    if (!item) return;
    try {
      await sendJSON(paths.proposal(this.projectId, this.label, item.image, "reject"),
        { annotator: this.saveAnnotator($("annotator").value), tag: item.tag });
      this.status(`rejected the proposal of ${item.image}`, "ok");
    } catch (error) {
      this.status(`not rejected: ${describe(error)}`, "warn");
      return this.reviewReload(this.reviewIndex);
    }
    await this.reviewSettled(item, "rejected");
  }

  /** R: refine with the usual tools, starting from the proposal. */
  reviewRefine() {
    if (!this.shownProposal()) return;
    this.reviewRefining = true;
    if (this.tool !== "click" && this.tool !== "box") this.selectTool("click");
    this.status(`refining ${this.reviewItem.image}: click, drag a box or scribble (the proposal is the starting point); Enter accepts`, "ok");
  }

  /** Enter: the refined mask when the user interacted, the proposal as it is otherwise. */
  reviewEnter() {
    if (!this.refiningProposal || (this.annotation && this.annotation.interactionCount > 0)) return this.accept();
    return this.reviewAccept();
  }

  /** N: the next proposal; from an image opened outside the queue, back to the current one. */
  async reviewNext() {
    const count = this.reviewQueue?.shown || 0;
    if (count) await this.reviewOpen(this.refiningProposal ? (this.reviewIndex + 1) % count : this.reviewIndex);
  }

  async reviewPrevious() {
    const count = this.reviewQueue?.shown || 0;
    if (count) await this.reviewOpen((this.reviewIndex - 1 + count) % count);
  }

  /** Asks the server to predict the stale proposals again, at low priority. */
  async reviewRefreshHere() {
    try {
      const { stale, queued } = await sendJSON(paths.refreshProposals(this.projectId, this.label), {});
      $("review-refresh-here").disabled = queued > 0;
      $("review-refreshing").textContent = queued ? `refreshing ${queued} of ${stale} stale proposal(s)…` : "nothing stale to refresh";
    } catch (error) {
      this.status(`cannot refresh: ${describe(error)}`, "warn");
    }
  }

  /** A `refresh` event: progress, and the queue reloaded once the last one is made. */
  async reviewRefreshProgress({ done, total }) {
    if (!this.review) return;
    $("review-refreshing").textContent = done < total ? `refreshing stale proposals: ${done} of ${total}…` : `refreshed ${total} proposal(s)`;
    if (done < total) return;
    const untouched = !this.annotation || this.annotation.interactionCount === 0;
    if (untouched) await this.reviewReload(this.reviewIndex);
    else await this.reviewLoad(this.reviewIndex);
  }

  async reviewCopyCommand() {
    const command = $("review-command").textContent;
    try {
      await navigator.clipboard.writeText(command);
      this.status("copied: run it where the projects folder is (add --projects DIR if it is not the default)", "ok");
    } catch {
      const range = document.createRange();
      range.selectNodeContents($("review-command"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      this.status("select and copy the command (Ctrl+C)", "warn");
    }
  }
}
