//! `schedstat tui`: one trace's report, analyses and SQL in the terminal, for
//! people reading traces over SSH where no browser is at hand.
//!
//! This crate draws and handles keys; it computes nothing of its own but the
//! timeline's buckets ([`timeline::Runs`], from the rows the database gets).
//! The CLI reads the trace twice at once on background threads: a quick pass
//! for the header (`schedstat_tables::SummaryCollector`, as the web page's
//! summary), and the loading pass that feeds the same `crates/analysis`
//! builders and the same DuckDB database its other commands use, then calls
//! `schedstat_report::build` and `schedstat_report::doctor::diagnose`. Each
//! result arrives here as an [`Update`], so the first screen appears as soon
//! as the summary is known and the rest fills in. The SQL tab's queries go
//! back as [`Query`]s and are answered on a second connection to that
//! database by [`serve`].

#![warn(missing_docs)]

pub mod app;
pub mod data;
pub mod fmt;
mod keys;
mod term;
pub mod theme;
pub mod timeline;
mod views;

pub use data::{Analyses, Basics, Query, Session, Update};
pub use term::{run, Ended};

use std::sync::mpsc::{Receiver, Sender};

/// Answers the UI's queries on `db` until the UI hangs up: the loop the
/// loading thread enters once the trace is loaded, so the database stays on
/// the thread that built it.
pub fn serve(db: &dyn schedstat_query::Sql, queries: Receiver<Query>, updates: Sender<Update>) {
    for q in queries.iter() {
        let started = std::time::Instant::now();
        let result = db.query(&q.sql).map_err(|e| one_line(&e.to_string()));
        if updates.send(Update::Answer { result, elapsed: started.elapsed() }).is_err() {
            break;
        }
    }
}

/// An error message on one line (DuckDB's span several).
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
