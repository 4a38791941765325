// A tiny static file server for the e2e tests and the size/speed bench.
//
// Why its own: the page must work from ANY folder of ANY static host (the
// issue's "Done when"), so the tests serve web/dist under a sub-path such as
// http://127.0.0.1:PORT/some/dir/ with nothing but plain static files and
// ordinary MIME types — in particular `application/wasm`, without which
// browsers refuse WebAssembly.compileStreaming. Nothing is served outside the
// sub-path: a request there (an absolute URL in the build) is recorded in
// `outside` and 404s, so a test can fail on it. Node's http only, no packages.

import http from "node:http";
import { createReadStream, statSync } from "node:fs";
import { extname, join, resolve, sep } from "node:path";

/** Content types as a typical static host (nginx's mime.types) sends them. */
export const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
};

/**
 * Serves the files of `dir` under `prefix` (e.g. "/some/dir/") on 127.0.0.1,
 * on a free port.
 * @param {string} dir the folder to serve (web/dist)
 * @param {string} [prefix] the URL sub-path, starting and ending with "/"
 * @returns {Promise<{ url: string, outside: string[], missing: string[], requests: string[], close: () => Promise<void> }>}
 *   url: the page's URL (the sub-path, ending in "/"); outside: paths asked
 *   for outside the sub-path; missing: paths under it that do not exist.
 */
export async function serveStatic(dir, prefix = "/some/dir/") {
  const root = resolve(dir);
  const outside = [];
  const missing = [];
  const requests = [];
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(path);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
      return;
    }
    if (!path.startsWith(prefix)) {
      // Browsers ask for /favicon.ico on their own; anything else is the page's fault.
      if (path !== "/favicon.ico") outside.push(path);
      res.writeHead(404).end();
      return;
    }
    let rel = path.slice(prefix.length);
    if (rel === "" || rel.endsWith("/")) rel += "index.html";
    const file = resolve(join(root, rel));
    let st;
    try {
      st = statSync(file);
    } catch {
      st = null;
    }
    if (!(file === root || file.startsWith(root + sep)) || !st || !st.isFile()) {
      missing.push(path);
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      "content-type": MIME[extname(file)] ?? "application/octet-stream",
      "content-length": st.size,
      "cache-control": "no-cache",
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(undefined)));
  const addr = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${addr.port}${prefix}`,
    outside,
    missing,
    requests,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections?.();
        server.close(() => ok(undefined));
      }),
  };
}
