// The page's parsing worker: the wasm reader, reading one trace into rows
// for the query worker (src/worker.ts), which starts one per load and closes
// it after. The protocol is in src/parse.ts.

import { serveParse, type Port } from "./parse";
import initReader from "./wasm/schedstat_wasm.js";
import readerWasmUrl from "./wasm/schedstat_wasm_bg.wasm?url";

serveParse(self as unknown as Port, initReader({ module_or_path: readerWasmUrl }));
