//! The `schedstat` binary's build script: the DuckDB rpath set-up shared with
//! schedstat-db, and the table of the web page's files that `schedstat web`
//! serves from inside the binary (so the binary alone is enough, with no
//! files to install or find at run time).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// schedstat-db's build script, verbatim: one copy of the rpath logic for both.
mod duckdb_rpath {
    include!("../db/build.rs");

    /// Runs it (its `main` is private to this module).
    pub fn run() {
        main()
    }
}

fn main() {
    duckdb_rpath::run();
    web_assets();
}

/// Writes `$OUT_DIR/web_assets.rs`: a Rust array expression with one
/// `Asset { path, content_type, etag, body: include_bytes!(..) }` per file of
/// `web/dist` (the Vite build), sorted by path so the server can binary-search
/// it. Without `web/dist/index.html` the array is empty (the build must not
/// depend on Node), and `schedstat web` says how to build the page.
fn web_assets() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let web = root.canonicalize().unwrap_or(root).join("web");
    let dist = web.join("dist");
    let mut files = Vec::new();
    if dist.join("index.html").is_file() {
        // A directory is scanned whole by Cargo: any file added, removed or rebuilt counts.
        println!("cargo:rerun-if-changed={}", dist.display());
        println!("cargo:rerun-if-changed={}", dist.join("index.html").display());
        collect(&dist, "", &mut files);
        files.sort();
    } else {
        // A missing path would make Cargo rerun (and rebuild the CLI) every
        // time; watching web/ instead notices the page being built.
        let watch = if web.is_dir() { &web } else { &dist };
        println!("cargo:rerun-if-changed={}", watch.display());
        println!(
            "cargo:warning=web/dist/index.html not found: `schedstat web` will not work; \
             run scripts/web-build.sh, then rebuild"
        );
    }
    let mut out = String::from("&[\n");
    for (url, file) in &files {
        let file = file.canonicalize().unwrap_or_else(|_| file.clone());
        let Some(file) = file.to_str() else {
            println!("cargo:warning=skipping web asset with a non-UTF-8 path: {}", file.display());
            continue;
        };
        let etag = match std::fs::read(file) {
            Ok(bytes) => format!("\"{:x}-{:016x}\"", bytes.len(), fnv1a(&bytes)),
            Err(e) => panic!("reading {file}: {e}"),
        };
        let _ = writeln!(
            out,
            "    Asset {{ path: {url:?}, content_type: {:?}, etag: {etag:?}, body: include_bytes!({file:?}) }},",
            content_type(url)
        );
    }
    out.push_str("]\n");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("web_assets.rs"), out).expect("writing OUT_DIR/web_assets.rs");
}

/// FNV-1a (64-bit) of a file's bytes, for its ETag: a browser that already
/// has this exact file gets a 304 instead of it again (DuckDB's wasm is tens
/// of MB). Stable across Rust versions, unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Adds every regular file under `dir` to `files` as (URL path, file path);
/// `prefix` is the URL path of `dir` ("" for the root).
fn collect(dir: &Path, prefix: &str, files: &mut Vec<(String, PathBuf)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => panic!("reading {}: {e}", dir.display()),
    };
    for entry in entries {
        let path = match entry {
            Ok(e) => e.path(),
            Err(e) => panic!("reading {}: {e}", dir.display()),
        };
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            println!("cargo:warning=skipping web asset with a non-UTF-8 name: {}", path.display());
            continue;
        };
        let url = format!("{prefix}/{name}");
        // Metadata follows symlinks: a linked file is served like any other.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => collect(&path, &url, files),
            Ok(m) if m.is_file() => files.push((url, path)),
            _ => {}
        }
    }
}

/// The Content-Type for a URL path, by extension. Browsers depend on these:
/// `WebAssembly.instantiateStreaming` rejects anything but exactly
/// `application/wasm`, and module scripts must have a JavaScript type.
fn content_type(url: &str) -> &'static str {
    let ext = url.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        "sql" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
