// Links binaries and tests with an rpath to the prebuilt libduckdb.so, so they
// run without LD_LIBRARY_PATH, from the build or installed by scripts/install.sh. The `schedstat` binary's build script is this
// same file (it `include!`s it).
fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    // `bundled` here, `bundled-duckdb` in the CLI: DuckDB compiled in, nothing to find.
    if std::env::var_os("CARGO_FEATURE_BUNDLED").is_some() || std::env::var_os("CARGO_FEATURE_BUNDLED_DUCKDB").is_some() {
        return;
    }
    if let Some(dir) = std::env::var_os("DUCKDB_LIB_DIR") {
        // First the library installed beside the binary (scripts/install.sh puts it
        // in PREFIX/lib/schedstat for PREFIX/bin/schedstat), then the build's own.
        println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN/../lib/schedstat");
        let dir = std::path::PathBuf::from(dir);
        let dir = dir.canonicalize().unwrap_or(dir);
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    }
}
