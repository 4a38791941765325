//! A loader that streams chunks out of the builder and gives each back once
//! appended (`TableBuilder::reuse`, as the CLI does) sees the same
//! transitions as one that takes the tables whole: refilled columns start
//! empty and the reasons' dictionary carries on.

use std::path::Path;

use schedstat_tables::{GTransitions, PTransitions, TableBuilder, TraceTables};

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

fn rows(t: &TraceTables, g: &mut Vec<String>, p: &mut Vec<String>) {
    g_rows(&t.g_transitions, g);
    p_rows(&t.p_transitions, p);
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
        let (mut g_streamed, mut p_streamed) = (Vec::new(), Vec::new());
        let mut appended: Option<TraceTables> = None;
        let mut r = gotrace::Reader::new(&bytes).unwrap();
        while let Ok(Some(ev)) = r.read_event() {
            whole.add(&ev);
            streamed.add(&ev);
            if streamed.pending_rows() >= 700 {
                let chunk = streamed.take_rows();
                rows(&chunk, &mut g_streamed, &mut p_streamed);
                // The chunk before is given back once this one is taken, as the CLI does.
                if let Some(spent) = appended.replace(chunk) {
                    streamed.reuse(spent);
                    reused += 1;
                }
            }
        }
        rows(&streamed.finish(), &mut g_streamed, &mut p_streamed);
        let (mut g_whole, mut p_whole) = (Vec::new(), Vec::new());
        rows(&whole.finish(), &mut g_whole, &mut p_whole);
        assert!(g_streamed == g_whole, "{}: goroutine transitions differ", path.display());
        assert!(p_streamed == p_whole, "{}: proc transitions differ", path.display());
    }
    assert!(reused > 20, "only {reused} chunks were given back");
}
