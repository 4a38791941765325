//! `schedstat`, the command people type.
//!
//! The commands that read a trace with the reader alone (`dump`, `stats`,
//! `pprof`, `goroutines`, `leaks`, `tasks`, `regions`, `gc`, `export`, and
//! the toolbox's `bundles`, `grep`, `states`, `requests`, `scope`, `etviz`, `stw`) run
//! here; every other use (the report, `--sql`, `doctor`, `tui`, `web`, `fleet`,
//! `--help` ...) is handed to `schedstat-sql`, the whole CLI, which replaces
//! this process with the same arguments. This binary does not link DuckDB,
//! so those commands work where libduckdb.so is missing, and the shared
//! library is loaded only by the commands that use SQL.
//!
//! Exit codes: those of the commands (see `schedstat --help`); 2 when
//! `schedstat-sql` is needed and cannot be found or started.

// The modules are the CLI's own (main.rs compiles them too); what only the
// SQL side uses is dead code here.
#![allow(dead_code)]

mod bundles;
mod dump;
mod export;
mod gc;
mod goroutines;
mod grep;
mod input;
mod leaks;
mod plain;
mod pprof;
mod requests;
mod scope;
mod render;
mod states;
mod stats;
mod stw;
mod tasks;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

pub use plain::{read_error, report_read_error, Outcome};

/// The whole CLI's binary, installed beside this one.
const SQL_BINARY: &str = "schedstat-sql";

/// What is making your goroutines wait? Reads Go execution traces.
#[derive(Parser)]
#[command(name = "schedstat", version, about)]
struct PlainCli {
    #[command(subcommand)]
    command: plain::PlainCommand,
}

fn main() -> ExitCode {
    plain::restore_sigpipe();
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).and_then(|a| a.to_str()).is_some_and(plain::is_plain_command) {
        return match PlainCli::try_parse_from(&args) {
            Ok(cli) => plain::run(cli.command),
            Err(e) => {
                let code = if e.use_stderr() { 2 } else { 0 };
                let _ = e.print();
                ExitCode::from(code)
            }
        };
    }
    hand_over(&args)
}

/// Runs `schedstat-sql` with this process's arguments, in its place.
fn hand_over(args: &[OsString]) -> ExitCode {
    let Some(sql) = sql_binary() else {
        eprintln!(
            "schedstat: error: this command needs {SQL_BINARY} (schedstat with its SQL engine), which is not \
             installed beside schedstat; reinstall with scripts/install.sh, or use a command that needs no \
             SQL (dump, stats, pprof, goroutines, leaks, tasks, regions, gc, export, grep, states, stw, requests, scope, etviz, bundles)"
        );
        return ExitCode::from(2);
    };
    let mut command = std::process::Command::new(&sql);
    command.args(args.iter().skip(1));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Usage lines and messages keep saying `schedstat`.
        let err = command.arg0("schedstat").exec();
        eprintln!("schedstat: error: cannot start {}: {err}", sql.display());
        ExitCode::from(2)
    }
    #[cfg(not(unix))]
    match command.status() {
        Ok(status) => ExitCode::from(status.code().map_or(1, |c| c as u8)),
        Err(err) => {
            eprintln!("schedstat: error: cannot start {}: {err}", sql.display());
            ExitCode::from(2)
        }
    }
}

/// Where `schedstat-sql` is: beside this binary (a cargo build, `cargo
/// install`, `scripts/install.sh`).
fn sql_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(SQL_BINARY)).filter(|p| p.is_file())
}
