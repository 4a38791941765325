//! Go's `strconv.Quote` (what `%q` prints), for byte strings that need not be UTF-8.

use std::fmt::{self, Write};

/// Displays bytes as Go's `%q` would: double-quoted, Go escapes, invalid UTF-8 as `\xNN`.
pub struct GoQuoted<'s>(pub &'s [u8]);

impl fmt::Display for GoQuoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        let mut rest = self.0;
        while !rest.is_empty() {
            // Fast path: a run of printable ASCII that needs no escaping.
            let plain = rest.iter().take_while(|&&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\').count();
            if plain > 0 {
                // The run is ASCII, hence valid UTF-8.
                f.write_str(std::str::from_utf8(&rest[..plain]).unwrap_or(""))?;
                rest = &rest[plain..];
                continue;
            }
            match decode_rune(rest) {
                Some((c, width)) => {
                    escape_rune(f, c)?;
                    rest = &rest[width..];
                }
                None => {
                    write!(f, "\\x{:02x}", rest[0])?;
                    rest = &rest[1..];
                }
            }
        }
        f.write_char('"')
    }
}

/// Decodes one UTF-8 scalar value at the start of `b`; `None` for an invalid encoding.
fn decode_rune(b: &[u8]) -> Option<(char, usize)> {
    let width = match b[0] {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let s = std::str::from_utf8(b.get(..width)?).ok()?;
    s.chars().next().map(|c| (c, width))
}

fn escape_rune(f: &mut fmt::Formatter<'_>, c: char) -> fmt::Result {
    match c {
        '"' => f.write_str("\\\""),
        '\\' => f.write_str("\\\\"),
        '\u{7}' => f.write_str("\\a"),
        '\u{8}' => f.write_str("\\b"),
        '\u{c}' => f.write_str("\\f"),
        '\n' => f.write_str("\\n"),
        '\r' => f.write_str("\\r"),
        '\t' => f.write_str("\\t"),
        '\u{b}' => f.write_str("\\v"),
        c if is_print(c) => f.write_char(c),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(f, "\\x{:02x}", c as u32),
        c if (c as u32) < 0x10000 => write!(f, "\\u{:04x}", c as u32),
        c => write!(f, "\\U{:08x}", c as u32),
    }
}

/// An approximation of Go's `strconv.IsPrint` without Unicode tables: everything but
/// controls, separators other than the ASCII space, common format characters and
/// private-use code points. Unassigned code points print as themselves here, while Go
/// escapes them; trace strings (function and file names) practically never hold any.
fn is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    let format_or_private = matches!(u,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2 | 0x180e
        | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f
        | 0xd800..=0xdfff | 0xe000..=0xf8ff | 0xfeff | 0xfff9..=0xfffb
        | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a
        | 0xe0001 | 0xe0020..=0xe007f | 0xf0000..=0x10ffff);
    !format_or_private && !(0xfdd0..=0xfdef).contains(&u) && (u & 0xfffe) != 0xfffe
}

#[cfg(test)]
mod tests {
    use super::GoQuoted;

    fn q(b: &[u8]) -> String {
        GoQuoted(b).to_string()
    }

    #[test]
    fn quotes_like_go() {
        assert_eq!(q(b"chan receive"), r#""chan receive""#);
        assert_eq!(q(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(q(b"\n\t\x00\x7f"), r#""\n\t\x00\x7f""#);
        assert_eq!(q("héllo ✓".as_bytes()), "\"héllo ✓\"");
        assert_eq!(q(b"\xff\xfe"), r#""\xff\xfe""#);
        assert_eq!(q("\u{a0}\u{200b}".as_bytes()), r#""\u00a0\u200b""#);
        assert_eq!(q(b""), r#""""#);
    }
}
