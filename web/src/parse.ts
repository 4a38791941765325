// Parsing in a worker of its own. The wasm reader (parse, build the rows,
// derive the delays, gather the doctor's evidence) and DuckDB-WASM's appends
// each take about half of a load; in one worker they take turns. Here the
// reader runs in a second worker (src/parse-worker.ts) and hands over each
// chunk of rows as soon as it is built, so the query worker (src/worker.ts)
// appends one chunk while the next is parsed. When the load is done the
// parsing worker is closed, and the memory its copy of the file took goes
// with it.
//
// Both halves talk through a port (a Worker, or a MessagePort in the tests):
//
//   query worker                     parsing worker
//   { kind: "parse", source, step } →
//                                   ← { kind: "progress" }   while the file is read
//                                   ← { kind: "summary" }    the quick summary
//                                                             (both also, or only, to the page's port: below)
//                                   ← { kind: "chunk" } ...  at most AHEAD not yet taken
//   { kind: "taken" }              →                          one per chunk handed to loading
//                                   ← { kind: "end" }        the last tables, the facts, the evidence
//                                   ← { kind: "error" }      instead, at any point

import type { ChunkSource, WasmFinish, WasmTable } from "./load";
import type { Progress, QuickSummary, Reply } from "./protocol";
import { DoctorEvidence, TraceBuffer, TraceParser } from "./wasm/schedstat_wasm.js";

/** Where the trace comes from: a chosen file, a URL, or bytes already in hand (tests). */
export type ParseSource = { file: File } | { url: string; name: string } | { bytes: Uint8Array };

/** Where the page hears a load's progress and summary straight from the
 * parsing worker: the query worker may be busy (starting DuckDB-WASM took
 * the summary 0.7 s longer to pass through it). */
export interface PagePort {
  port: MessagePort;
  /** The page's load request. */
  id: number;
  /** The trace's name, for the summary. */
  name: string;
}

/** Query worker → parsing worker. */
export type ToParser = { kind: "parse"; source: ParseSource; step: number; page?: PagePort } | { kind: "taken" };

/** What the quick pass says, with the file's size and how long reading it took. */
export interface ParsedSummary {
  bytes: number;
  readMs: number;
  summary: Omit<QuickSummary, "name" | "bytes">;
}

/** [`WasmFinish`] as it crosses between workers: the evidence as JSON text. */
type SentFinish = Omit<WasmFinish, "doctor_evidence"> & { doctor_evidence_json: string };

/** Parsing worker → query worker. */
export type FromParser =
  | { kind: "progress"; progress: Progress }
  | ({ kind: "summary" } & ParsedSummary)
  | { kind: "chunk"; tables: WasmTable[]; fraction: number }
  | { kind: "end"; end: SentFinish }
  | { kind: "error"; message: string };

/** What both a Worker and a MessagePort offer. */
export interface Port {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent) => void) | null;
}

/** Chunks the parser may run ahead of the appends: enough that the query
 * worker never waits on a chunk that could have been parsed, few enough
 * that they cannot pile up in memory when appending is the slower half. */
const AHEAD = 2;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The typed arrays' buffers of some tables: moved to the other worker, not copied. */
function buffers(tables: WasmTable[]): Transferable[] {
  const out = new Set<ArrayBuffer>();
  for (const t of tables) {
    for (const c of t.columns) {
      for (const a of [c.data, c.offsets, c.validity]) if (a) out.add(a.buffer as ArrayBuffer);
    }
  }
  return [...out];
}

/** Reads a stream straight into wasm memory, reporting progress. */
async function readInto(stream: ReadableStream<Uint8Array>, size: number, progress: (p: Progress) => void): Promise<TraceBuffer> {
  const buf = new TraceBuffer(size);
  const reader = stream.getReader();
  let last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf.push(value);
    const n = buf.len();
    if (size > 0 && n - last > size / 50) {
      last = n;
      progress({ phase: "reading", fraction: Math.min(1, n / size) });
    }
  }
  return buf;
}

/** The reader over the source's bytes, and how many there are. */
async function open(source: ParseSource, progress: (p: Progress) => void): Promise<{ parser: TraceParser; bytes: number }> {
  if ("bytes" in source) return { parser: new TraceParser(source.bytes), bytes: source.bytes.length };
  let buf: TraceBuffer;
  if ("file" in source) {
    buf = await readInto(source.file.stream(), source.file.size, progress);
  } else {
    const res = await fetch(source.url);
    if (!res.ok || !res.body) throw new Error(`could not fetch the trace ${source.url}: HTTP ${res.status} ${res.statusText}`);
    buf = await readInto(res.body, Number(res.headers.get("content-length") ?? 0), progress);
  }
  const bytes = buf.len();
  return { parser: TraceParser.from_buffer(buf), bytes };
}

/**
 * The parsing worker's side: serves one `parse` request on `port` once
 * `ready` (the reader's wasm module) resolves.
 */
export function serveParse(port: Port, ready: Promise<unknown>): void {
  let ahead = 0;
  let wake: (() => void) | null = null;
  port.onmessage = (ev: MessageEvent<ToParser>) => {
    const m = ev.data;
    if (m.kind === "taken") {
      ahead--;
      wake?.();
      wake = null;
    } else {
      void parse(m.source, m.step, m.page);
    }
  };
  const post = (m: FromParser, transfer: Transferable[] = []) => port.postMessage(m, transfer);

  async function parse(source: ParseSource, step: number, page: PagePort | undefined): Promise<void> {
    let parser: TraceParser | null = null;
    const toPage = (r: Reply) => page?.port.postMessage(r);
    try {
      await ready;
      const t0 = performance.now();
      const opened = await open(source, (progress) => (page ? toPage({ id: page.id, kind: "progress", progress }) : post({ kind: "progress", progress })));
      parser = opened.parser;
      const readMs = performance.now() - t0;
      const summary = parser.summary() as ParsedSummary["summary"];
      if (page) toPage({ id: page.id, kind: "summary", summary: { name: page.name, bytes: opened.bytes, ...summary } });
      post({ kind: "summary", bytes: opened.bytes, readMs, summary });
      for (;;) {
        while (ahead >= AHEAD) await new Promise<void>((r) => (wake = r));
        const tables = parser.next_chunk(step) as WasmTable[] | undefined;
        if (tables === undefined) break;
        ahead++;
        post({ kind: "chunk", tables, fraction: parser.progress() }, buffers(tables));
      }
      const { doctor_evidence, ...end } = parser.finish() as WasmFinish;
      const doctor_evidence_json = doctor_evidence.to_json();
      doctor_evidence.free();
      post({ kind: "end", end: { ...end, doctor_evidence_json } }, buffers(end.tables));
    } catch (e) {
      post({ kind: "error", message: message(e) });
    } finally {
      parser?.free();
    }
  }
}

/**
 * The query worker's side: asks the parsing worker behind `port` to parse
 * `source`, and hands its chunks to `loadTrace` as they come.
 */
export class RemoteParse implements ChunkSource {
  private inbox: FromParser[] = [];
  private wake: (() => void) | null = null;
  private fraction = 0;
  private end: SentFinish | null = null;

  /** `page`, when given, hears the file's reading and the summary
   * straight from the parsing worker (the port is moved there). */
  constructor(
    private port: Port,
    source: ParseSource,
    step: number,
    page?: PagePort,
  ) {
    port.onmessage = (ev: MessageEvent<FromParser>) => this.receive(ev.data);
    const ask: ToParser = { kind: "parse", source, step, page };
    port.postMessage(ask, page ? [page.port] : []);
  }

  /** Takes a message; also how a failure of the worker itself is reported. */
  receive(m: FromParser): void {
    // The reading's progress is only for the page.
    if (m.kind === "progress") return;
    this.inbox.push(m);
    this.wake?.();
    this.wake = null;
  }

  private async take(): Promise<FromParser> {
    while (this.inbox.length === 0) await new Promise<void>((r) => (this.wake = r));
    const m = this.inbox.shift()!;
    if (m.kind === "error") {
      // Every later call fails the same way.
      this.inbox.unshift(m);
      throw new Error(m.message);
    }
    return m;
  }

  /** The quick summary; throws the reader's one-line message for a file that is no trace. */
  async summary(): Promise<ParsedSummary> {
    const m = await this.take();
    if (m.kind !== "summary") throw new Error(`internal error: the parsing worker sent ${m.kind} before the summary`);
    return { bytes: m.bytes, readMs: m.readMs, summary: m.summary };
  }

  async next(): Promise<WasmTable[] | undefined> {
    if (this.end) return undefined;
    const m = await this.take();
    switch (m.kind) {
      case "chunk": {
        this.fraction = m.fraction;
        const taken: ToParser = { kind: "taken" };
        this.port.postMessage(taken);
        return m.tables;
      }
      case "end":
        this.end = m.end;
        this.fraction = 1;
        return undefined;
      default:
        throw new Error(`internal error: the parsing worker sent ${m.kind} amid the chunks`);
    }
  }

  progress(): number {
    return this.fraction;
  }

  async finish(): Promise<WasmFinish> {
    if ((await this.next()) !== undefined || this.end === null) throw new Error("internal error: finish() before the last chunk");
    const { doctor_evidence_json, ...end } = this.end;
    return { ...end, doctor_evidence: DoctorEvidence.from_json(doctor_evidence_json) };
  }

  free(): void {}
}
