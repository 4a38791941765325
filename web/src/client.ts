// The page's handle on its Web Worker (src/worker.ts): loading a trace,
// running SQL and building the report, each as a promise.

import { PAGE_REPORT_OPTIONS } from "./options";
import type { Loaded, Progress, QueryResult, QuickSummary, Reply, Request, ToolboxReply } from "./protocol";
import type { RequestPicture, StateGraph, WithWarning } from "./toolbox";
import type { Diagnosis } from "./doctor";
import type { Report } from "./report";

/** A request before it gets its id (one of the union's shapes). */
type Call = Request extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

type Pending = {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  progress?: (p: Progress) => void;
  summary?: (s: QuickSummary) => void;
};

/** One trace at a time, parsed and queried off the main thread. */
export class TraceSession {
  private worker: Worker;
  private next = 1;
  private pending = new Map<number, Pending>();

  constructor() {
    this.worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (ev: MessageEvent<Reply>) => this.onReply(ev.data);
    this.worker.onerror = (ev) => {
      const err = new Error(ev.message || "the page's worker failed to start");
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  private onReply(r: Reply): void {
    if (r.kind === "port") {
      r.port.onmessage = (ev: MessageEvent<Reply>) => this.onReply(ev.data);
      return;
    }
    const p = this.pending.get(r.id);
    if (!p) return;
    if (r.kind === "progress") {
      p.progress?.(r.progress);
      return;
    }
    if (r.kind === "summary") {
      p.summary?.(r.summary);
      return;
    }
    this.pending.delete(r.id);
    if (r.kind === "ok") p.resolve(r.value);
    else p.reject(new Error(r.message));
  }

  private call<T>(req: Call, progress?: (p: Progress) => void, summary?: (s: QuickSummary) => void): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, progress, summary });
      this.worker.postMessage({ ...req, id } as Request);
    });
  }

  /** Reads, parses and loads a dropped file or a URL (the trace `schedstat web`
   * serves). `summary` is called once the quick first pass is done, while the
   * tables are still loading. */
  load(source: File | { url: string; name: string }, progress?: (p: Progress) => void, summary?: (s: QuickSummary) => void): Promise<Loaded> {
    const src = source instanceof File ? { file: source } : source;
    return this.call<Loaded>({ kind: "load", source: src }, progress, summary);
  }

  /** Runs SQL over the trace's tables (the CLI's schema); at most `maxRows` rows come back. */
  query(sql: string, maxRows = 10_000): Promise<QueryResult> {
    return this.call<QueryResult>({ kind: "query", sql, maxRows });
  }

  /** `schedstat doctor --json` (without the file path), computed by the CLI's Rust code; `thresholds` overrides defaults by id. */
  async doctor(thresholds: Record<string, number> = {}): Promise<Diagnosis> {
    const text = await this.call<string>({ kind: "doctor", thresholds: JSON.stringify(thresholds) });
    return JSON.parse(text) as Diagnosis;
  }

  /** The CLI's report (`schedstat --json` with the page's options), built by the same Rust code. */
  async report(options: object = PAGE_REPORT_OPTIONS): Promise<Report> {
    const text = await this.call<string>({ kind: "report", options: JSON.stringify(options) });
    return JSON.parse(text) as Report;
  }

  /** `schedstat states --json` for the loaded trace, from the toolbox module
   * (fetched on the first call). */
  async states(): Promise<WithWarning<StateGraph>> {
    const r = await this.call<ToolboxReply>({ kind: "toolbox", what: "states" });
    return { value: JSON.parse(r.json) as StateGraph, warning: r.warning };
  }

  /** The requests `schedstat requests` infers, as the bands etviz draws, from
   * the toolbox module (fetched on the first call). */
  async requestBands(): Promise<WithWarning<RequestPicture>> {
    const r = await this.call<ToolboxReply>({ kind: "toolbox", what: "request-bands" });
    return { value: JSON.parse(r.json) as RequestPicture, warning: r.warning };
  }
}
