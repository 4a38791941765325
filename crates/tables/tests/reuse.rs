//! A loader that streams chunks out of the builder and gives each back once
//! appended (`TableBuilder::reuse`, as the CLI does) sees the same rows as
//! one that takes the tables whole: refilled columns start empty, the
//! reasons' dictionary carries on, and tasks and regions leave the builder
//! as they end, so that it holds only the open ones.

use std::path::Path;

use schedstat_tables::{GTransitions, PTransitions, Regions, TableBuilder, Tasks, TraceTables};

fn g_rows(g: &GTransitions, out: &mut Vec<String>) {
    for i in 0..g.g.len() {
        out.push(format!(
            "{:?} {} {} {:?} {} {} {:?} {:?} {:?} {:?} {:?}",
            g.g[i],
            g.from_state[i],
            g.to_state[i],
            g.reason_text(i),
            g.duration_ns[i],
            g.end_time_ns[i],
            g.stack_id[i],
            g.src_stack_id[i],
            g.src_g[i],
            g.src_m[i],
            g.src_p[i]
        ));
    }
}

fn p_rows(p: &PTransitions, out: &mut Vec<String>) {
    for i in 0..p.p.len() {
        out.push(format!(
            "{:?} {} {} {} {} {:?} {:?} {:?}",
            p.p[i], p.from_state[i], p.to_state[i], p.duration_ns[i], p.end_time_ns[i], p.src_p[i], p.src_g[i], p.src_m[i]
        ));
    }
}

fn task_rows(t: &Tasks, out: &mut Vec<String>) {
    for i in 0..t.task_id.len() {
        out.push(format!(
            "task {} {:?} {} {:?} {:?} {:?} {:?} {:?}",
            t.task_id[i], t.parent_id[i], t.type_[i], t.start_time_ns[i], t.end_time_ns[i], t.start_g[i], t.end_g[i],
            t.start_stack_id[i]
        ));
    }
}

fn region_rows(r: &Regions, out: &mut Vec<String>) {
    for i in 0..r.g.len() {
        out.push(format!(
            "region {:?} {} {} {:?} {:?} {} {:?}",
            r.g[i], r.task_id[i], r.type_[i], r.start_time_ns[i], r.end_time_ns[i], r.depth[i], r.start_stack_id[i]
        ));
    }
}

/// The rows of the streamed tables: transitions in `g` and `p`; tasks,
/// regions and logs in `annotations`.
fn rows(t: &TraceTables, g: &mut Vec<String>, p: &mut Vec<String>, annotations: &mut Vec<String>) {
    g_rows(&t.g_transitions, g);
    p_rows(&t.p_transitions, p);
    task_rows(&t.tasks, annotations);
    region_rows(&t.regions, annotations);
    let l = &t.logs;
    for i in 0..l.task_id.len() {
        annotations.push(format!(
            "log {} {} {} {} {:?} {:?}",
            l.end_time_ns[i], l.task_id[i], l.category[i], l.message[i], l.src_g[i], l.src_stack_id[i]
        ));
    }
}

#[test]
fn reused_chunks_hold_what_whole_tables_hold() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures/go1.27");
    let mut reused = 0;
    for f in std::fs::read_dir(&dir).unwrap() {
        let path = f.unwrap().path();
        if path.extension().is_none_or(|e| e != "trace") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let (mut whole, mut streamed) = (TableBuilder::new(), TableBuilder::new());
        let (mut g_streamed, mut p_streamed, mut a_streamed) = (Vec::new(), Vec::new(), Vec::new());
        let mut appended: Option<TraceTables> = None;
        let mut r = gotrace::Reader::new(&bytes).unwrap();
        while let Ok(Some(ev)) = r.read_event() {
            whole.add(&ev);
            streamed.add(&ev);
            if streamed.pending_rows() >= 700 {
                let chunk = streamed.take_rows();
                rows(&chunk, &mut g_streamed, &mut p_streamed, &mut a_streamed);
                // The chunk before is given back once this one is taken, as the CLI does.
                if let Some(spent) = appended.replace(chunk) {
                    streamed.reuse(spent);
                    reused += 1;
                }
            }
        }
        rows(&streamed.finish(), &mut g_streamed, &mut p_streamed, &mut a_streamed);
        let (mut g_whole, mut p_whole, mut a_whole) = (Vec::new(), Vec::new(), Vec::new());
        rows(&whole.finish(), &mut g_whole, &mut p_whole, &mut a_whole);
        assert!(g_streamed == g_whole, "{}: goroutine transitions differ", path.display());
        assert!(p_streamed == p_whole, "{}: proc transitions differ", path.display());
        // Streamed tasks and regions come out in another interleaving with the
        // logs (each table keeps its own order).
        a_streamed.sort_by_key(|r| r.split(' ').next().map(str::to_string));
        a_whole.sort_by_key(|r| r.split(' ').next().map(str::to_string));
        assert!(a_streamed == a_whole, "{}: tasks, regions or logs differ", path.display());
    }
    assert!(reused > 20, "only {reused} chunks were given back");
}

/// The annotations scenario's `item` tasks (24, of which every 4th is never
/// ended: testdata/generator/annotations.go) leave the builder as they end:
/// with a chunk taken after every event, what is left at the end is only
/// what never ended, and every task appears once.
#[test]
fn tasks_and_regions_leave_the_builder_as_they_end() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures/go1.27/annotations.trace");
    let bytes = std::fs::read(&path).unwrap();
    let mut b = TableBuilder::new();
    let (mut tasks, mut regions) = (Tasks::default(), Regions::default());
    let mut ended_tasks = 0;
    let mut r = gotrace::Reader::new(&bytes).unwrap();
    while let Some(ev) = r.read_event().unwrap() {
        if ev.kind() == gotrace::EventKind::TaskEnd {
            ended_tasks += 1;
        }
        b.add(&ev);
        let chunk = b.take_rows();
        for i in 0..chunk.tasks.task_id.len() {
            assert!(chunk.tasks.end_time_ns[i].is_some(), "a task row before its end");
        }
        for i in 0..chunk.regions.g.len() {
            assert!(chunk.regions.end_time_ns[i].is_some(), "a region row before its end");
        }
        append_tasks(&mut tasks, chunk.tasks);
        append_regions(&mut regions, chunk.regions);
    }
    let rest = b.finish();
    assert!(rest.tasks.end_time_ns.iter().all(Option::is_none), "an ended task was held to the end");
    assert!(rest.regions.end_time_ns.iter().all(Option::is_none), "an ended region was held to the end");
    assert_eq!(tasks.task_id.len(), ended_tasks);
    let items = |t: &Tasks| (0..t.task_id.len()).filter(|&i| t.type_[i] == "item").count();
    assert_eq!(items(&tasks), 18, "the scenario's ended item tasks");
    assert_eq!(items(&rest.tasks), 6, "the scenario's open item tasks");
    for i in 0..tasks.task_id.len() {
        if let (Some(s), Some(e)) = (tasks.start_time_ns[i], tasks.end_time_ns[i]) {
            assert!(s <= e);
        }
    }
    append_tasks(&mut tasks, rest.tasks);
    append_regions(&mut regions, rest.regions);
    let mut ids = tasks.task_id.clone();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), tasks.task_id.len(), "a task twice");
    assert!(!regions.g.is_empty());
    for i in 0..regions.g.len() {
        assert!(regions.depth[i] >= 0);
        if let (Some(s), Some(e)) = (regions.start_time_ns[i], regions.end_time_ns[i]) {
            assert!(s <= e);
        }
    }
}

fn append_tasks(to: &mut Tasks, mut from: Tasks) {
    to.task_id.append(&mut from.task_id);
    to.parent_id.append(&mut from.parent_id);
    to.type_.append(&mut from.type_);
    to.start_time_ns.append(&mut from.start_time_ns);
    to.end_time_ns.append(&mut from.end_time_ns);
    to.start_g.append(&mut from.start_g);
    to.end_g.append(&mut from.end_g);
    to.start_stack_id.append(&mut from.start_stack_id);
}

fn append_regions(to: &mut Regions, mut from: Regions) {
    to.g.append(&mut from.g);
    to.task_id.append(&mut from.task_id);
    to.type_.append(&mut from.type_);
    to.start_time_ns.append(&mut from.start_time_ns);
    to.end_time_ns.append(&mut from.end_time_ns);
    to.depth.append(&mut from.depth);
    to.start_stack_id.append(&mut from.start_stack_id);
}

/// Every task and region row pairs the begin and end events a plain
/// per-ID (tasks) and per-goroutine stack (regions) pairing finds, on every
/// fixture of both formats: the builder's open rows, in slots that ended
/// ones free, keep pointing at the right begin.
#[test]
fn task_and_region_rows_pair_their_own_begin_and_end() {
    use std::collections::HashMap;
    let mut checked = 0;
    for ver in ["go1.21", "go1.27"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures").join(ver);
        for f in std::fs::read_dir(&dir).unwrap() {
            let path = f.unwrap().path();
            if path.extension().is_none_or(|e| e != "trace") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let mut b = TableBuilder::new();
            let (mut tasks, mut regions) = (Tasks::default(), Regions::default());
            let mut want: Vec<String> = Vec::new();
            let mut task_begins: HashMap<u64, i64> = HashMap::new();
            let mut region_stacks: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
            let mut r = gotrace::Reader::new(&bytes).unwrap();
            while let Ok(Some(ev)) = r.read_event() {
                match ev.kind() {
                    gotrace::EventKind::TaskBegin => {
                        task_begins.insert(ev.task().unwrap().id, ev.time());
                    }
                    gotrace::EventKind::TaskEnd => {
                        let t = ev.task().unwrap();
                        want.push(format!("task {} {:?} {}", t.id, task_begins.remove(&t.id), ev.time()));
                    }
                    gotrace::EventKind::RegionBegin => {
                        let kind = String::from_utf8_lossy(ev.region().unwrap().kind).into_owned();
                        region_stacks.entry(ev.goroutine()).or_default().push((ev.time(), kind));
                    }
                    gotrace::EventKind::RegionEnd => {
                        let kind = String::from_utf8_lossy(ev.region().unwrap().kind).into_owned();
                        let stack = region_stacks.entry(ev.goroutine()).or_default();
                        let depth = stack.len().saturating_sub(1);
                        match stack.pop() {
                            Some((start, begun)) => {
                                want.push(format!("region {} {begun} {:?} {} {depth}", ev.goroutine(), Some(start), ev.time()))
                            }
                            None => want.push(format!("region {} {kind} None {} 0", ev.goroutine(), ev.time())),
                        }
                    }
                    _ => {}
                }
                b.add(&ev);
                if b.pending_rows() >= 50 {
                    let chunk = b.take_rows();
                    append_tasks(&mut tasks, chunk.tasks);
                    append_regions(&mut regions, chunk.regions);
                }
            }
            let rest = b.finish();
            append_tasks(&mut tasks, rest.tasks);
            append_regions(&mut regions, rest.regions);
            let mut got: Vec<String> = Vec::new();
            for i in 0..tasks.task_id.len() {
                if let Some(end) = tasks.end_time_ns[i] {
                    got.push(format!("task {} {:?} {end}", tasks.task_id[i], tasks.start_time_ns[i]));
                }
            }
            for i in 0..regions.g.len() {
                if let Some(end) = regions.end_time_ns[i] {
                    let g = regions.g[i].unwrap_or(-1);
                    got.push(format!("region {g} {} {:?} {end} {}", regions.type_[i], regions.start_time_ns[i], regions.depth[i]));
                }
            }
            // Never-ended rows: one per begin left unpaired.
            let open_tasks = (0..tasks.task_id.len()).filter(|&i| tasks.end_time_ns[i].is_none()).count();
            let open_regions = (0..regions.g.len()).filter(|&i| regions.end_time_ns[i].is_none()).count();
            assert_eq!(open_tasks, task_begins.len(), "{}: open tasks", path.display());
            assert_eq!(open_regions, region_stacks.values().map(Vec::len).sum::<usize>(), "{}: open regions", path.display());
            checked += want.len();
            got.sort();
            want.sort();
            assert!(got == want, "{}: task or region rows differ from their events", path.display());
        }
    }
    assert!(checked > 250, "only {checked} ended tasks and regions");
}

/// Every goroutine transition row names its own event's reason, in every
/// generation of every fixture: the builder finds a reason's code by where
/// its bytes are in the generation's string table, and a later table may
/// hold other text at the same place.
#[test]
fn transition_rows_name_their_own_events_reason() {
    let mut checked = 0;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures");
    for ver in std::fs::read_dir(&root).unwrap() {
        for f in std::fs::read_dir(ver.unwrap().path()).unwrap() {
            let path = f.unwrap().path();
            if path.extension().is_none_or(|e| e != "trace") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let mut b = TableBuilder::new();
            let mut want: Vec<Option<String>> = Vec::new();
            let mut r = gotrace::Reader::new(&bytes).unwrap();
            while let Ok(Some(ev)) = r.read_event() {
                if let Some(st) = ev.state_transition() {
                    if let gotrace::Transition::Goroutine { .. } = st.transition {
                        want.push((!st.reason.is_empty()).then(|| String::from_utf8_lossy(st.reason).into_owned()));
                    }
                }
                b.add(&ev);
            }
            let t = b.finish();
            let g = &t.g_transitions;
            let got: Vec<Option<String>> = (0..g.g.len()).map(|i| g.reason_text(i).map(str::to_string)).collect();
            assert_eq!(got, want, "{}", path.display());
            checked += want.iter().filter(|r| r.is_some()).count();
        }
    }
    assert!(checked > 10_000, "only {checked} reasons");
}
