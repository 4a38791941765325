// The page's Web Worker: it owns DuckDB-WASM (its synchronous build, so the
// report's Rust code in the wasm module can query it directly), so the page
// stays responsive while a trace is read, parsed, loaded and queried. The
// reading and parsing run in a second worker per load (src/parse.ts).
//
// Protocol: src/protocol.ts. One request at a time is served in order.

import * as duckdb from "duckdb-browser-blocking";
import duckdbWasmUrl from "@duckdb/duckdb-wasm/dist/duckdb-eh.wasm?url";

import { toJsonText, toResult, type ArrowTable } from "./arrow";
import { loadTrace } from "./load";
import type { Loaded, Progress, Reply, Request, ToolboxReply, ToolboxWhat } from "./protocol";
import { RemoteParse } from "./parse";
import initReader, {
  DoctorEvidence,
  doctor as diagnose,
  report as buildReport,
} from "./wasm/schedstat_wasm.js";
import readerWasmUrl from "./wasm/schedstat_wasm_bg.wasm?url";

type Conn = ReturnType<duckdb.DuckDBBindings["connect"]>;

const post = (r: Reply) => (self as unknown as Worker).postMessage(r);

/** Both modules start loading at once, before any file is chosen: the
 * reader's (small; the report and the doctor run in it here, the parsing
 * worker has its own) and DuckDB-WASM's (large), which is awaited only for
 * the tables, after the first summary. */
const readerReady = initReader({ module_or_path: readerWasmUrl });
const duckdbReady: Promise<duckdb.DuckDBBindings> = (async () => {
  const features = await duckdb.getPlatformFeatures();
  if (!features.wasmExceptions) {
    throw new Error("this browser lacks WebAssembly exception handling, which DuckDB-WASM needs (Chrome 95+, Firefox 100+, Safari 15.2+)");
  }
  const bundle = { mainModule: duckdbWasmUrl, mainWorker: "" };
  const d = await duckdb.createDuckDB({ mvp: bundle, eh: bundle }, new duckdb.VoidLogger(), duckdb.BROWSER_RUNTIME);
  return d.instantiate(() => {});
})();
// Not awaited until a trace needs it; keep a failure from being reported as unhandled.
duckdbReady.catch(() => {});

let conn: Conn | null = null;

/** Where the loaded trace came from: the toolbox views read it again from
 * there (the reader's copy of the bytes is consumed by the parse). */
let loadedSource: Extract<Request, { kind: "load" }>["source"] | null = null;
/** The toolbox's answers for the loaded trace, computed once each. */
let toolboxAnswers = new Map<ToolboxWhat, ToolboxReply>();

type ToolboxModule = typeof import("./wasm/schedstat_wasm_toolbox.js");
let toolboxModule: Promise<ToolboxModule> | null = null;

/** The toolbox module (crates/wasm-toolbox), fetched and compiled the first
 * time a toolbox view asks: most visits never open one, and the reader the
 * page needs first stays small. */
function loadToolbox(): Promise<ToolboxModule> {
  toolboxModule ??= (async () => {
    const [mod, wasm] = await Promise.all([
      import("./wasm/schedstat_wasm_toolbox.js"),
      import("./wasm/schedstat_wasm_toolbox_bg.wasm?url"),
    ]);
    await mod.default({ module_or_path: wasm.default });
    return mod;
  })();
  // A failed fetch may be retried by the next request.
  toolboxModule.catch(() => (toolboxModule = null));
  return toolboxModule;
}

/** The loaded trace's bytes, read again from its file or URL. */
async function traceBytes(): Promise<Uint8Array> {
  const source = loadedSource;
  if (!source) throw new Error("no trace is loaded");
  if ("file" in source) return new Uint8Array(await source.file.arrayBuffer());
  const res = await fetch(source.url);
  if (!res.ok) throw new Error(`could not fetch the trace ${source.url}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

async function toolbox(what: ToolboxWhat): Promise<ToolboxReply> {
  const known = toolboxAnswers.get(what);
  if (known) return known;
  const answers = toolboxAnswers;
  const [mod, bytes] = await Promise.all([loadToolbox(), traceBytes()]);
  const out = what === "states" ? mod.states(bytes) : mod.request_bands(bytes);
  const reply = { json: out.json, warning: out.warning ?? null };
  out.free();
  answers.set(what, reply);
  return reply;
}

/** A parsing worker (src/parse-worker.ts). */
function parsingWorker(): Worker {
  return new Worker(new URL("./parse-worker.ts", import.meta.url), { type: "module" });
}

/** The next load's parsing worker, started ahead, so that its reader
 * module is compiled by the time a file is chosen rather than after. (In
 * the bench, which chooses the file right after the page loads, no
 * difference showed beside the machine's noise.) */
let spare = parsingWorker();

/** Reads, parses and loads a trace. The wasm reader runs in a worker of
 * its own (src/parse.ts), which is closed when the load ends: this one
 * appends each chunk of rows while the next is parsed. */
async function load(id: number, source: Extract<Request, { kind: "load" }>["source"]): Promise<Loaded> {
  const t0 = performance.now();
  const progress = (p: Progress) => post({ id, kind: "progress", progress: p });
  loadedSource = source;
  toolboxAnswers = new Map();
  const name = "file" in source ? source.file.name : source.name;
  const parsing = spare;
  // The page hears the reading's progress and the summary on a port of its own.
  const { port1, port2 } = new MessageChannel();
  const port: Reply = { id, kind: "port", port: port1 };
  (self as unknown as Worker).postMessage(port, [port1]);
  const remote = new RemoteParse(parsing, source, 250_000, { port: port2, id, name });
  parsing.onerror = (ev) => {
    ev.preventDefault();
    remote.receive({ kind: "error", message: ev.message || "the page's parsing worker failed to start" });
  };
  try {
    const first = await remote.summary();
    // A fresh connection per trace (the report's temporary tables go with the
    // old one); loadTrace gives the trace a fresh database. The reader's
    // module (for the report and the doctor) must be up for the evidence.
    conn?.close();
    conn = null;
    const [bindings] = await Promise.all([duckdbReady, readerReady]);
    conn = bindings.connect();
    evidence?.free();
    evidence = null;
    const c = conn;
    const res = await loadTrace(
      { query: (sql) => c.query(sql), insertArrowFromIPCStream: (b, o) => c.insertArrowFromIPCStream(b, o) },
      remote,
      { onProgress: (f) => progress({ phase: "parsing", fraction: f }) },
    );
    evidence = res.doctorEvidence;
    return {
      name,
      bytes: first.bytes,
      events: Number(res.events),
      firstTimeNs: res.firstTimeNs,
      lastTimeNs: res.lastTimeNs,
      warning: res.warning,
      duckdbVersion: res.duckdbVersion,
      timings: { readMs: first.readMs, parseLoadMs: performance.now() - t0 - first.readMs },
    };
  } finally {
    parsing.terminate();
    spare = parsingWorker();
  }
}

function needConn(): Conn {
  if (!conn) throw new Error("no trace is loaded");
  return conn;
}

function report(options: string): string {
  const c = needConn();
  return buildReport(
    options,
    (sql: string) => {
      c.query(sql);
    },
    (sql: string) => toJsonText(c.query(sql) as unknown as ArrowTable),
  );
}

/** The doctor's evidence of the loaded trace (from the parsing pass). */
let evidence: DoctorEvidence | null = null;

/** `schedstat doctor --json` (less the path): the CLI's checks, through the wasm reader. */
function doctor(thresholds: string): string {
  const c = needConn();
  if (evidence === null) throw new Error("no trace is loaded");
  return diagnose(
    evidence,
    thresholds,
    (sql: string) => {
      c.query(sql);
    },
    (sql: string) => toJsonText(c.query(sql) as unknown as ArrowTable),
  );
}

function message(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // DuckDB's messages can span lines; the first says what went wrong.
  return m.split("\n")[0];
}

let queue: Promise<void> = Promise.resolve();

self.onmessage = (ev: MessageEvent<Request>) => {
  const req = ev.data;
  queue = queue.then(async () => {
    try {
      let value: unknown;
      switch (req.kind) {
        case "load":
          value = await load(req.id, req.source);
          break;
        case "query":
          value = toResult(needConn().query(req.sql) as unknown as ArrowTable, req.maxRows ?? 10_000);
          break;
        case "report":
          value = report(req.options);
          break;
        case "doctor":
          value = doctor(req.thresholds);
          break;
        case "toolbox":
          value = await toolbox(req.what);
          break;
      }
      post({ id: req.id, kind: "ok", value });
    } catch (e) {
      post({ id: req.id, kind: "error", message: message(e) });
    }
  });
};
