// The end-to-end suite (web/e2e/*.e2e.ts): headless Chromium drives the built
// page (web/dist) on a static host and as `schedstat web` serves it, and
// compares what it shows with the CLI. Run by scripts/web-e2e.sh.
//
// Separate from vitest.config.ts (the Node unit tests) because these tests
// need the built page, the CLI binary and a browser, and run for minutes:
// long timeouts, one file at a time, one worker (the machine's few cores go
// to Chromium and DuckDB-WASM, and the timings stay honest).

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    maxWorkers: 1,
    pool: "forks",
    // One browser page is shared by the tests of a trace, in order.
    sequence: { concurrent: false, shuffle: false },
  },
});
