//! Region kinds as data: the pattern file `schedstat requests --patterns`
//! reads, so users describe their own kinds of work without recompiling
//! (regiongraph's matchers are Go code). [`DEFAULT`] is regiongraph's
//! built-in set written in this language.
//!
//! ```text
//! # comment
//! kind NAME                     a region kind; the lines below describe it
//!   match "SPEC" "SPEC" ...     a stack pattern (etgrep's specs, root to leaf);
//!                               several match lines are alternatives
//!   start PRED ...              an event that opens a region (default: matching)
//!   continue PRED ...           an event that keeps it open (default: stackless matching)
//!   keep PRED ...               an event worth keeping at the region's end; events
//!                               after the last one kept are trimmed (default: keep all)
//!   single                      a region may be one event (otherwise two or more)
//!   flush-at-end                a region still open at the goroutine's last event counts
//!   shared                      its work serves other goroutines: it does not become
//!                               the reason of goroutines that already have one
//!   reactivate                  a start event inside an open region starts a new one
//!   enclosing                   of regions with the same bounds, this one is outermost
//! kind NAME between A B         from the end of each A region to the start of the
//!                               next B region on the same goroutine
//! ```
//!
//! A PRED list is any of `matching` (the event's stack matches a `match`
//! line), `stackless`, `stacked`, `any`, or an event type (`GoStart`,
//! `GoEnd`, `GoBlockNet`, …), optionally followed by `unless PRED ...`
//! (which wins).

use super::events::GKind;
use crate::toolbox::pattern::{parse_go_strings, StackPattern};

/// The built-in kinds (regiongraph's matchers).
pub const DEFAULT: &str = include_str!("default.patterns");

/// One condition on an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Atom {
    /// The stack matches one of the kind's patterns.
    Matching,
    /// The event has no stack.
    Stackless,
    /// The event has a stack.
    Stacked,
    /// Every event.
    Any,
    /// Events of this type.
    Kind(GKind),
}

/// `ATOM ... [unless ATOM ...]`.
#[derive(Debug, Clone, Default)]
pub struct Pred {
    /// Any of these...
    pub any_of: Vec<Atom>,
    /// ...unless one of these.
    pub unless: Vec<Atom>,
}

impl Pred {
    fn of(atoms: &[Atom]) -> Pred {
        Pred { any_of: atoms.to_vec(), unless: Vec::new() }
    }

    /// Evaluates the predicate; `matching` is asked only when needed.
    pub fn eval(&self, kind: GKind, stacked: bool, matching: &mut impl FnMut() -> bool) -> bool {
        let mut atom = |a: &Atom| match a {
            Atom::Matching => matching(),
            Atom::Stackless => !stacked,
            Atom::Stacked => stacked,
            Atom::Any => true,
            Atom::Kind(k) => *k == kind,
        };
        if self.unless.iter().any(&mut atom) {
            return false;
        }
        self.any_of.iter().any(atom)
    }
}

/// How a kind finds its regions.
#[derive(Debug, Clone)]
pub enum Finder {
    /// regiongraph's `GeneralTracker`.
    Tracker {
        /// Stack patterns (alternatives).
        patterns: Vec<StackPattern>,
        /// Opens a region.
        start: Pred,
        /// Keeps it open.
        keepalive: Pred,
        /// Marks events kept at the end (`None`: all).
        critical: Option<Pred>,
        /// One-event regions allowed.
        single: bool,
        /// A region open at the goroutine's end counts.
        flush_at_end: bool,
        /// Start events restart open regions.
        reactivate: bool,
    },
    /// The space between two earlier kinds' regions (indexes into the kinds).
    Between(usize, usize),
}

/// A region kind.
#[derive(Debug, Clone)]
pub struct Kind {
    /// Its name (`client/http_roundtrip`).
    pub name: String,
    /// Its work may be shared with unrelated goroutines.
    pub shared: bool,
    /// Outermost among regions with the same bounds.
    pub enclosing: bool,
    /// How its regions are found.
    pub finder: Finder,
}

/// A parsed pattern file.
#[derive(Debug, Clone)]
pub struct Patterns {
    /// The kinds, in the order they are tried.
    pub kinds: Vec<Kind>,
}

/// A bad pattern file: where (1-based line and character column) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternsError {
    /// Line number.
    pub line: usize,
    /// Column of the bad token.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for PatternsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for PatternsError {}

struct Draft {
    name: String,
    at: (usize, usize),
    patterns: Vec<StackPattern>,
    start: Option<Pred>,
    keepalive: Option<Pred>,
    critical: Option<Pred>,
    single: bool,
    flush_at_end: bool,
    shared: bool,
    reactivate: bool,
    enclosing: bool,
    between: Option<(usize, usize)>,
}

/// Words of a line with their byte offsets (strings kept whole).
fn words(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        out.push((start, &line[start..i]));
    }
    out
}

impl Patterns {
    /// The built-in kinds.
    pub fn builtin() -> Patterns {
        Patterns::parse(DEFAULT).expect("the built-in patterns parse")
    }

    /// Parses a pattern file.
    pub fn parse(text: &str) -> Result<Patterns, PatternsError> {
        let mut drafts: Vec<Draft> = Vec::new();
        for (ln, raw) in text.lines().enumerate() {
            let line_no = ln + 1;
            let line = match raw.find('#') {
                // A # inside a quoted spec is part of the regexp.
                Some(i) if !raw[..i].contains('"') && !raw[..i].contains('`') => &raw[..i],
                _ => raw,
            };
            let w = words(line);
            let Some(&(at0, first)) = w.first() else { continue };
            let err = |offset: usize, message: String| PatternsError {
                line: line_no,
                column: raw.get(..offset).map(|s| s.chars().count()).unwrap_or(offset) + 1,
                message,
            };
            if first == "kind" {
                let Some(&(_, name)) = w.get(1) else {
                    return Err(err(at0, "`kind` needs a name, as in `kind client/http_roundtrip`".into()));
                };
                if let Some(prev) = drafts.iter().find(|d| d.name == name) {
                    return Err(err(w[1].0, format!("kind {name} is already defined on line {}", prev.at.0)));
                }
                let mut between = None;
                if let Some(&(at, word)) = w.get(2) {
                    if word != "between" {
                        return Err(err(at, format!("unexpected {word:?} after the kind's name (only `between A B` may follow)")));
                    }
                    let (Some(&(a_at, a)), Some(&(b_at, b))) = (w.get(3), w.get(4)) else {
                        return Err(err(at, "`between` needs two earlier kinds, as in `between server/http_read server/http_write`".into()));
                    };
                    if let Some(&(x, extra)) = w.get(5) {
                        return Err(err(x, format!("unexpected {extra:?} after `between A B`")));
                    }
                    let find = |k: &str, at: usize| {
                        drafts.iter().position(|d| d.name == k).ok_or_else(|| {
                            err(at, format!("unknown kind {k:?} (`between` names kinds defined above it)"))
                        })
                    };
                    between = Some((find(a, a_at)?, find(b, b_at)?));
                }
                drafts.push(Draft {
                    name: name.to_string(),
                    at: (line_no, at0),
                    patterns: Vec::new(),
                    start: None,
                    keepalive: None,
                    critical: None,
                    single: false,
                    flush_at_end: false,
                    shared: false,
                    reactivate: false,
                    enclosing: false,
                    between,
                });
                continue;
            }
            let Some(d) = drafts.last_mut() else {
                return Err(err(at0, format!("{first:?} before any `kind NAME` line")));
            };
            let flag_only = |d: &Draft, word: &str| -> Result<(), PatternsError> {
                if d.between.is_some() {
                    return Err(err(at0, format!("{word:?} does not apply to a `between` kind")));
                }
                if let Some(&(x, extra)) = w.get(1) {
                    return Err(err(x, format!("unexpected {extra:?} after `{word}`")));
                }
                Ok(())
            };
            match first {
                "match" => {
                    if d.between.is_some() {
                        return Err(err(at0, "`match` does not apply to a `between` kind".into()));
                    }
                    let rest_at = at0 + first.len();
                    let (specs, offsets) = parse_go_strings(&line[rest_at..])
                        .map_err(|e| err(rest_at + e.offset, e.message))?;
                    if specs.is_empty() {
                        return Err(err(at0, "`match` needs at least one quoted spec, as in match \"**\" \"^net/http...Transport..RoundTrip$\" \"**\"".into()));
                    }
                    let p = StackPattern::new(&specs).map_err(|(i, m)| err(rest_at + offsets[i], m))?;
                    d.patterns.push(p);
                }
                "start" | "continue" | "keep" => {
                    if d.between.is_some() {
                        return Err(err(at0, format!("{first:?} does not apply to a `between` kind")));
                    }
                    let mut p = Pred::default();
                    let mut in_unless = false;
                    for &(at, word) in &w[1..] {
                        if word == "unless" {
                            if in_unless {
                                return Err(err(at, "`unless` twice".into()));
                            }
                            in_unless = true;
                            continue;
                        }
                        let atom = match word {
                            "matching" => Atom::Matching,
                            "stackless" => Atom::Stackless,
                            "stacked" => Atom::Stacked,
                            "any" => Atom::Any,
                            other => match GKind::by_name(other) {
                                Some(k) => Atom::Kind(k),
                                None => {
                                    return Err(err(
                                        at,
                                        format!(
                                            "unknown condition {other:?} (use matching, stackless, stacked, any, or an event type: {})",
                                            GKind::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                                        ),
                                    ))
                                }
                            },
                        };
                        if in_unless {
                            p.unless.push(atom);
                        } else {
                            p.any_of.push(atom);
                        }
                    }
                    let slot = match first {
                        "start" => &mut d.start,
                        "continue" => &mut d.keepalive,
                        _ => &mut d.critical,
                    };
                    if slot.is_some() {
                        return Err(err(at0, format!("`{first}` given twice for kind {}", d.name)));
                    }
                    *slot = Some(p);
                }
                "single" => {
                    flag_only(d, first)?;
                    d.single = true;
                }
                "flush-at-end" => {
                    flag_only(d, first)?;
                    d.flush_at_end = true;
                }
                "reactivate" => {
                    flag_only(d, first)?;
                    d.reactivate = true;
                }
                "shared" => {
                    if let Some(&(x, extra)) = w.get(1) {
                        return Err(err(x, format!("unexpected {extra:?} after `shared`")));
                    }
                    d.shared = true;
                }
                "enclosing" => {
                    if let Some(&(x, extra)) = w.get(1) {
                        return Err(err(x, format!("unexpected {extra:?} after `enclosing`")));
                    }
                    d.enclosing = true;
                }
                other => {
                    return Err(err(
                        at0,
                        format!(
                            "unknown directive {other:?} (use kind, match, start, continue, keep, single, flush-at-end, shared, reactivate, enclosing)"
                        ),
                    ))
                }
            }
        }
        if drafts.is_empty() {
            return Err(PatternsError { line: 1, column: 1, message: "no `kind NAME` in the pattern file".into() });
        }
        let mut kinds = Vec::new();
        for d in drafts {
            let finder = match d.between {
                Some((a, b)) => Finder::Between(a, b),
                None => {
                    if d.patterns.is_empty() {
                        return Err(PatternsError {
                            line: d.at.0,
                            column: d.at.1 + 1,
                            message: format!("kind {} has no `match` line", d.name),
                        });
                    }
                    Finder::Tracker {
                        patterns: d.patterns,
                        start: d.start.unwrap_or_else(|| Pred::of(&[Atom::Matching])),
                        keepalive: d.keepalive.unwrap_or_else(|| Pred::of(&[Atom::Stackless, Atom::Matching])),
                        critical: d.critical,
                        single: d.single,
                        flush_at_end: d.flush_at_end,
                        reactivate: d.reactivate,
                    }
                }
            };
            kinds.push(Kind { name: d.name, shared: d.shared, enclosing: d.enclosing, finder });
        }
        Ok(Patterns { kinds })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses() {
        let p = Patterns::builtin();
        let names: Vec<&str> = p.kinds.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "client/http_write",
                "client/http_read",
                "client/http_roundtrip",
                "client/http_dial",
                "client/http_dns",
                "server/http_read",
                "server/http_write",
                "server/http"
            ]
        );
        assert!(matches!(p.kinds[7].finder, Finder::Between(5, 6)));
        assert!(p.kinds[4].shared && p.kinds[2].enclosing);
    }

    #[test]
    fn errors_point_at_the_token() {
        let e = Patterns::parse("kind a\n  match \"**\"\n  continue stackles matching\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 12));
        assert!(e.message.starts_with("unknown condition \"stackles\""), "{}", e.message);
        let e = Patterns::parse("kind a\n  match \"**\" \"sync.(Mutex\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 14));
        assert!(e.message.starts_with("invalid regexp"), "{}", e.message);
        let e = Patterns::parse("kind a\n  match \"x\"\nkind b between a c\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 18));
        let e = Patterns::parse("  match \"x\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (1, 3));
        let e = Patterns::parse("kind a\n  single\n").unwrap_err();
        assert!(e.message.contains("no `match`"), "{}", e.message);
        let e = Patterns::parse("kind a\n  match \"x\"\n  singel\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 3));
    }
}
