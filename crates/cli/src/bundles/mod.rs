//! `schedstat bundles`: many Autoprof profile bundles, sorted by what one of
//! their profiles holds (the Go Tracing Toolbox's apshuffle), to find the
//! snapshots worth opening in a fleet's thousands.
//!
//! Same bundles, order and values as apshuffle: bundles sorted by capture
//! time then proc_id, duplicates (same proc_id and capture time) dropped;
//! the value is the sum of one sample type over the samples that pass
//! `--ignore` and every `--focus`; lines sorted by value, then capture time,
//! then proc_id, all descending. Read from unpacked directories (as apshuffle)
//! and from zips (as autoprof writes them, or archives holding bundles).

mod discover;
mod links;
mod profile;

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Mutex;

use discover::{Bundle, FindError};
use profile::SampleFilter;
use regex::bytes::Regex;
use serde::Serialize;

use crate::Outcome;

/// Examples and exit codes for `schedstat bundles --help`.
pub const AFTER_HELP: &str = "\
Examples:
  # every bundle: path, capture time, host, proc_id (capture order)
  schedstat bundles bundles/
  # the snapshots with the most goroutines first
  schedstat bundles --profile-sort goroutine bundles/
  # the biggest heap growth since the same process's previous snapshot
  schedstat bundles --profile-sort heap --sample-type inuse_space --vs-prev bundles/
  # mutex wait in one package's code; CPU in JSON code, GC workers left out
  schedstat bundles --profile-sort mutex --sample-type delay --focus 'mypkg\\.' bundles/
  schedstat bundles --profile-sort profile --focus json --ignore gcBgMarkWorker all.zip
  # the hosts that sent an execution trace
  schedstat bundles --with-trace --hosts bundles/
  # prev/next links, then: go tool pprof -base _link/prev/pprof/heap pprof/heap
  schedstat bundles --write-links bundles/

A bundle is a directory holding a `meta` file (an unpacked Autoprof bundle)
or a zip with a `meta` entry (as autoprof writes them, extension or not);
directories are searched recursively, zips holding bundles or bundle zips too.
Paths print relative to the path given (`schedstat bundles .` prints what
apshuffle prints). --profile-sort NAME scores pprof/NAME (goroutine, heap,
allocs, mutex, block, threadcreate, profile, profile-during-trace...); the
sample type is --sample-type, else the profile's default, else its first
(a Go heap profile names no default: its first is alloc_objects). --focus
(repeatable: all must match) and --ignore keep samples by function name, file
or mapping, as pprof's -focus/-ignore. Bundles without the profile are left
out; profiles that do not parse too, with a warning.

Exit codes: 0 ok (files met while searching that start like a zip but do not
open are skipped with a warning); 1 a bundle could not be read (its meta is
not Autoprof's JSON, a zip named on the command line is broken); 2 usage or
file error (a path is missing, no bundles found, a bad regular expression, a
link could not be written).";

/// `schedstat bundles`'s arguments.
#[derive(clap::Args)]
pub struct BundlesArgs {
    /// Directories and zips holding bundles (searched recursively).
    #[arg(value_name = "DIR|ZIP", required = true)]
    pub paths: Vec<PathBuf>,
    /// Sort by the total of this profile (pprof/NAME in each bundle): goroutine, heap, profile, mutex, block...
    #[arg(long, value_name = "NAME", conflicts_with_all = ["hosts", "write_links"])]
    pub profile_sort: Option<String>,
    /// The sample type to total (inuse_space, alloc_objects, contentions, delay...); default: the profile's default, else its first.
    #[arg(long, value_name = "TYPE", requires = "profile_sort")]
    pub sample_type: Option<String>,
    /// Keep only samples with a frame (function, file or mapping) matching RE; repeat: all must match.
    #[arg(long, value_name = "RE", requires = "profile_sort")]
    pub focus: Vec<String>,
    /// Drop samples with a frame matching RE.
    #[arg(long, value_name = "RE", requires = "profile_sort")]
    pub ignore: Option<String>,
    /// Value minus that of the process's previous bundle with the same profile (bundles without one are left out).
    #[arg(long, requires = "profile_sort")]
    pub vs_prev: bool,
    /// Only bundles holding an execution trace (pprof/trace).
    #[arg(long, conflicts_with = "write_links")]
    pub with_trace: bool,
    /// Print the hosts (reversed domain order: com, example, api-1), one per line.
    #[arg(long, conflicts_with = "write_links")]
    pub hosts: bool,
    /// Make _link/prev and _link/next symlinks between consecutive bundles of each process (for go tool pprof -base).
    #[arg(long)]
    pub write_links: bool,
    /// Profiles read at once (default: one per core).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `schedstat bundles`.
pub fn run(a: &BundlesArgs) -> Result<Outcome, Box<dyn std::error::Error>> {
    // Check everything the user typed before reading anything.
    let filter = SampleFilter {
        focus: a.focus.iter().map(|re| compile(re, "--focus")).collect::<Result<_, _>>()?,
        ignore: a.ignore.as_deref().map(|re| compile(re, "--ignore")).transpose()?,
    };
    if let Some(name) = &a.profile_sort {
        if name.is_empty() || name.contains('/') || name == "." || name == ".." {
            return Err(format!(
                "--profile-sort {name:?}: give a profile's name as it appears under pprof/ (goroutine, heap, profile...)"
            )
            .into());
        }
    }

    let found = match discover::find(&a.paths) {
        Ok(f) => f,
        Err(FindError::File(m)) => return Err(m.into()),
        Err(FindError::Bundle(m)) => {
            eprintln!("schedstat: error: {m}");
            return Ok(Outcome::Unreadable);
        }
    };
    if let Some(first) = found.broken_zips.first() {
        let n = found.broken_zips.len();
        eprintln!("schedstat: warning: skipped {n} file{} that start like a zip but do not open as one (first: {first})", if n == 1 { "" } else { "s" });
    }
    let mut bundles = found.bundles;
    if bundles.is_empty() {
        return Err(format!(
            "no bundles under {} (a bundle is a directory with a `meta` file, or a zip with a `meta` entry)",
            a.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        )
        .into());
    }
    by_capture_then_dedup(&mut bundles);

    if a.write_links {
        let planned = links::plan(&bundles)?;
        links::write(&planned)?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "links": planned }))?);
        } else {
            for l in &planned {
                println!("{} -> {}", l.link, l.target);
            }
        }
        return Ok(Outcome::Ok);
    }

    if a.with_trace {
        bundles.retain(|b| b.has_file("pprof/trace"));
    }

    if a.hosts {
        let hosts = sorted_hosts(&bundles);
        if a.json {
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "hosts": hosts }))?);
        } else {
            for h in hosts {
                println!("{h}");
            }
        }
        return Ok(Outcome::Ok);
    }

    let Some(name) = &a.profile_sort else {
        print_list(&bundles, a.json)?;
        return Ok(Outcome::Ok);
    };

    let (scores, unreadable) = score_all(&bundles, name, a.sample_type.as_deref(), &filter, a.jobs);
    if let Some((path, why)) = unreadable.first() {
        let n = unreadable.len();
        eprintln!("schedstat: warning: left out {n} bundle{} whose pprof/{name} does not parse (first: {path}: {why})", if n == 1 { "" } else { "s" });
    }
    if !bundles.is_empty() && scores.iter().all(Option::is_none) && unreadable.is_empty() {
        eprintln!("schedstat: warning: none of the {} bundles has pprof/{name}", bundles.len());
    }
    let mut rows: Vec<Row> = Vec::new();
    if a.vs_prev {
        // The previous bundle of the same process that has the profile.
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, b) in bundles.iter().enumerate() {
            let Some(score) = &scores[i] else { continue };
            if let Some(&p) = last.get(b.meta.proc_id.as_str()) {
                let prev = scores[p].as_ref().expect("scored");
                rows.push(Row::new(b, score.value - prev.value, &score.sample_type, Some(&bundles[p].path)));
            }
            last.insert(&b.meta.proc_id, i);
        }
    } else {
        for (b, s) in bundles.iter().zip(&scores) {
            if let Some(s) = s {
                rows.push(Row::new(b, s.value, &s.sample_type, None));
            }
        }
    }
    rows.sort_by(|x, y| {
        y.value.cmp(&x.value).then(y.capture_ns.cmp(&x.capture_ns)).then_with(|| y.proc_id.cmp(x.proc_id))
    });
    if a.json {
        #[derive(Serialize)]
        struct Unreadable<'a> {
            path: &'a str,
            error: &'a str,
        }
        #[derive(Serialize)]
        struct Sorted<'a> {
            profile: &'a str,
            vs_prev: bool,
            bundles: &'a [Row<'a>],
            /// Bundles left out because their profile does not parse.
            unreadable: Vec<Unreadable<'a>>,
        }
        let doc = Sorted {
            profile: name,
            vs_prev: a.vs_prev,
            bundles: &rows,
            unreadable: unreadable.iter().map(|(path, error)| Unreadable { path, error }).collect(),
        };
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for r in &rows {
            writeln!(out, "{} {}", r.path, r.value)?;
        }
        out.flush()?;
    }
    Ok(Outcome::Ok)
}

fn compile(re: &str, flag: &str) -> Result<Regex, String> {
    Regex::new(re).map_err(|e| format!("{flag} {re:?}: {}", e.to_string().lines().last().unwrap_or("invalid regular expression").trim()))
}

/// apshuffle's order: capture time, then proc_id; of several bundles with the
/// same proc_id and capture time (copies), the first in walk order stays
/// (apshuffle's sort is not stable, so which copy it keeps is not fixed).
fn by_capture_then_dedup(bundles: &mut Vec<Bundle>) {
    bundles.sort_by(|x, y| x.capture_ns.cmp(&y.capture_ns).then_with(|| x.meta.proc_id.cmp(&y.meta.proc_id)));
    bundles.dedup_by(|later, kept| later.capture_ns == kept.capture_ns && later.meta.proc_id == kept.meta.proc_id);
}

/// Unique hostnames, ordered by their dot-separated labels from the last
/// (`b.example.com` as com, example, b), a shorter list first on a tie.
fn sorted_hosts(bundles: &[Bundle]) -> Vec<&str> {
    let mut hosts: Vec<&str> = bundles.iter().map(|b| b.meta.hostname.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    hosts.sort_by(|x, y| {
        let (xs, ys): (Vec<&str>, Vec<&str>) = (x.rsplit('.').collect(), y.rsplit('.').collect());
        for (a, b) in xs.iter().zip(&ys) {
            if a != b {
                return a.as_bytes().cmp(b.as_bytes());
            }
        }
        xs.len().cmp(&ys.len()).then(Ordering::Equal)
    });
    hosts
}

/// Each bundle's total of pprof/NAME (None: it has no such profile, or it does
/// not parse), and the ones that did not parse with why. Profiles are read by
/// JOBS threads, each taking the next bundle.
fn score_all(
    bundles: &[Bundle],
    name: &str,
    sample_type: Option<&str>,
    filter: &SampleFilter,
    jobs: Option<usize>,
) -> (Vec<Option<profile::Total>>, Vec<(String, String)>) {
    let file = format!("pprof/{name}");
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).clamp(1, 64);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Result<Option<profile::Total>, String>)>> = Mutex::new(Vec::with_capacity(bundles.len()));
    std::thread::scope(|s| {
        for _ in 0..jobs.min(bundles.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, AtomicOrdering::Relaxed);
                let Some(b) = bundles.get(i) else { break };
                let r = b.read(&file).and_then(|data| data.map(|d| profile::total(&d, sample_type, filter)).transpose());
                results.lock().expect("no worker panics").push((i, r));
            });
        }
    });
    let mut results = results.into_inner().expect("no worker panics");
    results.sort_by_key(|(i, _)| *i);
    let mut unreadable = Vec::new();
    let scores = results
        .into_iter()
        .map(|(i, r)| match r {
            Ok(t) => t,
            Err(e) => {
                unreadable.push((bundles[i].path.clone(), e));
                None
            }
        })
        .collect();
    (scores, unreadable)
}

/// One output line: a bundle and its value.
#[derive(Serialize)]
struct Row<'a> {
    path: &'a str,
    value: i128,
    sample_type: &'a str,
    /// With --vs-prev: the bundle the value is measured against.
    #[serde(skip_serializing_if = "Option::is_none")]
    prev: Option<&'a str>,
    capture_time: Option<&'a str>,
    hostname: &'a str,
    proc_id: &'a str,
    #[serde(skip)]
    capture_ns: i128,
}

impl<'a> Row<'a> {
    fn new(b: &'a Bundle, value: i128, sample_type: &'a str, prev: Option<&'a str>) -> Self {
        Row {
            path: &b.path,
            value,
            sample_type,
            prev,
            capture_time: b.meta.capture_time.as_deref(),
            hostname: &b.meta.hostname,
            proc_id: &b.meta.proc_id,
            capture_ns: b.capture_ns,
        }
    }
}

/// Without an action flag: every bundle in capture order, with its meta.
fn print_list(bundles: &[Bundle], json: bool) -> Result<(), Box<dyn std::error::Error>> {
    if json {
        #[derive(Serialize)]
        struct Listed<'a> {
            path: &'a str,
            #[serde(flatten)]
            meta: &'a discover::Meta,
            has_trace: bool,
        }
        let list: Vec<Listed> =
            bundles.iter().map(|b| Listed { path: &b.path, meta: &b.meta, has_trace: b.has_file("pprof/trace") }).collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "bundles": list }))?);
    } else {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for b in bundles {
            let m = &b.meta;
            let or_dash = |s: &str| if s.is_empty() { "-".to_string() } else { s.to_string() };
            let time = m.capture_time.as_deref().unwrap_or("");
            writeln!(out, "{} {} {} {}", b.path, or_dash(time), or_dash(&m.hostname), or_dash(&m.proc_id))?;
        }
        out.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn profile_names_are_single_entries() {
        // A name that climbs out of pprof/ is refused before any reading.
        for bad in ["../meta", "a/b", "", ".."] {
            let a = super::BundlesArgs {
                paths: vec![".".into()],
                profile_sort: Some(bad.into()),
                sample_type: None,
                focus: vec![],
                ignore: None,
                vs_prev: false,
                with_trace: false,
                hosts: false,
                write_links: false,
                jobs: None,
                json: false,
            };
            assert!(super::run(&a).is_err(), "{bad}");
        }
    }
}
