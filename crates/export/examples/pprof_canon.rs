//! Prints a pprof file (gzipped or not) as the sorted canonical text that
//! `testdata/oracle/pprof/` records, so `go tool trace -pprof`'s output and
//! ours compare with `diff`. Used by `scripts/pprof-oracle.sh`.
//!
//! Usage: pprof_canon FILE

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: pprof_canon FILE");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("pprof_canon: {path}: {e}");
            std::process::exit(2);
        }
    };
    match export::pprof::decode(&bytes).and_then(|p| export::pprof::canonical_text(&p)) {
        Ok(t) => print!("{t}"),
        Err(e) => {
            eprintln!("pprof_canon: {path}: {e}");
            std::process::exit(1);
        }
    }
}
