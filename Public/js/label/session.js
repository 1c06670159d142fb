// The labeling page's side of the prediction stream: asking for predictions (newest wins, retried
// while the server is away), showing them as they arrive, the pending state, and the cold start
// (no context set, no interaction: nothing honest to show).
// Methods of the page: main.js installs them on LabelPage, so `this` is the page.

import { APIError, describe } from "../api.js";
import { decodeMask } from "../png.js";
import { $ } from "../page.js";

export class PredictionSession {
  /** Whether a prediction without interactions means anything: only with a context to go on. */
  get coldStart() {
    return this.contextSize === 0 && this.annotation != null && this.annotation.promptCount === 0;
  }

  /**
   * With an empty context set and no interaction the network has nothing to condition on: its
   * output would be noise presented as a prediction. Show no mask and say how to start instead.
   */
  showColdStart() {
    this.firstSeq = this.channel.seq + 1; // answers to earlier requests must not show up later
    this.lastSeq = this.channel.seq;
    document.body.dataset.firstSeq = String(this.firstSeq);
    this.annotation.setPrediction(null);
    this.refreshMask();
    this.setPending(false);
    this.notifySettled();
    this.setHint("The context set is empty, so there is nothing to predict from yet. Click on the object, " +
      "drag a box or scribble to start; every mask you accept makes the next prediction better.");
  }

  setHint(text) {
    const hint = $("hint");
    hint.hidden = !text;
    hint.textContent = text || "";
    document.body.dataset.coldStart = String(Boolean(text));
  }


  predict(usePrevious) {
    if (!this.annotation || !this.imageId) return;
    if (this.coldStart) {
      this.showColdStart();
      return;
    }
    this.setHint(null);
    // Refining a proposal under review: the server starts from the proposal, not the last prediction.
    const fromProposal = this.refiningProposal && this.annotation.promptCount > 0;
    this.send(this.imageId, { ...this.annotation.prompts(), usePrevious, ...(fromProposal ? { fromProposal } : {}) }, 0);
  }

  /**
   * Sends a prediction request; one that fails for want of the server (unreachable, restarting,
   * its event stream not yet back) is sent again with backoff while it is still the newest.
   */
  send(imageId, body, attempt) {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const request = this.channel.request(imageId, body);
    const seq = this.channel.seq;
    this.lastSeq = seq;
    this.setPending(true);
    request.then(() => {
      if (!this.retrying) return;
      this.retrying = false;
      this.status("reconnected: predicting your last interaction", "ok");
    }, (error) => {
      if (seq !== this.lastSeq || imageId !== this.imageId) return; // a newer request took over
      const transient = !(error instanceof APIError) || error.status === 409 || error.status === 502 || error.status === 504;
      if (!transient) {
        this.status(`prediction request failed: ${describe(error)}`, "warn");
        this.failedSeq = seq;
        this.setPending(false);
        this.notifySettled();
        if (error instanceof APIError && error.status === 503) this.checkModel();
        return;
      }
      const delay = Math.min(8000, 500 * 2 ** attempt);
      this.retrying = true;
      this.status(`cannot reach the server (${describe(error)}); trying again in ${(delay / 1000).toFixed(1)} s…`, "warn");
      this.retryTimer = setTimeout(() => {
        if (seq === this.lastSeq && imageId === this.imageId) this.send(imageId, body, attempt + 1);
      }, delay);
    });
  }

  /** True while the newest prediction asked for on this image has not arrived. */
  get awaitingPrediction() {
    return this.lastSeq >= this.firstSeq && this.shownSeq < this.lastSeq && this.failedSeq < this.lastSeq;
  }

  notifySettled() {
    for (const waiter of [...this.settleWaiters]) waiter();
  }

  /**
   * Waits until the newest prediction for `annotation` has arrived: "ready", or "failed",
   * "moved" (another image opened) or "cancelled" (Escape).
   */
  untilPredicted(annotation) {
    return new Promise((resolve) => {
      const check = (outcome) => {
        let result = outcome;
        if (!result && annotation !== this.annotation) result = "moved";
        if (!result && this.failedSeq >= this.lastSeq && this.lastSeq >= this.firstSeq) result = "failed";
        if (!result && !this.awaitingPrediction) result = "ready";
        if (!result) return;
        this.settleWaiters.delete(check);
        this.cancelWaiting = null;
        resolve(result);
      };
      this.settleWaiters.add(check);
      this.cancelWaiting = () => check("cancelled");
      check();
    });
  }

  async onPrediction(data, roundTrip) {
    if (data.image !== this.imageId || !this.annotation) return;
    if (data.seq < this.firstSeq || data.seq <= this.shownSeq) return; // stale: newest wins
    const annotation = this.annotation;
    let mask;
    try {
      mask = await decodeMask(data.maskPNG, annotation.width, annotation.height);
    } catch (error) {
      this.status(`bad prediction from server: ${describe(error)}`, "warn");
      return;
    }
    // A newer one may have been shown while this one decoded.
    if (annotation !== this.annotation || data.seq <= this.shownSeq) return;
    this.shownSeq = data.seq;
    document.body.dataset.shownSeq = String(data.seq);
    annotation.setPrediction(mask);
    this.refreshMask();
    this.updatePending();
    this.notifySettled();
    if (annotation.promptCount > 0 && !mask.some((v) => v)) {
      // Honest about an empty answer rather than leaving the user to wonder whether it worked.
      this.status("The network found nothing for these interactions: add a positive click inside the object, or paint it with the brush (P).", "warn");
    }
    const server = Number.isFinite(data.latencyMs) ? `${Math.round(data.latencyMs)} ms` : "?";
    // A precomputed prediction (computed while the user worked on the previous image) is shown
    // after the round trip only; its compute time is still the figure worth knowing.
    const trip = roundTrip == null ? "" : data.cached
      ? ` (precomputed, shown after ${Math.round(roundTrip)} ms)` : ` (${Math.round(roundTrip)} ms round trip)`;
    $("sb-latency").textContent = `prediction ${server}${trip}`;
    if (data.contextSize != null) $("sb-context").textContent = `context ${data.contextSize}`;
    // Exposed for the browser test and the latency probe (Tests/BrowserTests).
    document.body.dataset.latencyMs = String(data.latencyMs);
    document.body.dataset.roundTripMs = roundTrip == null ? "" : String(Math.round(roundTrip));
    document.body.dataset.cached = String(Boolean(data.cached));
    document.body.dataset.predictionContext = String(data.contextSize ?? "");
    if (data.uncertainty != null) $("sb-latency").title = `server compute time (round trip in brackets); uncertainty ${Number(data.uncertainty).toFixed(3)}`;
  }

  onPredictionError(data) {
    if (data.image !== this.imageId) return;
    this.status(`prediction failed: ${data.error}`, "warn");
    if (data.seq >= this.lastSeq) {
      this.failedSeq = data.seq;
      this.setPending(false);
      this.notifySettled();
    }
  }

  updatePending() {
    this.setPending(this.shownSeq < this.lastSeq && this.lastSeq >= this.firstSeq);
  }

  setPending(pending) {
    $("pending").hidden = !pending;
    document.body.dataset.pending = String(pending);
  }
}
