// Prediction requests and the server-sent event stream that answers them. Requests carry a
// sequence number that only grows during a page session (across images), so "newest wins" is a
// plain comparison both on the server and here.

import { paths, sendJSON } from "../api.js";

/**
 * One labeling session's link to the server for a label.
 * Example:
 * ```js
 * const channel = new PredictionChannel("demo", "head", { onPrediction: (event, roundTripMs) => ... });
 * channel.connect();
 * await channel.request("000_HC", { clicks: [], boxes: [], scribbles: [], usePrevious: false });
 * ```
 */
export class PredictionChannel {
  constructor(project, label, handlers) {
    this.project = project;
    this.label = label;
    this.handlers = handlers;
    this.session = crypto.randomUUID ? crypto.randomUUID() : `s${Date.now()}${Math.random().toString(16).slice(2)}`;
    this.seq = 0;
    this.sentAt = new Map(); // seq -> performance.now() when sent
    this.source = null;
    // The server only takes requests of a session whose event stream is open (409 otherwise).
    this.opened = new Promise((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    this.opened.catch(() => {}); // a refused stream is reported by request(), not as an unhandled rejection
  }

  connect() {
    this.source?.close();
    const source = new EventSource(paths.events(this.project, this.label, this.session));
    this.source = source;
    const parse = (handler) => (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        this.handlers.onStatus?.("bad event from server", "warn");
        return;
      }
      handler(data);
    };
    source.addEventListener("open", () => {
      this.handlers.onStatus?.(this.connectedOnce ? "reconnected" : "connected", "ok");
      // After a reconnect the server has forgotten this session's pending request: say so.
      if (this.connectedOnce) this.handlers.onReconnect?.();
      this.connectedOnce = true;
      this.resolveOpened();
    });
    source.addEventListener("error", () => {
      // EventSource reconnects by itself; say so instead of failing silently. A stream refused
      // outright (e.g. 503 without a model) stays closed: fail the requests waiting for it.
      const closed = source.readyState === EventSource.CLOSED;
      this.handlers.onStatus?.(closed ? "disconnected" : "reconnecting…", "warn");
      if (closed && !this.connectedOnce) this.rejectOpened(new Error("the server refused the prediction event stream"));
    });
    source.addEventListener("prediction", parse((data) => {
      const sent = this.sentAt.get(data.seq);
      this.sentAt.delete(data.seq);
      this.handlers.onPrediction?.(data, sent === undefined ? null : performance.now() - sent);
    }));
    source.addEventListener("superseded", parse((data) => {
      this.sentAt.delete(data.seq);
      this.handlers.onSuperseded?.(data);
    }));
    source.addEventListener("failed", parse((data) => this.handlers.onError?.(data)));
    source.addEventListener("context", parse((data) => this.handlers.onContext?.(data)));
    source.addEventListener("refresh", parse((data) => this.handlers.onRefresh?.(data)));
  }

  /** Ask for a prediction of `image`; returns the request's seq. The answer comes as an event. */
  async request(image, body) {
    const seq = ++this.seq;
    await this.opened;
    this.sentAt.set(seq, performance.now());
    await sendJSON(paths.predict(this.project, this.label, image), { session: this.session, seq, ...body });
    return seq;
  }

  close() {
    this.source?.close();
  }
}
