//! The report against dt/schedstat on random workloads (the generator's
//! `mixed` scenario), recorded by scripts/dt-differential.py into
//! testdata/oracle/dt-differential (see its README): a sample of traces of
//! several Go versions with dt/schedstat's output, default and with the
//! sensitive flags. Ours must equal it byte for byte, except where
//! dt/schedstat orders entries whose sort keys are equal (its `ORDER BY`
//! has no tie-breaker, so DuckDB's hash order decides; ours breaks ties by
//! time): runnable spikes with the same peak, their detail blocks, and burst
//! breakdown categories with the same count, a list cut off inside a tie (our
//! output says so), and a heavy unblocker's usual stack when several stacks
//! tie (our JSON's `tied_stacks`), and a runnable spike's busiest 1 ms bucket
//! when several tie (our output says so; the breakdown under it is then of
//! whichever bucket a program took). The comparison exhibits each such tie: it
//! reorders only entries whose keys are equal, checks that both lists are
//! otherwise sorted the same way, and blanks only labels our JSON calls tied.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const SENSITIVE: [&str; 6] = ["-w", "10ms", "--spike-threshold=200us", "--runnable-threshold=4", "-n", "10"];

/// `  [3] t=140ms  peak 5 runnable` → (peak, the line without its index).
fn runnable_spike(line: &str) -> Option<(i64, String)> {
    let rest = line.strip_prefix("  [")?;
    let (_, rest) = rest.split_once("] ")?;
    let peak = rest.split("peak ").nth(1)?.split(' ').next()?.parse().ok()?;
    Some((peak, rest.to_string()))
}

/// `[13] t=140ms [runnable] peak 5 runnable` → the block's sort key (kind and value).
fn detail_key(line: &str) -> Option<String> {
    let rest = line.strip_prefix('[')?;
    let (index, rest) = rest.split_once("] t=")?;
    index.parse::<usize>().ok()?;
    let (_, key) = rest.split_once(' ')?;
    Some(key.to_string())
}

/// Sorts each run of consecutive equal keys by text: the order between
/// entries whose keys are equal is the tie dt/schedstat leaves to chance.
fn sort_ties(items: &mut [(String, String)]) {
    let mut start = 0;
    while start < items.len() {
        let end = (start..items.len()).find(|&i| items[i].0 != items[start].0).unwrap_or(items.len());
        items[start..end].sort_by(|a, b| a.1.cmp(&b.1));
        start = end;
    }
}

/// Our note that the runnable-spike list was cut inside a tie, and the tied
/// peak (the last listed one): which of those windows are listed (and get
/// detail blocks) is then the tie-breaker's choice.
fn cut_tie(ours: &str) -> Option<i64> {
    let lines: Vec<&str> = ours.lines().collect();
    let at = lines.iter().position(|l| l.contains("more window(s) tied with the last at the same peak"))?;
    runnable_spike(lines[at.checked_sub(1)?]).map(|(peak, _)| peak)
}

/// Headers (without index) of our runnable-spike detail blocks whose busiest
/// 1 ms bucket tied with others (our note says so): the breakdown under them
/// is then of whichever bucket a program took.
fn tied_buckets(ours: &str) -> Vec<String> {
    let lines: Vec<&str> = ours.lines().collect();
    (1..lines.len())
        .filter(|&i| lines[i].starts_with("     (details for the busiest 1 ms at"))
        .filter_map(|i| lines[i - 1].split_once("] ").map(|x| x.1.to_string()))
        .collect()
}

/// The text with every ordering between equal keys made canonical, and
/// spike indices dropped (they number the entries in their tied order).
/// With `cut` (a peak tied across the list's cut-off), the windows of that
/// peak and their detail blocks are left out, and our note about them.
fn canonical(text: &str, cut: Option<i64>, tied: &[(i64, i64)], buckets: &[String]) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("more window(s) tied with the last at the same peak"))
        .collect();
    let cut_key = cut.map(|p| format!("[runnable] peak {p} runnable"));
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        // A list of runnable spikes.
        if runnable_spike(lines[i]).is_some() {
            let mut run = Vec::new();
            while let Some((peak, line)) = lines.get(i).and_then(|l| runnable_spike(l)) {
                run.push((peak, line));
                i += 1;
            }
            assert!(run.windows(2).all(|w| w[0].0 >= w[1].0), "runnable spikes not sorted by peak: {run:?}");
            let mut keyed: Vec<(String, String)> =
                run.into_iter().filter(|(p, _)| Some(*p) != cut).map(|(p, l)| (format!("{p:020}"), l)).collect();
            sort_ties(&mut keyed);
            out.extend(keyed.into_iter().map(|(_, l)| format!("  {l}")));
            continue;
        }
        // Spike detail blocks: a header and the lines up to the next blank line.
        if detail_key(lines[i]).is_some() {
            let mut blocks: Vec<(String, String)> = Vec::new();
            while let Some(key) = lines.get(i).and_then(|l| detail_key(l)) {
                let header = lines[i].split_once("] ").map_or("", |x| x.1);
                let mut block = vec![header.to_string()];
                i += 1;
                while i < lines.len() && !lines[i].is_empty() {
                    block.push(canonical_unblocker(&canonical_breakdown(lines[i]), tied));
                    i += 1;
                }
                // The blank line between blocks.
                if i < lines.len() && lines.get(i + 1).is_some_and(|l| detail_key(l).is_some()) {
                    i += 1;
                }
                if buckets.contains(&block[0]) {
                    block.truncate(1);
                }
                if Some(&key) != cut_key.as_ref() {
                    blocks.push((key, block.join("\n")));
                }
            }
            sort_ties(&mut blocks);
            for (_, b) in blocks {
                out.push(b);
                out.push(String::new());
            }
            continue;
        }
        out.push(canonical_unblocker(&canonical_breakdown(lines[i]), tied));
        i += 1;
    }
    out.join("\n")
}

/// (goroutine, count) of every heavy unblocker whose usual stack tied with
/// another in our `--json` (`tied_stacks`): its label is the tie-breaker's.
fn tied_unblockers(doc: &serde_json::Value, out: &mut Vec<(i64, i64)>) {
    match doc {
        serde_json::Value::Object(m) => {
            if let (Some(g), Some(n), Some(t)) = (m.get("g"), m.get("count"), m.get("tied_stacks")) {
                if t.as_i64().unwrap_or(0) > 0 {
                    out.push((g.as_i64().unwrap_or(-1), n.as_i64().unwrap_or(-1)));
                }
            }
            m.values().for_each(|v| tied_unblockers(v, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| tied_unblockers(v, out)),
        _ => {}
    }
}

/// `     Heavy unblocker G7 (2): label` with the label blanked when (7, 2) tied.
fn canonical_unblocker(line: &str, tied: &[(i64, i64)]) -> String {
    let parse = || {
        let rest = line.strip_prefix("     Heavy unblocker G")?;
        let (g, rest) = rest.split_once(" (")?;
        let (n, _) = rest.split_once("): ")?;
        Some((g.parse::<i64>().ok()?, n.parse::<i64>().ok()?))
    };
    match parse() {
        Some((g, n)) if tied.contains(&(g, n)) => format!("     Heavy unblocker G{g} ({n}): (one of tied stacks)"),
        _ => line.to_string(),
    }
}

/// `     Breakdown: 3 unblocked, 2 other, 2 preempted` with equal counts in name order.
fn canonical_breakdown(line: &str) -> String {
    let Some(items) = line.strip_prefix("     Breakdown: ") else { return line.to_string() };
    let mut parsed: Vec<(i64, String)> = items
        .split(", ")
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (n, name) = s.split_once(' ').unwrap_or((s, ""));
            (n.parse().unwrap_or(-1), name.to_string())
        })
        .collect();
    assert!(parsed.windows(2).all(|w| w[0].0 >= w[1].0), "breakdown not sorted by count: {line}");
    parsed.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let items: Vec<String> = parsed.into_iter().map(|(n, name)| format!("{n} {name}")).collect();
    format!("     Breakdown: {}", items.join(", "))
}

#[test]
fn random_workloads_report_what_dt_schedstat_reports_up_to_its_ties() {
    // SCHEDSTAT_DIFFERENTIAL_DIR: the differing traces of a scripts/dt-differential.py run instead.
    let other = std::env::var_os("SCHEDSTAT_DIFFERENTIAL_DIR").map(PathBuf::from);
    let dir = other.clone().unwrap_or_else(|| root().join("testdata/oracle/dt-differential"));
    let mut traces: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .collect();
    traces.sort();
    assert!(other.is_some() || traces.len() >= 6, "recorded sample missing from {}", dir.display());
    let mut ties = 0;
    for t in &traces {
        let name = t.file_stem().unwrap().to_str().unwrap();
        for (label, flags) in [("default", &[][..]), ("sensitive", &SENSITIVE[..])] {
            let want = std::fs::read_to_string(dir.join(format!("{name}-{label}.txt"))).unwrap();
            let out = Command::new(env!("CARGO_BIN_EXE_schedstat")).args(flags).arg(t).output().unwrap();
            assert!(out.status.success(), "{name} {label}: {}", String::from_utf8_lossy(&out.stderr));
            let got = String::from_utf8(out.stdout).unwrap().replacen(&format!("schedstat: {}", t.display()), &format!("schedstat: {name}.trace"), 1);
            if got == want {
                continue;
            }
            ties += 1;
            let cut = cut_tie(&got);
            let json = Command::new(env!("CARGO_BIN_EXE_schedstat")).arg("--json").args(flags).arg(t).output().unwrap();
            let mut tied = Vec::new();
            tied_unblockers(&serde_json::from_slice(&json.stdout).unwrap(), &mut tied);
            let buckets = tied_buckets(&got);
            assert_eq!(
                canonical(&got, cut, &tied, &buckets),
                canonical(&want, cut, &tied, &buckets),
                "{name} {label}: differs beyond dt/schedstat's ties"
            );
        }
    }
    // The sample keeps traces whose outputs differ only by dt/schedstat's ties,
    // so that this comparison is exercised, not just the byte-equal path.
    assert!(other.is_some() || ties > 0, "no recorded trace exhibits a tie");
}

#[test]
fn the_canonical_form_reorders_only_equal_keys() {
    let a = "  [1] t=20ms  peak 9 runnable\n  [2] t=140ms  peak 5 runnable\n  [3] t=30ms  peak 5 runnable";
    let b = "  [1] t=20ms  peak 9 runnable\n  [2] t=30ms  peak 5 runnable\n  [3] t=140ms  peak 5 runnable";
    assert_eq!(canonical(a, None, &[], &[]), canonical(b, None, &[], &[]));
    let c = "  [1] t=30ms  peak 9 runnable\n  [2] t=20ms  peak 5 runnable\n  [3] t=140ms  peak 5 runnable";
    assert_ne!(canonical(a, None, &[], &[]), canonical(c, None, &[], &[]));
    assert_eq!(
        canonical_breakdown("     Breakdown: 3 unblocked, 2 other, 2 preempted"),
        canonical_breakdown("     Breakdown: 3 unblocked, 2 preempted, 2 other")
    );
    assert_ne!(
        canonical_breakdown("     Breakdown: 3 unblocked, 2 other"),
        canonical_breakdown("     Breakdown: 3 other, 2 unblocked")
    );
}
