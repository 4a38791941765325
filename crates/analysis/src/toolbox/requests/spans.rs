//! Requests as trees of spans (regiongraph's `cluster.ExtractSpans`), their
//! summaries (`cluster.Summarize`) and the time ranges etviz colours
//! (`cluster.Running`). The JSON shapes are regiongraph's (`Span`,
//! `TreeSummary`), field for field, so etviz and its users' scripts read ours.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::events::{GKind, GoroutineEvents, NONE};
use super::regions::{Connected, Region};
use super::patterns::Patterns;

/// A time range, `[start, end)` in ns.
pub type Range = [i64; 2];

/// One goroutine's contribution to a request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Span {
    /// The goroutine.
    #[serde(rename = "G")]
    pub g: u64,
    /// The region kind, or the goroutine's root function.
    pub kind: String,
    /// Start (ns).
    pub start_ns: i64,
    /// Duration (ns).
    pub length_ns: i64,
    /// When it started running, from `start_ns`.
    pub start_run: Option<Vec<i64>>,
    /// When it started assist work (`gc`), from `start_ns`.
    pub start_assist: BTreeMap<String, Vec<i64>>,
    /// When it started waiting, by reason (`cpu`, `net`, `select`, …), from `start_ns`.
    pub start_wait: BTreeMap<String, Vec<i64>>,
    /// Spans this one caused.
    pub caused: Option<Vec<Span>>,
}

/// A request's totals and its flattened timeline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct TreeSummary {
    /// The root span's duration.
    pub length_ns: i64,
    /// CPU time of all its spans.
    pub total_run_ns: i64,
    /// Assist CPU time by reason.
    pub total_assist_ns: BTreeMap<String, i64>,
    /// Wall time when any span ran.
    pub flat_run_ns: i64,
    /// Wall time of assists, by reason.
    pub flat_assist_ns: BTreeMap<String, i64>,
    /// Wall time when every span waited, by the reason with priority.
    pub flat_wait_ns: BTreeMap<String, i64>,
    /// The flattened timeline.
    pub flat: Span,
    /// The tree.
    pub root: Span,
}

/// The visible part of every span of `root`, depth first.
pub fn visit<'s>(root: &'s Span, f: &mut impl FnMut(&'s Span)) {
    f(root);
    if let Some(c) = &root.caused {
        for s in c {
            visit(s, f);
        }
    }
}

/// Each goroutine's name when no region names its work: the outermost frame
/// of its first stack with two or more frames (else of its last one-frame stack).
pub fn root_funcs(d: &GoroutineEvents) -> HashMap<u64, String> {
    let mut out = HashMap::new();
    for (g, list) in &d.goroutines {
        let mut name: &[u8] = b"";
        for &e in list {
            if let Some((f, depth)) = d.stacks.root(d.events[e as usize].stack) {
                name = f;
                if depth >= 2 {
                    break;
                }
            }
        }
        out.insert(*g, String::from_utf8_lossy(name).into_owned());
    }
    out
}

/// Stacks of reasons that some event had, in the order first seen.
pub fn first_seen(c: &Connected) -> Vec<u32> {
    let mut seen = vec![false; c.nodes.len()];
    let mut out = Vec::new();
    for &n in &c.at_event {
        if n != NONE && !seen[n as usize] {
            seen[n as usize] = true;
            out.push(n);
        }
    }
    out
}

/// regiongraph's `ExtractSpans`: one tree per root reason, handed to `each`
/// in turn (a big trace's trees need not all be held at once). Where Go's
/// map order decides (roots or children starting at the same time), ours
/// keeps the order the reasons were made in.
pub fn extract(
    d: &GoroutineEvents,
    pats: &Patterns,
    regions: &[Region],
    c: &Connected,
    root_func: &HashMap<u64, String>,
    mut each: impl FnMut(Span),
) {
    let seen = first_seen(c);
    // The ultimate root of every seen stack.
    let mut root_of: HashMap<u32, u32> = HashMap::new();
    for &s in &seen {
        let mut t = s;
        loop {
            if let Some(&r) = root_of.get(&t) {
                t = r;
            }
            let p = c.nodes[t as usize].parent;
            if p == NONE {
                root_of.insert(s, t);
                break;
            }
            t = p;
        }
    }
    let mut members: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut roots: Vec<u32> = Vec::new();
    for &s in &seen {
        let r = root_of[&s];
        if r != s {
            let m = members.entry(r).or_default();
            if m.is_empty() {
                roots.push(r);
            }
            m.push(s);
        }
    }
    // The tree: each member's parent is its first ancestor that began at another event.
    let mut in_tree: HashMap<u32, ()> = HashMap::new();
    for r in &roots {
        in_tree.insert(*r, ());
        for &m in &members[r] {
            in_tree.insert(m, ());
        }
    }
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut order: Vec<u32> = in_tree.keys().copied().collect();
    order.sort_unstable();
    for &n in &order {
        let me = c.nodes[n as usize];
        let mut link = me.parent;
        while link != NONE {
            let l = c.nodes[link as usize];
            if l.start != me.start {
                if in_tree.contains_key(&link) {
                    children.entry(link).or_default().push(n);
                }
                break;
            }
            link = l.parent;
        }
    }
    let start_ts = |n: u32| d.events[c.nodes[n as usize].start as usize].ts;
    for list in children.values_mut() {
        list.sort_by_key(|&n| start_ts(n));
    }
    roots.sort_by_key(|&n| (start_ts(n), n));

    for r in roots {
        each(build(d, pats, regions, c, root_func, &children, r));
    }
}

fn build(
    d: &GoroutineEvents,
    pats: &Patterns,
    regions: &[Region],
    c: &Connected,
    root_func: &HashMap<u64, String>,
    children: &HashMap<u32, Vec<u32>>,
    n: u32,
) -> Span {
    let node = c.nodes[n as usize];
    let start = d.events[node.start as usize];
    let kind = if node.local != NONE {
        pats.kinds[regions[node.local as usize].kind as usize].name.clone()
    } else {
        root_func.get(&start.g).cloned().unwrap_or_default()
    };
    let mut span = Span {
        g: start.g,
        kind,
        start_ns: start.ts,
        length_ns: 0,
        start_run: None,
        start_assist: BTreeMap::new(),
        start_wait: BTreeMap::new(),
        caused: None,
    };
    // The events under this reason, and the one after (where it was dropped).
    let mut evs: Vec<u32> = Vec::new();
    let mut ev = Some(node.start);
    while let Some(e) = ev {
        let ok = c.chain(c.at_event[e as usize]).any(|x| x == n);
        evs.push(e);
        if !ok {
            break;
        }
        ev = d.next(e);
    }
    let wait_reason = |k: GKind| -> Option<&'static str> {
        Some(match k {
            GKind::GoPreempt => "cpu",
            GKind::GoBlock => "block",
            GKind::GoBlockCond => "cond",
            GKind::GoBlockGC => "gc",
            GKind::GoBlockNet => "net",
            GKind::GoBlockRecv => "recv",
            GKind::GoBlockSelect => "select",
            GKind::GoBlockSend => "send",
            GKind::GoBlockSync => "sync",
            GKind::GoSysBlock => "syscall",
            _ => return None,
        })
    };
    let changes: Vec<u32> = evs
        .iter()
        .enumerate()
        .filter(|&(i, &e)| {
            let k = d.events[e as usize].kind;
            i == 0
                || matches!(k, GKind::GoStart | GKind::GCMarkAssistDone | GKind::GCMarkAssistStart)
                || wait_reason(k).is_some()
        })
        .map(|(_, &e)| e)
        .collect();
    let mut run = Vec::new();
    for (i, &e) in changes.iter().enumerate() {
        let ev = d.events[e as usize];
        let next = changes.get(i + 1).map(|&x| d.events[x as usize]);
        if i == 0 && ev.kind == GKind::GoStart {
            let prev = d.backlink[e as usize];
            if prev != NONE {
                let wait = span.start_ns - d.events[prev as usize].ts;
                if wait > 0 {
                    span.start_wait.entry("cpu".into()).or_default().push(-wait);
                }
            }
        }
        if ev.kind == GKind::GCMarkAssistStart {
            span.start_assist.entry("gc".into()).or_default().push(ev.ts - span.start_ns);
            continue;
        }
        if let Some(reason) = wait_reason(ev.kind) {
            span.start_wait.entry(reason.into()).or_default().push(ev.ts - span.start_ns);
            if ev.link != NONE {
                if let Some(next) = next {
                    let lts = d.events[ev.link as usize].ts;
                    if ev.ts < lts && lts < next.ts {
                        span.start_wait.entry("cpu".into()).or_default().push(lts - span.start_ns);
                    }
                }
            }
            continue;
        }
        run.push(ev.ts - span.start_ns);
    }
    if !run.is_empty() {
        span.start_run = Some(run);
    }
    span.length_ns = d.events[*evs.last().expect("one event at least") as usize].ts - start.ts;
    if let Some(kids) = children.get(&n) {
        let caused: Vec<Span> = kids.iter().map(|&k| build(d, pats, regions, c, root_func, children, k)).collect();
        if !caused.is_empty() {
            span.caused = Some(caused);
        }
    }
    span
}

/// When a span ran, assisted and waited, from its start (`cluster.Running`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ranges {
    /// Running (assists included).
    pub running: Vec<Range>,
    /// Assisting, by reason.
    pub assisting: BTreeMap<String, Vec<Range>>,
    /// Waiting, by reason.
    pub waiting: BTreeMap<String, Vec<Range>>,
}

/// The span's ranges; `None` where regiongraph refuses the span (two
/// reasons starting at the same time).
pub fn running(span: &Span) -> Option<Ranges> {
    #[derive(Clone)]
    struct Change<'a> {
        ts: i64,
        wait: &'a str,
        assist: &'a str,
    }
    let mut changes: Vec<Change<'_>> =
        span.start_run.iter().flatten().map(|&ts| Change { ts, wait: "", assist: "" }).collect();
    let mut seen = std::collections::HashSet::new();
    for (reason, list) in &span.start_assist {
        if reason.is_empty() {
            return None;
        }
        for &ts in list {
            if !seen.insert(ts) {
                return None;
            }
            changes.push(Change { ts, wait: "", assist: reason });
        }
    }
    seen.clear();
    for (reason, list) in &span.start_wait {
        if reason.is_empty() {
            return None;
        }
        for &ts in list {
            if !seen.insert(ts) {
                return None;
            }
            changes.push(Change { ts, wait: reason, assist: "" });
        }
    }
    changes.sort_by_key(|c| c.ts);
    let mut out = Ranges::default();
    for (i, ch) in changes.iter().enumerate() {
        let end = changes.get(i + 1).map(|c| c.ts).unwrap_or(span.length_ns);
        let v = [ch.ts, end];
        if !ch.assist.is_empty() {
            out.running.push(v);
            out.assisting.entry(ch.assist.to_string()).or_default().push(v);
            continue;
        }
        if !ch.wait.is_empty() {
            out.waiting.entry(ch.wait.to_string()).or_default().push(v);
            continue;
        }
        out.running.push(v);
    }
    let mut window = [0, span.length_ns];
    if let Some(&first) = span.start_wait.get("cpu").and_then(|c| c.first()) {
        if first < 0 {
            window[0] = first;
        }
    }
    out.running = collapse(&out.running, window);
    for v in out.assisting.values_mut() {
        *v = collapse(v, window);
    }
    for v in out.waiting.values_mut() {
        *v = collapse(v, window);
    }
    Some(out)
}

/// Merges overlapping ranges and clips them to the window (empty ranges dropped).
pub fn collapse(ranges: &[Range], window: Range) -> Vec<Range> {
    let mut by_start: Vec<Range> = ranges.iter().copied().filter(|v| v[0] < v[1]).collect();
    by_start.sort_by_key(|v| v[0]);
    let mut out: Vec<Range> = Vec::new();
    let (mut start, mut end) = (0, 0);
    for (i, v) in by_start.iter().enumerate() {
        if i == 0 {
            (start, end) = (v[0], v[1]);
            continue;
        }
        if v[0] > end {
            out.push([start, end]);
            (start, end) = (v[0], v[1]);
            continue;
        }
        if v[1] > end {
            end = v[1];
        }
    }
    if !by_start.is_empty() {
        out.push([start, end]);
    }
    out.into_iter()
        .filter(|v| v[1] > window[0] && v[0] < window[1])
        .map(|v| [v[0].max(window[0]), v[1].min(window[1])])
        .collect()
}

fn not(ranges: &[Range], window: Range) -> Vec<Range> {
    let r = collapse(ranges, window);
    let mut gaps = Vec::with_capacity(r.len() + 1);
    let mut start = window[0];
    for v in r {
        gaps.push([start, v[0]]);
        start = v[1];
    }
    gaps.push([start, window[1]]);
    collapse(&gaps, window)
}

fn subtract(base: &[Range], delta: &[Range]) -> Vec<Range> {
    let mut window = [0, 0];
    for (i, v) in base.iter().enumerate() {
        if i == 0 {
            window = *v;
            continue;
        }
        window[0] = window[0].min(v[0]);
        window[1] = window[1].max(v[1]);
    }
    let mut not_result = not(base, window);
    not_result.extend_from_slice(delta);
    not(&not_result, window)
}

fn magnitude(r: &[Range]) -> i64 {
    r.iter().map(|v| v[1] - v[0]).sum()
}

/// The order in which reasons claim wall time in the flat view.
const ASSIST_PREF: [&str; 2] = ["gc", "other"];
const WAIT_PREF: [&str; 11] = ["cpu", "gc", "net", "syscall", "select", "recv", "send", "cond", "sync", "block", "other"];

/// regiongraph's `cluster.Summarize`.
pub fn summarize(root: Span) -> TreeSummary {
    let window = [root.start_ns, root.start_ns + root.length_ns];
    let mut gruns: BTreeMap<u64, Vec<Range>> = BTreeMap::new();
    let mut gassists: BTreeMap<u64, BTreeMap<String, Vec<Range>>> = BTreeMap::new();
    let mut gwaits: BTreeMap<u64, BTreeMap<String, Vec<Range>>> = BTreeMap::new();
    visit(&root, &mut |span| {
        let Some(r) = running(span) else { return };
        let shift = |v: &Vec<Range>| v.iter().map(|x| [x[0] + span.start_ns, x[1] + span.start_ns]).collect::<Vec<_>>();
        gruns.entry(span.g).or_default().extend(shift(&r.running));
        let m = gassists.entry(span.g).or_default();
        for (k, v) in &r.assisting {
            m.entry(k.clone()).or_default().extend(shift(v));
        }
        let m = gwaits.entry(span.g).or_default();
        for (k, v) in &r.waiting {
            m.entry(k.clone()).or_default().extend(shift(v));
        }
    });
    let mut total_run = 0;
    let mut all_runs = Vec::new();
    let mut non_assist_runs = Vec::new();
    for (g, tss) in gruns.iter_mut() {
        *tss = collapse(tss, window);
        all_runs.extend_from_slice(tss);
        total_run += magnitude(tss);
        // regiongraph keeps only the last reason's subtraction (one reason, gc, in practice).
        let mut non_assist = tss.clone();
        if let Some(m) = gassists.get(g) {
            for v in m.values() {
                non_assist = subtract(tss, v);
            }
        }
        non_assist_runs.extend(non_assist);
    }
    let all_runs = collapse(&all_runs, window);
    let non_assist_runs = collapse(&non_assist_runs, window);

    let mut total_assist: BTreeMap<String, i64> = BTreeMap::new();
    let mut all_assists: BTreeMap<String, Vec<Range>> = BTreeMap::new();
    for m in gassists.values_mut() {
        for v in m.values_mut() {
            *v = collapse(v, window);
        }
        for reason in ASSIST_PREF {
            let tss = m.remove(reason).unwrap_or_default();
            *total_assist.entry(reason.into()).or_default() += magnitude(&tss);
            all_assists.entry(reason.into()).or_default().extend(tss);
        }
        for tss in m.values() {
            *total_assist.entry("other".into()).or_default() += magnitude(tss);
            all_assists.entry("other".into()).or_default().extend_from_slice(tss);
        }
    }
    for v in all_assists.values_mut() {
        *v = collapse(v, window);
    }
    let mut all_waits: BTreeMap<String, Vec<Range>> = BTreeMap::new();
    for m in gwaits.values_mut() {
        for v in m.values_mut() {
            *v = collapse(v, window);
        }
        for reason in WAIT_PREF {
            let tss = m.remove(reason).unwrap_or_default();
            all_waits.entry(reason.into()).or_default().extend(tss);
        }
        for tss in m.values() {
            all_waits.entry("other".into()).or_default().extend_from_slice(tss);
        }
    }
    for v in all_waits.values_mut() {
        *v = collapse(v, window);
    }

    let mut flat = Span {
        g: root.g,
        kind: root.kind.clone(),
        start_ns: root.start_ns,
        length_ns: root.length_ns,
        start_run: None,
        start_assist: BTreeMap::new(),
        start_wait: BTreeMap::new(),
        caused: None,
    };
    let flat_run = magnitude(&all_runs);
    if !all_runs.is_empty() {
        flat.start_run = Some(all_runs.iter().map(|p| p[0] - root.start_ns).collect());
    }
    let mut remainder = subtract(&[window], &non_assist_runs);
    let mut unaccounted = magnitude(&remainder);
    let mut flat_assist = BTreeMap::new();
    for reason in ASSIST_PREF {
        let tss = all_assists.remove(reason).unwrap_or_default();
        for p in subtract(&tss, &not(&remainder, window)) {
            flat.start_assist.entry(reason.into()).or_default().push(p[0] - root.start_ns);
        }
        remainder = subtract(&remainder, &tss);
        let after = magnitude(&remainder);
        flat_assist.insert(reason.to_string(), unaccounted - after);
        unaccounted = after;
    }
    let mut flat_wait = BTreeMap::new();
    for reason in WAIT_PREF {
        let tss = all_waits.remove(reason).unwrap_or_default();
        for p in subtract(&tss, &not(&remainder, window)) {
            flat.start_wait.entry(reason.into()).or_default().push(p[0] - root.start_ns);
        }
        remainder = subtract(&remainder, &tss);
        let after = magnitude(&remainder);
        flat_wait.insert(reason.to_string(), unaccounted - after);
        unaccounted = after;
    }
    total_assist.retain(|_, v| *v != 0);
    flat_assist.retain(|_, v| *v != 0);
    flat_wait.retain(|_, v| *v != 0);
    TreeSummary {
        length_ns: root.length_ns,
        total_run_ns: total_run,
        total_assist_ns: total_assist,
        flat_run_ns: flat_run,
        flat_assist_ns: flat_assist,
        flat_wait_ns: flat_wait,
        flat,
        root,
    }
}

/// The kind etviz leaves out of pictures: net/http's background read of a
/// server connection, which outlives the request that started it.
pub const BACKGROUND_READ: &str = "net/http.(*connReader).backgroundRead";

/// etviz's filter: requests rooted at a background read are dropped, and
/// background reads are cut from the others' trees (with what they caused).
pub fn drop_background_reads(summaries: Vec<TreeSummary>) -> Vec<TreeSummary> {
    fn prune(s: &mut Span) {
        if let Some(c) = s.caused.take() {
            let kept: Vec<Span> = c.into_iter().filter(|x| x.kind != BACKGROUND_READ).collect();
            if !kept.is_empty() {
                s.caused = Some(kept);
            }
        }
        if let Some(c) = &mut s.caused {
            for x in c {
                prune(x);
            }
        }
    }
    summaries
        .into_iter()
        .filter_map(|mut s| {
            prune(&mut s.root);
            (s.root.kind != BACKGROUND_READ).then_some(s)
        })
        .collect()
}
