// Builds the page into web/dist: a static site (relative URLs, so it works
// from any folder of any static host) that `schedstat web` also embeds.

import { fileURLToPath } from "node:url";

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  base: "./",
  plugins: [react()],
  resolve: {
    alias: {
      // DuckDB-WASM's synchronous browser build, which its package exports
      // map does not list: the worker runs the report's Rust code against it.
      "duckdb-browser-blocking": here("./node_modules/@duckdb/duckdb-wasm/dist/duckdb-browser-blocking.mjs"),
    },
  },
  worker: { format: "es" },
  build: { target: "es2022", chunkSizeWarningLimit: 4096, sourcemap: false },
  server: { fs: { allow: [".."] } },
});
