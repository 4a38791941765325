//! `schedstat states`: the graph of the state machines goroutines run through,
//! as grstates (the Go Tracing Toolbox) builds it.
//!
//! A node is a goroutine state together with the stack the goroutine had when
//! it entered that state (`Waiting` at `sync.(*Mutex).Lock` is another node
//! than `Waiting` at a channel receive); an edge counts how often goroutines
//! went from one node to the next. Run over a whole trace this shows what a
//! program's goroutines do, step by step, without instrumentation.
//!
//! The walk follows grstates event for event, because users compare the two
//! graphs:
//! - only goroutine state transitions count; the goroutine that runs the
//!   event ("origin", with the event's stack) and the one that changes state
//!   ("target", with the transition's stack) are both told;
//! - a goroutine status (a generation re-stating a goroutine's state) has no
//!   transition stack, as in golang.org/x/exp/trace;
//! - stacks are identified by their text (function, PC, file and line per
//!   frame), so equal stacks of different generations are one node;
//! - a Running→Runnable preemption and the Running that follows are skipped;
//!   so are asynchronous preemptions (no `runtime.Gosched` on the stack),
//!   stacks inside `runtime.mallocgc` (GC assists) and stacks with a line-0
//!   frame (go.dev/issue/68090);
//! - a transition without a stack only remembers its state (up to eight, the
//!   "via" of the next edge), except an exit;
//! - the drawing merges edges that differ only in "via", starts goroutines at
//!   "New goroutine" nodes and ends them at one `EXIT` node per final state.
//!
//! Where grstates's result depends on Go's random map order (two stacks that
//! differ only in PCs share a drawn node; which example labels an exit), the
//! counts are summed and the stack seen first gives the node its example, so
//! the output is deterministic.

use std::collections::{BTreeMap, HashMap};

use gotrace::event::NO_GOROUTINE;
use gotrace::wire::spec::ev as ev_type;
use gotrace::{Event, EventKind, GoId, GoState, Stack, Transition};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::grep::write_line;

/// A small multiplicative hasher (FxHash's) for the per-event maps: their
/// keys are a few integers, and SipHash's DoS resistance is not needed for
/// keys a trace can only pick from its own goroutines and stacks; SipHash was
/// a quarter of the command's time.
#[derive(Debug, Default, Clone, Copy)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(n as u64);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn write_isize(&mut self, n: isize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fx>>;

/// A canonical stack: index into [`StateBuilder::stacks`]; 0 is "no stack".
type StackId = u32;

/// Stack IDs below this are cached in a vector (a generation's IDs count up from 1).
const GEN_CACHE_LIMIT: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StackState {
    stack: StackId,
    state: GoState,
}

impl StackState {
    /// Stack and state in one word (the maps hash one word, not two fields).
    fn packed(&self) -> u64 {
        ((self.stack as u64) << 8) | self.state as u64
    }
}

impl std::hash::Hash for StackState {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64(self.packed());
    }
}

const NO_VIA: [GoState; 8] = [GoState::Undetermined; 8];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EdgeKey {
    from: StackState,
    to: StackState,
    via: [GoState; 8],
}

impl std::hash::Hash for EdgeKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        // Three words instead of eleven fields: this is hashed twice per transition.
        let via = self.via.iter().fold(0u64, |acc, s| (acc << 8) | *s as u64);
        h.write_u64(self.from.packed());
        h.write_u64(self.to.packed());
        h.write_u64(via);
    }
}

/// What grstates remembers of a stack.
#[derive(Debug, Clone, Default)]
struct StackInfo {
    /// (function, line), leaf first.
    frames: Vec<(String, u64)>,
    /// Some frame is `runtime.mallocgc` (the event is likely GC assist work).
    malloc: bool,
    /// Some frame has line 0 (go.dev/issue/68090 hides the real stack).
    buggy: bool,
}

/// The earliest event seen for a node or edge, as etgrep prints its line.
#[derive(Debug, Clone)]
struct Example {
    time: i64,
    line: String,
}

/// One goroutine's walk.
#[derive(Debug, Clone)]
struct Behaviors {
    edges: FxMap<EdgeKey, u64>,
    prev: StackState,
    via: [GoState; 8],
    current: GoState,
    preempted: bool,
}

impl Default for Behaviors {
    fn default() -> Self {
        Behaviors {
            edges: FxMap::default(),
            prev: StackState { stack: 0, state: GoState::Undetermined },
            via: NO_VIA,
            current: GoState::Undetermined,
            preempted: false,
        }
    }
}

/// Every goroutine's walk, by goroutine ID: a vector for the IDs a program
/// has (they count up from 1), a map for any larger one (a hostile file's).
#[derive(Debug, Default)]
struct Walks {
    dense: Vec<Option<Behaviors>>,
    sparse: FxMap<GoId, Behaviors>,
}

/// Goroutine IDs below this are indexed directly.
const DENSE_GOROUTINES: GoId = 1 << 22;

impl Walks {
    fn get_or_default(&mut self, g: GoId) -> &mut Behaviors {
        if (0..DENSE_GOROUTINES).contains(&g) {
            let i = g as usize;
            if i >= self.dense.len() {
                self.dense.resize_with(i + 1, || None);
            }
            self.dense[i].get_or_insert_with(Behaviors::default)
        } else {
            self.sparse.entry(g).or_default()
        }
    }

    fn get(&self, g: GoId) -> Option<&Behaviors> {
        if (0..DENSE_GOROUTINES).contains(&g) {
            self.dense.get(g as usize).and_then(Option::as_ref)
        } else {
            self.sparse.get(&g)
        }
    }

    /// Every goroutine with a walk, in ID order.
    fn ids(&self) -> Vec<GoId> {
        let mut ids: Vec<GoId> =
            self.dense.iter().enumerate().filter(|(_, b)| b.is_some()).map(|(g, _)| g as GoId).collect();
        ids.extend(self.sparse.keys().copied());
        ids.sort_unstable();
        ids
    }
}

/// Facts about the event that `notice` needs.
#[derive(Clone, Copy)]
struct EvFacts {
    from: GoState,
    to: GoState,
    /// Running→Runnable.
    preemption: bool,
    /// A preemption whose event stack lacks `runtime.Gosched`.
    async_preemption: bool,
    time: i64,
}

/// Folds events into goroutine state machines; [`StateBuilder::finish`] draws the graph.
#[derive(Debug, Default)]
pub struct StateBuilder {
    stacks: Vec<StackInfo>,
    by_text: FxMap<Vec<u8>, StackId>,
    /// This generation's stack IDs → canonical stacks + 1 (0: not seen yet);
    /// IDs restart each generation and are small, so a vector indexes them.
    gen_cache: Vec<StackId>,
    /// The same for IDs too large to index (only a hostile file has them).
    gen_cache_large: FxMap<u64, StackId>,
    goroutines: Walks,
    why_state: FxMap<StackState, Example>,
    why_edge: FxMap<EdgeKey, Example>,
    text_buf: Vec<u8>,
}

impl StateBuilder {
    /// An empty builder.
    pub fn new() -> StateBuilder {
        StateBuilder { stacks: vec![StackInfo::default()], ..Default::default() }
    }

    fn canonical(&mut self, s: &Stack<'_, '_>) -> StackId {
        if s.is_none() {
            return 0;
        }
        let key = s.id();
        let slot = usize::try_from(key).ok().filter(|&i| i < GEN_CACHE_LIMIT);
        match slot {
            Some(i) => {
                if let Some(&id) = self.gen_cache.get(i).filter(|&&id| id != 0) {
                    return id - 1;
                }
            }
            None => {
                if let Some(&id) = self.gen_cache_large.get(&key) {
                    return id;
                }
            }
        }
        use std::io::Write;
        self.text_buf.clear();
        let mut info = StackInfo::default();
        for f in s.frames() {
            self.text_buf.extend_from_slice(f.func);
            let _ = write!(self.text_buf, "@{:#x} ", f.pc);
            self.text_buf.extend_from_slice(f.file);
            let _ = writeln!(self.text_buf, ":{}", f.line);
            info.malloc |= f.func == b"runtime.mallocgc";
            info.buggy |= f.line == 0;
            info.frames.push((String::from_utf8_lossy(f.func).into_owned(), f.line));
        }
        // An empty stack prints like no stack, and grstates keys stacks by their text.
        let id = if self.text_buf.is_empty() {
            0
        } else if let Some(&id) = self.by_text.get(&self.text_buf) {
            id
        } else {
            let id = self.stacks.len() as StackId;
            self.stacks.push(info);
            self.by_text.insert(self.text_buf.clone(), id);
            id
        };
        match slot {
            Some(i) => {
                if i >= self.gen_cache.len() {
                    self.gen_cache.resize(i + 1, 0);
                }
                self.gen_cache[i] = id + 1;
            }
            None => {
                self.gen_cache_large.insert(key, id);
            }
        }
        id
    }

    /// Takes one event.
    pub fn event(&mut self, ev: &Event<'_>) {
        match ev.kind() {
            EventKind::Sync => {
                self.gen_cache.clear();
                self.gen_cache_large.clear();
                return;
            }
            EventKind::StateTransition => {}
            _ => return,
        }
        let Some(st) = ev.state_transition() else { return };
        let Transition::Goroutine { id: dst, from, to } = st.transition else { return };
        let src = ev.goroutine();
        let ev_stack = ev.stack();
        let src_stk = self.canonical(&ev_stack);
        // golang.org/x/exp/trace, which grstates reads with, gives a goroutine
        // status (the state a goroutine is in when a generation starts) no
        // transition stack; Go 1.27 gives it one. Without it, as in grstates,
        // a re-stated Waiting is no Waiting→Waiting self-loop.
        let status = matches!(ev.wire_type(), ev_type::GO_STATUS | ev_type::GO_STATUS_STACK);
        let dst_stk = if status { 0 } else { self.canonical(&st.stack) };
        let preemption = from == GoState::Running && to == GoState::Runnable;
        let async_preemption = preemption && !ev_stack.frames().any(|f| f.func == b"runtime.Gosched");
        let facts = EvFacts { from, to, preemption, async_preemption, time: ev.time() };
        if src != dst {
            if src != NO_GOROUTINE {
                self.origin(src, &facts, ev, src_stk);
            }
            if dst != NO_GOROUTINE {
                self.target(dst, &facts, ev, dst_stk);
            }
        } else if src != NO_GOROUTINE {
            self.target(src, &facts, ev, src_stk);
        }
    }

    fn excluded(&self, f: &EvFacts, stk: StackId) -> bool {
        let s = &self.stacks[stk as usize];
        f.async_preemption || s.malloc || s.buggy
    }

    /// The goroutine running the event caused another's transition.
    fn origin(&mut self, g: GoId, f: &EvFacts, ev: &Event<'_>, stk: StackId) {
        // The map is moved out while `notice` borrows the rest of self (a
        // pointer swap: one hash lookup per event instead of remove + insert).
        let mut gs = std::mem::take(&mut self.goroutines);
        let b = gs.get_or_default(g);
        if b.current == GoState::Undetermined {
            // It makes others change state, so it runs.
            b.current = GoState::Running;
        }
        if stk != 0 {
            let cur = b.current;
            self.notice(b, f, ev, stk, cur);
            if !self.excluded(f, stk) {
                b.prev = StackState { stack: stk, state: b.current };
            }
        }
        self.goroutines = gs;
    }

    /// The goroutine's own state changed.
    fn target(&mut self, g: GoId, f: &EvFacts, ev: &Event<'_>, stk: StackId) {
        let mut gs = std::mem::take(&mut self.goroutines);
        let b = gs.get_or_default(g);
        if f.from == GoState::NotExist {
            b.prev = StackState { stack: stk, state: f.from };
            offer(&mut self.why_state, b.prev, f.time, ev);
        }
        self.notice(b, f, ev, stk, f.to);
        b.current = f.to;
        self.goroutines = gs;
    }

    fn notice(&mut self, b: &mut Behaviors, f: &EvFacts, ev: &Event<'_>, stk: StackId, to: GoState) {
        if b.preempted {
            if to == GoState::Running {
                return;
            }
            b.preempted = false;
        }
        if f.preemption {
            b.preempted = true;
        }
        if self.excluded(f, stk) {
            return;
        }
        if stk == 0 && to != GoState::NotExist {
            b.via.copy_within(0..7, 1);
            b.via[0] = to;
            return;
        }
        let next = StackState { stack: stk, state: to };
        let edge = EdgeKey { from: b.prev, to: next, via: b.via };
        match b.edges.entry(edge) {
            // Seen before by this goroutine: the edge and its state have
            // their examples already, and events come in strictly increasing
            // time, so no later one replaces them.
            std::collections::hash_map::Entry::Occupied(mut o) => *o.get_mut() += 1,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(1);
                offer(&mut self.why_edge, edge, f.time, ev);
                offer(&mut self.why_state, next, f.time, ev);
            }
        }
        b.prev = next;
        b.via = NO_VIA;
    }

    /// The node label's text without "New goroutine": the state, then one
    /// `function:line` per frame from the root to the leaf, each line ended.
    fn short(&self, s: StackState) -> String {
        let mut out = String::from(s.state.as_str());
        out.push('\n');
        for (func, line) in self.stacks[s.stack as usize].frames.iter().rev() {
            out.push_str(func);
            out.push(':');
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }

    /// Draws the graph.
    pub fn finish(self) -> StateGraph {
        let goids = self.goroutines.ids();
        let example = |e: Option<&Example>| e.map(|e| e.line.clone());
        let earliest = |a: Option<&Example>, b: Option<&Example>| -> bool {
            // Whether b is earlier than a.
            match (a, b) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(a), Some(b)) => b.time < a.time,
            }
        };

        let mut all: HashMap<StackState, u64> = HashMap::new();
        let mut init: HashMap<StackState, u64> = HashMap::new();
        let mut init_why: HashMap<StackState, Option<String>> = HashMap::new();
        let mut finals: HashMap<StackState, u64> = HashMap::new();
        let mut final_why: HashMap<StackState, Option<String>> = HashMap::new();
        // Edges merged over "via"; with the earliest example of any of them.
        let mut edges: HashMap<(StackState, StackState), (u64, Option<&Example>)> = HashMap::new();
        for g in goids {
            let b = self.goroutines.get(g).expect("listed");
            // Per goroutine, the exit/initial example: the earliest among its edges.
            let mut g_init: HashMap<StackState, Option<&Example>> = HashMap::new();
            let mut g_final: HashMap<StackState, Option<&Example>> = HashMap::new();
            for (e, &count) in &b.edges {
                if e.from.stack == 0 {
                    continue;
                }
                if e.from.state == GoState::NotExist {
                    *init.entry(e.to).or_insert(0) += 1;
                    let cand = self.why_state.get(&e.from);
                    let slot = g_init.entry(e.to).or_insert(None);
                    if slot.is_none() || earliest(*slot, cand) {
                        *slot = cand;
                    }
                    continue;
                }
                if e.to.state == GoState::NotExist {
                    *finals.entry(e.from).or_insert(0) += 1;
                    let cand = self.why_edge.get(e);
                    let slot = g_final.entry(e.from).or_insert(None);
                    if slot.is_none() || earliest(*slot, cand) {
                        *slot = cand;
                    }
                    continue;
                }
                *all.entry(e.to).or_insert(0) += 1;
                *all.entry(e.from).or_insert(0) += 1;
                let slot = edges.entry((e.from, e.to)).or_insert((0, None));
                slot.0 += count;
                let cand = self.why_edge.get(e);
                if earliest(slot.1, cand) {
                    slot.1 = cand;
                }
            }
            // Later goroutines overwrite earlier ones, as in grstates.
            for (k, v) in g_init {
                init_why.insert(k, example(v));
            }
            for (k, v) in g_final {
                final_why.insert(k, example(v));
            }
        }

        let max_weight = edges.values().map(|e| e.0).max().unwrap_or(0);
        let penwidth = |count: u64| 4.0 * ((count as f64).ln() / (max_weight as f64).ln()) + 1.0;

        // Nodes by drawn key; counts of keys shared by several stacks add up.
        struct NodeAcc {
            kind: NodeKind,
            state: StackState,
            count: u64,
            example: Option<String>,
        }
        let mut nodes: BTreeMap<String, NodeAcc> = BTreeMap::new();
        // Stacks that draw alike share a node: the one seen first (lowest
        // canonical ID) gives it its example, whatever the maps' order.
        let by_stack = |m: &HashMap<StackState, u64>| {
            let mut v: Vec<(StackState, u64)> = m.iter().map(|(k, v)| (*k, *v)).collect();
            v.sort_by_key(|(ss, _)| ss.packed());
            v
        };
        for (ss, count) in &by_stack(&init) {
            let acc = nodes.entry(self.short(*ss)).or_insert(NodeAcc {
                kind: NodeKind::Initial,
                state: *ss,
                count: 0,
                example: init_why.get(ss).cloned().flatten(),
            });
            acc.count += count;
        }
        for (ss, count) in &by_stack(&all) {
            if init.contains_key(ss) {
                continue;
            }
            let acc = nodes.entry(self.short(*ss)).or_insert(NodeAcc {
                kind: NodeKind::State,
                state: *ss,
                count: 0,
                example: self.why_state.get(ss).map(|e| e.line.clone()),
            });
            acc.count += count;
        }
        let mut out_nodes: Vec<Node> = Vec::new();
        let mut out_edges: Vec<Edge> = Vec::new();
        let make_node = |key: &str, acc: &NodeAcc| {
            let frames = self.stacks[acc.state.stack as usize]
                .frames
                .iter()
                .rev()
                .map(|(func, line)| LabelFrame { func: func.clone(), line: *line })
                .collect();
            let (label, tooltip) = match acc.kind {
                NodeKind::Initial => (format!("New goroutine\n{key}"), acc.example.clone().unwrap_or_default()),
                _ => (key.to_string(), format!("example: {}", acc.example.clone().unwrap_or_default())),
            };
            Node {
                id: node_id(key),
                key: key.to_string(),
                kind: acc.kind,
                state: acc.state.state.as_str(),
                frames,
                label,
                count: acc.count,
                tooltip,
            }
        };
        for kind in [NodeKind::Initial, NodeKind::State] {
            let mut list: Vec<(&String, &NodeAcc)> = nodes.iter().filter(|(_, a)| a.kind == kind).collect();
            list.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
            out_nodes.extend(list.into_iter().map(|(k, a)| make_node(k, a)));
        }
        // Exit nodes: one per final state, by key.
        let mut exits: BTreeMap<String, (StackState, u64)> = BTreeMap::new();
        for (ss, count) in &by_stack(&finals) {
            let e = exits.entry(format!("EXIT_{}", self.short(*ss))).or_insert((*ss, 0));
            e.1 += count;
        }
        for (key, (ss, count)) in &exits {
            let tooltip = format!("example: {}", final_why.get(ss).cloned().flatten().unwrap_or_default());
            out_nodes.push(Node {
                id: node_id(key),
                key: key.clone(),
                kind: NodeKind::Exit,
                state: "EXIT",
                frames: Vec::new(),
                label: "EXIT".into(),
                count: *count,
                tooltip: tooltip.clone(),
            });
            let from = self.short(*ss);
            out_edges.push(Edge { from: node_id(&from), to: node_id(key), from_key: from, to_key: key.clone(), count: *count, penwidth: penwidth(*count), tooltip });
        }
        // Edges by drawn key; keys shared by several stacks add up.
        let mut drawn: BTreeMap<(String, String), (u64, Option<&Example>)> = BTreeMap::new();
        for ((from, to), (count, ex)) in &edges {
            let slot = drawn.entry((self.short(*from), self.short(*to))).or_insert((0, None));
            slot.0 += count;
            if earliest(slot.1, *ex) {
                slot.1 = *ex;
            }
        }
        for ((from, to), (count, ex)) in drawn {
            out_edges.push(Edge {
                from: node_id(&from),
                to: node_id(&to),
                from_key: from,
                to_key: to,
                count,
                penwidth: penwidth(count),
                tooltip: format!("example: {}", example(ex).unwrap_or_default()),
            });
        }
        out_edges.sort_by(|a, b| (&a.from_key, &a.to_key).cmp(&(&b.from_key, &b.to_key)));
        StateGraph { nodes: out_nodes, edges: out_edges, max_weight }
    }
}

fn offer<K: std::hash::Hash + Eq>(map: &mut FxMap<K, Example>, key: K, time: i64, ev: &Event<'_>) {
    if let Some(prev) = map.get(&key) {
        if time > prev.time {
            return;
        }
    }
    let mut line = Vec::with_capacity(128);
    let _ = write_line(ev, &mut line);
    map.insert(key, Example { time, line: String::from_utf8_lossy(&line).into_owned() });
}

/// grstates's node name: `h` and the SHA-256 of the node's key, in hex.
pub fn node_id(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut s = String::with_capacity(65);
    s.push('h');
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// The first state of new goroutines (drawn as an ellipse, "New goroutine").
    Initial,
    /// A state with a stack (a box).
    State,
    /// Goroutines ending after a state (an ellipse, "EXIT").
    Exit,
}

/// A frame of a node's stack, as the label shows it.
#[derive(Debug, Clone, Serialize)]
pub struct LabelFrame {
    /// Function name.
    pub func: String,
    /// Line number.
    pub line: u64,
}

/// A node of the state graph.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// grstates's DOT node name (`h` + SHA-256 of `key`), so graphs compare by ID.
    pub id: String,
    /// The key the ID hashes: state and frames (`EXIT_` in front for exits).
    pub key: String,
    /// Initial, state or exit.
    pub kind: NodeKind,
    /// The goroutine state (`EXIT` for exit nodes).
    pub state: &'static str,
    /// The stack, root first.
    pub frames: Vec<LabelFrame>,
    /// The label text (lines separated by `\n`).
    pub label: String,
    /// How many per-goroutine distinct transitions touch the node (grstates's ranking).
    pub count: u64,
    /// The earliest event that led here, as etgrep prints it.
    pub tooltip: String,
}

/// An edge of the state graph.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    /// Source node ID.
    pub from: String,
    /// Target node ID.
    pub to: String,
    /// Source node key.
    pub from_key: String,
    /// Target node key.
    pub to_key: String,
    /// Transitions along the edge (DOT `weight`).
    pub count: u64,
    /// grstates's line width: 1 + 4·ln(count)/ln(max count).
    pub penwidth: f64,
    /// The earliest event along the edge, as etgrep prints it.
    pub tooltip: String,
}

/// The drawn graph: nodes in grstates's order, edges by (from, to) key.
#[derive(Debug, Clone, Serialize)]
pub struct StateGraph {
    /// Initial nodes (most common first), state nodes (likewise), exit nodes.
    pub nodes: Vec<Node>,
    /// Edges, by source then target key.
    pub edges: Vec<Edge>,
    /// The largest count among state-to-state edges (the penwidth scale).
    pub max_weight: u64,
}
