//! Stack patterns: the language the Go Tracing Toolbox uses to pick goroutines
//! by what is on their stack (etgrep's `-match`, regiongraph's region
//! matchers), as one matcher every toolbox command shares.
//!
//! A pattern is a list of specs matched against a stack from its ROOT (the
//! goroutine's entry function) to its LEAF, every frame consumed:
//! - `**` matches zero or more frames (a run of `**` counts as one);
//! - anything else is a regular expression (RE2 syntax, as Go's `regexp`)
//!   matched unanchored against ONE frame's function name, so `^…$` anchors it
//!   to the whole name and `.` serves as a wildcard for `(*` and `)`
//!   (`net/http...conn..serve`).
//!
//! Before matching, a function name loses everything up to its last
//! `/vendor/` and a leading `vendor/` (vendored packages match their own
//! import path).
//!
//! The toolbox's matcher has quirks its users' patterns rely on, kept here:
//! a trailing `**` needs at least one frame (`a **` does not match the stack
//! `[a]`), an empty list matches only an empty stack, and an empty stack
//! matches only an empty list or a lone `**`.
//!
//! [`EventMatch`] adds etgrep's event-kind word in front: `KIND "spec" …`.

use gotrace::EventKind;
use regex::bytes::Regex;

/// One element of a [`StackPattern`].
#[derive(Debug, Clone)]
enum Spec {
    /// `**`: zero or more frames.
    Any,
    /// One frame whose (vendor-trimmed) function name matches.
    Re(Regex),
}

/// Why a pattern was refused: the message and where in the pattern text the
/// bad token starts (a byte offset), so the error can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// What is wrong, one line.
    pub message: String,
    /// Byte offset of the offending token in the text given to the parser.
    pub offset: usize,
}

impl PatternError {
    /// The message followed by the pattern with the bad token marked, in one
    /// line: `unknown event kind "Foo" at column 1 in: Foo "**"`.
    pub fn render(&self, text: &str) -> String {
        format!("{} at column {} in: {}", self.message, column(text, self.offset), text)
    }
}

/// 1-based character column of a byte offset.
fn column(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len())).map(|s| s.chars().count()).unwrap_or(offset) + 1
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for PatternError {}

/// A compiled list of stack-frame specs (see the module docs for the language).
#[derive(Debug, Clone)]
pub struct StackPattern {
    specs: Vec<Spec>,
    /// The specs as written, for display and JSON.
    source: Vec<String>,
}

impl StackPattern {
    /// Compiles specs; the error's offset is the index of the bad spec (callers
    /// that parsed the specs from text translate it to a text offset).
    pub fn new<S: AsRef<str>>(specs: &[S]) -> Result<StackPattern, (usize, String)> {
        let mut out: Vec<Spec> = Vec::with_capacity(specs.len());
        for (i, s) in specs.iter().enumerate() {
            let s = s.as_ref();
            if s == "**" {
                if !matches!(out.last(), Some(Spec::Any)) {
                    out.push(Spec::Any);
                }
                continue;
            }
            match Regex::new(s) {
                Ok(re) => out.push(Spec::Re(re)),
                Err(e) => return Err((i, one_line_regex_error(s, &e))),
            }
        }
        Ok(StackPattern { specs: out, source: specs.iter().map(|s| s.as_ref().to_string()).collect() })
    }

    /// The specs as written.
    pub fn specs(&self) -> &[String] {
        &self.source
    }

    /// Whether a stack, given as its function names LEAF FIRST (the order
    /// traces store frames in), matches.
    pub fn matches_leaf_first(&self, funcs: &[&[u8]]) -> bool {
        let n = self.specs.len();
        if funcs.is_empty() {
            return n == 0 || (n == 1 && matches!(self.specs[0], Spec::Any));
        }
        // The matcher is an NFA whose state is "how many specs are consumed";
        // a set of states is a bitmap over 0..=n.
        let mut cur = vec![false; n + 1];
        let mut next = vec![false; n + 1];
        cur[0] = true;
        for f in funcs.iter().rev() {
            let name = trim_vendor(f);
            next.iter_mut().for_each(|b| *b = false);
            let mut any_alive = false;
            for l in 0..n {
                if !cur[l] {
                    continue;
                }
                match &self.specs[l] {
                    Spec::Any => {
                        // The frame is inside the `**`, or is its last frame...
                        next[l] = true;
                        next[l + 1] = true;
                        // ...or the `**` is empty and the next spec takes the frame.
                        if let Some(Spec::Re(re)) = self.specs.get(l + 1) {
                            if re.is_match(name) {
                                next[l + 2] = true;
                            }
                        }
                        any_alive = true;
                    }
                    Spec::Re(re) => {
                        if re.is_match(name) {
                            next[l + 1] = true;
                            any_alive = true;
                        }
                    }
                }
            }
            std::mem::swap(&mut cur, &mut next);
            if !any_alive {
                return false;
            }
        }
        cur[n]
    }
}

/// Go's regexp errors are one line; so are ours.
fn one_line_regex_error(spec: &str, e: &regex::Error) -> String {
    let detail = match e {
        regex::Error::Syntax(s) => s.lines().filter(|l| l.trim_start().starts_with("error:")).map(|l| l.trim().trim_start_matches("error: ")).next().unwrap_or("invalid syntax").to_string(),
        regex::Error::CompiledTooBig(_) => "pattern too large".to_string(),
        _ => e.to_string(),
    };
    format!("invalid regexp {}: {}", quote(spec), detail)
}

fn quote(s: &str) -> String {
    gotrace::quote::GoQuoted(s.as_bytes()).to_string()
}

/// A function name as the matcher sees it: everything through the last
/// `/vendor/` removed, then a leading `vendor/`.
pub fn trim_vendor(name: &[u8]) -> &[u8] {
    const V: &[u8] = b"/vendor/";
    let mut s = name;
    if let Some(i) = name.windows(V.len()).rposition(|w| w == V) {
        s = &name[i + V.len()..];
    }
    s.strip_prefix(b"vendor/".as_slice()).unwrap_or(s)
}

/// etgrep's `-match` value: an event kind (or `Any`) and a stack pattern.
#[derive(Debug, Clone)]
pub struct EventMatch {
    /// The kind to keep; `None` for `Any`.
    pub kind: Option<EventKind>,
    /// The stack pattern; `None` when no spec followed the kind word (then
    /// etgrep matches only events WITHOUT a stack, unless the kind is `Any`,
    /// which then matches everything).
    pub stack: Option<StackPattern>,
}

impl EventMatch {
    /// Parses `KIND "spec" "spec" …`: KIND is an event kind as Go spells it
    /// (`StateTransition`, `RangeBegin`, … — not `Bad`) or `Any`, separated from
    /// the specs by one space; specs are Go string literals, double-quoted
    /// with Go escapes or back-quoted raw, separated by blanks.
    pub fn parse(text: &str) -> Result<EventMatch, PatternError> {
        let (word, rest, rest_at) = match text.find(' ') {
            Some(i) => (&text[..i], Some(&text[i + 1..]), i + 1),
            None => (text, None, text.len()),
        };
        let kind = if word == "Any" {
            None
        } else {
            match EventKind::ALL.iter().skip(1).find(|k| k.as_str() == word) {
                Some(&k) => Some(k),
                None => {
                    let names: Vec<&str> = EventKind::ALL.iter().skip(1).map(|k| k.as_str()).collect();
                    return Err(PatternError {
                        message: format!("unknown event kind {} (use Any or one of {})", quote(word), names.join(", ")),
                        offset: 0,
                    });
                }
            }
        };
        let Some(rest) = rest else { return Ok(EventMatch { kind, stack: None }) };
        let (specs, offsets) = parse_go_strings(rest).map_err(|e| PatternError { offset: e.offset + rest_at, ..e })?;
        if specs.is_empty() {
            return Ok(EventMatch { kind, stack: None });
        }
        let stack = StackPattern::new(&specs)
            .map_err(|(i, message)| PatternError { message, offset: offsets[i] + rest_at })?;
        Ok(EventMatch { kind, stack: Some(stack) })
    }

    /// Whether the filter applies at all (etgrep skips it for a lone `Any`).
    pub fn is_active(&self) -> bool {
        self.kind.is_some() || self.stack.is_some()
    }

    /// Whether an event of this kind whose stack has these function names
    /// (leaf first; empty when it has no stack) passes.
    pub fn accepts(&self, kind: EventKind, funcs_leaf_first: &[&[u8]]) -> bool {
        if !self.is_active() {
            return true;
        }
        if self.kind.is_some_and(|k| k != kind) {
            return false;
        }
        match &self.stack {
            Some(p) => p.matches_leaf_first(funcs_leaf_first),
            None => funcs_leaf_first.is_empty(),
        }
    }
}

/// Splits blank-separated Go string literals (as `fmt.Fscanf("%q")` reads
/// them), returning each value and the byte offset where its literal starts.
pub(crate) fn parse_go_strings(s: &str) -> Result<(Vec<String>, Vec<usize>), PatternError> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut offs = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r') {
            i += 1;
        }
        if i == b.len() {
            return Ok((out, offs));
        }
        let start = i;
        match b[i] {
            b'`' => {
                let Some(len) = s[i + 1..].find('`') else {
                    return Err(PatternError { message: "unterminated raw string (missing closing `)".into(), offset: start });
                };
                out.push(s[i + 1..i + 1 + len].replace('\r', ""));
                i += len + 2;
            }
            b'"' => {
                let (v, end) = unquote_go(s, i)?;
                out.push(v);
                i = end;
            }
            _ => {
                let tok: String = s[i..].chars().take_while(|c| !c.is_whitespace()).collect();
                return Err(PatternError {
                    message: format!("expected a quoted stack spec such as \"**\" or \"sync...Mutex..Lock\", found {tok}"),
                    offset: start,
                });
            }
        }
        offs.push(start);
    }
}

/// Decodes the double-quoted Go literal starting at `s[at]` (`"`); returns the
/// value and the offset just after the closing quote.
fn unquote_go(s: &str, at: usize) -> Result<(String, usize), PatternError> {
    let bad = |message: String, offset: usize| PatternError { message, offset };
    let mut out = String::new();
    let mut chars = s[at + 1..].char_indices().map(|(j, c)| (j + at + 1, c)).peekable();
    while let Some((j, c)) = chars.next() {
        match c {
            '"' => return Ok((out, j + 1)),
            '\n' => return Err(bad("newline in quoted stack spec".into(), j)),
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                let hex = |chars: &mut std::iter::Peekable<_>, n: usize| -> Result<u32, PatternError> {
                    let mut v = 0u32;
                    for _ in 0..n {
                        let (_, d): (usize, char) = Iterator::next(chars).ok_or_else(|| bad("unterminated escape".into(), j))?;
                        v = v * 16 + d.to_digit(16).ok_or_else(|| bad(format!("invalid escape \\{e}"), j))?;
                    }
                    Ok(v)
                };
                let ch = match e {
                    'a' => '\x07',
                    'b' => '\x08',
                    'f' => '\x0c',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\x0b',
                    '\\' => '\\',
                    '"' => '"',
                    'x' => {
                        let v = hex(&mut chars, 2)?;
                        char::from_u32(v).filter(|_| v < 0x80).ok_or_else(|| bad("non-ASCII \\x escape in stack spec".into(), j))?
                    }
                    'u' => char::from_u32(hex(&mut chars, 4)?).ok_or_else(|| bad("invalid \\u escape".into(), j))?,
                    'U' => char::from_u32(hex(&mut chars, 8)?).ok_or_else(|| bad("invalid \\U escape".into(), j))?,
                    '0'..='7' => {
                        let mut v = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            let (_, d) = chars.next().ok_or_else(|| bad("unterminated escape".into(), j))?;
                            v = v * 8 + d.to_digit(8).ok_or_else(|| bad("invalid octal escape".into(), j))?;
                        }
                        char::from_u32(v).filter(|_| v < 0x80).ok_or_else(|| bad("non-ASCII octal escape in stack spec".into(), j))?
                    }
                    // Go's \. is no string escape: a regexp's backslash must be doubled ("\\.") or the spec back-quoted.
                    other => {
                        return Err(bad(
                            format!("invalid escape \\{other} in quoted stack spec (write \\\\{other}, or use `back quotes`)"),
                            j,
                        ))
                    }
                };
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    Err(bad("unterminated quoted stack spec (missing closing \")".into(), at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(stack_root_first: &[&str], specs: &[&str]) -> bool {
        let leaf_first: Vec<&[u8]> = stack_root_first.iter().rev().map(|s| s.as_bytes()).collect();
        StackPattern::new(specs).unwrap().matches_leaf_first(&leaf_first)
    }

    /// The toolbox's own test table (internal/match2), expressed root first.
    #[test]
    fn toolbox_cases() {
        let stk = ["a", "bee", "cee", "x/vendor/d", "e"];
        assert!(m(&stk, &["a", "**"]));
        assert!(!m(&stk, &["bee", "**"]));
        assert!(m(&stk, &["**", "bee", "**"]));
        assert!(m(&stk, &["**", "e"]));
        assert!(m(&stk, &["a", "ee", "ee", "**"]));
        assert!(!m(&stk, &["a", ".*", "^d$", ".*"]));
        assert!(m(&stk, &["a", ".*", ".*", "^d$", ".*"]));
        assert!(!m(&stk, &["**", "x", "**"]));
        assert!(m(&stk, &["**"]));
        assert!(m(&stk, &["**", "**", "e"]));
        assert!(m(&stk, &["**", "e", "**"]));
        assert!(m(&stk, &["**", "a", "**"]));
        assert!(m(&stk, &["a", "**", "bee", "**"]));
        assert!(m(&stk, &["a", "**", "**", "**", "bee", "**"]));
        assert!(m(&stk, &["a", "**", "^d$", "**"]));
        assert!(m(&stk, &["a", "**", "**", "**", "**", "**", "**", "^d$", "**"]));
        assert!(!m(&[], &["**", "f", "**"]));
    }

    #[test]
    fn quirks() {
        // A trailing ** needs a frame; a leading one does not.
        assert!(!m(&["a"], &["a", "**"]));
        assert!(m(&["a"], &["**", "a"]));
        assert!(m(&["a", "b"], &["a", "**", "b"]));
        // Empty specs match only the empty stack; the empty stack matches [] and [**].
        assert!(!m(&["a"], &[]));
        assert!(m(&[], &[]));
        assert!(m(&[], &["**"]));
        assert!(!m(&[], &["a"]));
        assert!(!m(&[], &["**", "**", "a"]));
    }

    #[test]
    fn vendor_trim() {
        assert_eq!(trim_vendor(b"vendor/golang.org/x/net/http2.foo"), b"golang.org/x/net/http2.foo");
        assert_eq!(trim_vendor(b"a/vendor/b/vendor/c.f"), b"c.f");
        assert_eq!(trim_vendor(b"main.f"), b"main.f");
    }

    #[test]
    fn event_match_parsing() {
        let e = EventMatch::parse(r#"StateTransition "net/http...conn..serve" "ServeHTTP" "**" "sync...Mutex..Lock""#).unwrap();
        assert_eq!(e.kind, Some(EventKind::StateTransition));
        assert_eq!(e.stack.as_ref().unwrap().specs().len(), 4);
        let any = EventMatch::parse("Any").unwrap();
        assert!(!any.is_active());
        let st = EventMatch::parse("StateTransition").unwrap();
        assert!(st.accepts(EventKind::StateTransition, &[]));
        assert!(!st.accepts(EventKind::StateTransition, &[b"main.main"]));
        let raw = EventMatch::parse("Any `^main\\.` \"**\"").unwrap();
        assert_eq!(raw.stack.unwrap().specs(), ["^main\\.", "**"]);
        let esc = EventMatch::parse(r#"Any "a\tb" "\x41\u00e9""#).unwrap();
        assert_eq!(esc.stack.unwrap().specs(), ["a\tb", "Aé"]);
    }

    #[test]
    fn errors_point_at_the_bad_token() {
        let e = EventMatch::parse(r#"Foo "**""#).unwrap_err();
        assert_eq!(e.offset, 0);
        assert!(e.message.contains("unknown event kind \"Foo\""), "{}", e.message);
        assert!(EventMatch::parse("Bad").is_err());
        let text = r#"Any "**" "sync.(Mutex" "x""#;
        let e = EventMatch::parse(text).unwrap_err();
        assert_eq!(e.offset, 9);
        assert!(e.message.starts_with("invalid regexp \"sync.(Mutex\""), "{}", e.message);
        assert!(e.render(text).contains("at column 10"), "{}", e.render(text));
        let e = EventMatch::parse(r#"Any "**" main"#).unwrap_err();
        assert_eq!(e.offset, 9);
        let e = EventMatch::parse(r#"Any "**" "open"#).unwrap_err();
        assert_eq!(e.offset, 9);
        let e = EventMatch::parse(r#"Any "a\.b""#).unwrap_err();
        assert_eq!(e.offset, 6);
    }
}
