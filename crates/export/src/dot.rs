//! Graphviz DOT for `schedstat states`: the goroutine state graph written
//! exactly as grstates (the Go Tracing Toolbox) writes it, so its users'
//! `dot` pipelines, diffs and node IDs keep working.
//!
//! The layout of the text: `digraph A {`, `size="100,100";`, one line per
//! node (`shape`, `label`, `tooltip`, `comment`; labels left-justified with
//! `\l` per line), one line per edge (`weight`, `penwidth` with six decimals,
//! `tooltip`, `comment`), `}`. Strings are Go-quoted (`%q`).

use std::io::{self, Write};

use analysis::toolbox::states::{NodeKind, StateGraph};
use gotrace::quote::GoQuoted;

/// grstates's label quoting: each line Go-quoted without its quotes, lines
/// joined by `\l` (left-justified), the whole in quotes.
fn left_escape(label: &str) -> String {
    let parts: Vec<String> = label
        .split('\n')
        .map(|p| {
            let q = GoQuoted(p.as_bytes()).to_string();
            q[1..q.len() - 1].to_string()
        })
        .collect();
    format!("\"{}\"", parts.join("\\l"))
}

/// Go's `%f` (six decimals; `NaN`, `+Inf`, `-Inf` spelled as Go spells them).
fn go_f(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{x:.6}")
    }
}

/// Writes the graph as DOT.
pub fn write_states<W: Write>(g: &StateGraph, w: &mut W) -> io::Result<()> {
    writeln!(w, "digraph A {{")?;
    writeln!(w, "\tsize=\"100,100\";")?;
    for n in &g.nodes {
        let shape = if n.kind == NodeKind::State { "box" } else { "ellipse" };
        let tip = GoQuoted(n.tooltip.as_bytes());
        writeln!(w, "\t{} [shape={shape},label={},tooltip={tip},comment={tip}];", n.id, left_escape(&n.label))?;
    }
    for e in &g.edges {
        let tip = GoQuoted(e.tooltip.as_bytes());
        writeln!(
            w,
            "\t{} -> {} [weight={},penwidth={},tooltip={tip},comment={tip}];",
            e.from,
            e.to,
            e.count,
            go_f(e.penwidth)
        )?;
    }
    writeln!(w, "}}")
}

/// Makes Graphviz's SVG fill the browser window, as pprof's (and grstates's)
/// SVG output does: the `<svg>` element's width and height become 100%, so
/// big graphs are scrolled and zoomed by the browser rather than cut.
pub fn massage_svg(svg: &str) -> String {
    let Some(start) = svg.find("<svg") else { return svg.to_string() };
    let Some(len) = svg[start..].find('>') else { return svg.to_string() };
    let tag = &svg[start..start + len];
    let mut new_tag = tag.to_string();
    for attr in ["width", "height"] {
        let key = format!(" {attr}=\"");
        if let Some(i) = new_tag.find(&key) {
            let vstart = i + key.len();
            if let Some(vlen) = new_tag[vstart..].find('"') {
                new_tag.replace_range(vstart..vstart + vlen, "100%");
            }
        }
    }
    format!("{}{}{}", &svg[..start], new_tag, &svg[start + len..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_numbers_as_grstates() {
        assert_eq!(left_escape("New goroutine\nRunnable\nmain.main:12\n"), r#""New goroutine\lRunnable\lmain.main:12\l""#);
        assert_eq!(left_escape("EXIT"), r#""EXIT""#);
        assert_eq!(go_f(1.0), "1.000000");
        assert_eq!(go_f(f64::NAN), "NaN");
        assert_eq!(go_f(f64::INFINITY), "+Inf");
        let svg = "<?xml?>\n<svg width=\"100pt\" height=\"50pt\" viewBox=\"0 0 1 1\">\n</svg>";
        assert!(massage_svg(svg).contains("<svg width=\"100%\" height=\"100%\" viewBox"));
    }
}
