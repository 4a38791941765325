//! The wire layer: header, varints and batch framing of the v2 format.
//!
//! Nothing here knows about goroutines or ordering. It turns bytes into
//! batches (zero-copy slices of the input) and reports malformed input with
//! the same words Go's reader uses, so that error lines can be compared.

pub mod spec;

use crate::Error;

/// Trace format versions this reader knows, named after the header's minor number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// `go 1.5 trace`: the first format, written by Go 1.5 and 1.6. Its stacks
    /// are bare PCs (no symbols), so its events can be parsed but not read as a
    /// trace without the program's binary.
    Go105,
    /// `go 1.7 trace`: symbols, string table and per-goroutine sequence numbers.
    Go107,
    /// `go 1.8 trace`: goroutine labels and GC-assist blocking.
    Go108,
    /// `go 1.9 trace`: GC mark assists, sweep statistics.
    Go109,
    /// `go 1.10 trace`: stop-the-world kinds, global (not per-P) STW.
    Go110,
    /// `go 1.11 trace`: the old (unpartitioned) format, written by Go 1.11–1.18.
    Go111,
    /// `go 1.19 trace`: the old format with CPU samples, written by Go 1.19 and 1.20.
    Go119,
    /// `go 1.21 trace`: the old format with stop-the-world reasons, written by Go 1.21.
    Go121,
    /// `go 1.22 trace`: the first partitioned format.
    Go122,
    /// `go 1.23 trace`, written by Go 1.23 and 1.24.
    Go123,
    /// `go 1.25 trace`: sync batches with clock snapshots.
    Go125,
    /// `go 1.26 trace`, written by Go 1.26 and 1.27: explicit end-of-generation markers.
    Go126,
}

impl Version {
    /// The minor number as it appears in the header.
    pub fn minor(self) -> u32 {
        match self {
            Version::Go105 => 5,
            Version::Go107 => 7,
            Version::Go108 => 8,
            Version::Go109 => 9,
            Version::Go110 => 10,
            Version::Go111 => 11,
            Version::Go119 => 19,
            Version::Go121 => 21,
            Version::Go122 => 22,
            Version::Go123 => 23,
            Version::Go125 => 25,
            Version::Go126 => 26,
        }
    }

    /// How many entries of [`spec::SPECS`] belong to this version; used for names in errors.
    pub fn spec_len(self) -> usize {
        match self {
            Version::Go105
            | Version::Go107
            | Version::Go108
            | Version::Go109
            | Version::Go110
            | Version::Go111
            | Version::Go119
            | Version::Go121 => 0,
            Version::Go122 => spec::ev::USER_LOG as usize + 1,
            Version::Go123 => spec::ev::EXPERIMENTAL_BATCH as usize + 1,
            Version::Go125 => spec::ev::CLOCK_SNAPSHOT as usize + 1,
            Version::Go126 => spec::NUM_SPECS,
        }
    }

    /// The Go releases that write this header.
    pub fn written_by(self) -> &'static str {
        match self {
            Version::Go105 => "Go 1.5–1.6",
            Version::Go107 => "Go 1.7",
            Version::Go108 => "Go 1.8",
            Version::Go109 => "Go 1.9",
            Version::Go110 => "Go 1.10",
            Version::Go111 => "Go 1.11–1.18",
            Version::Go119 => "Go 1.19–1.20",
            Version::Go121 => "Go 1.21",
            Version::Go122 => "Go 1.22",
            Version::Go123 => "Go 1.23–1.24",
            Version::Go125 => "Go 1.25",
            Version::Go126 => "Go 1.26–1.27",
        }
    }

    /// Whether traces of this version use the old, unpartitioned format
    /// (read by [`crate::v1`]).
    pub fn is_old_format(self) -> bool {
        self < Version::Go122
    }

    /// Go's name for a wire event type in this version (`Invalid(N)` when unknown).
    pub fn event_name(self, typ: spec::EventType) -> String {
        let n = typ as usize;
        if n < self.spec_len() && !spec::SPECS[n].name.is_empty() {
            spec::SPECS[n].name.to_string()
        } else {
            format!("Invalid({typ})")
        }
    }
}

/// Length of the header for every version this reader accepts.
pub const HEADER_LEN: usize = 16;

/// Parses the header and returns the version and the header's length in bytes.
///
/// Accepts what Go's `fmt.Fscanf("go 1.%d trace\x00\x00\x00")` accepts for the
/// versions Go 1.27 reads, the old format's (11, 19, 21) included. The headers
/// only Go 1.21 and earlier read (`go 1.5`, `go 1.7`, `go 1.8`, `go 1.9`,
/// `go 1.10`) must be exactly as those Go versions wrote them: the text padded
/// with NULs to 16 bytes (Go 1.21's `parseHeader`).
pub fn read_header(data: &[u8]) -> Result<(Version, usize), Error> {
    let bad = || Error::new("bad file format: not a Go execution trace?");
    let prefix = b"go 1.";
    if data.len() < prefix.len() || &data[..prefix.len()] != prefix {
        return Err(bad());
    }
    let mut i = prefix.len();
    if data.get(i) == Some(&b'+') {
        i += 1;
    }
    let digits_start = i;
    let mut v: u64 = 0;
    while let Some(&c) = data.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        v = v * 10 + u64::from(c - b'0');
        if v > u64::from(u32::MAX) {
            return Err(bad());
        }
        i += 1;
    }
    if i == digits_start {
        return Err(bad());
    }
    // A space in Go's scan format matches any run of spaces, including none.
    while data.get(i) == Some(&b' ') {
        i += 1;
    }
    let suffix = b"trace\x00\x00\x00";
    if data.len() < i + suffix.len() || &data[i..i + suffix.len()] != suffix {
        return Err(bad());
    }
    i += suffix.len();
    let version = match v {
        22 => Version::Go122,
        23 => Version::Go123,
        25 => Version::Go125,
        26 => Version::Go126,
        11 => Version::Go111,
        19 => Version::Go119,
        21 => Version::Go121,
        5 | 7 | 8 | 9 | 10 => {
            let exact = format!("go 1.{v} trace");
            let mut want = [0u8; HEADER_LEN];
            want[..exact.len()].copy_from_slice(exact.as_bytes());
            if data.get(..HEADER_LEN) != Some(&want[..]) {
                return Err(bad());
            }
            return Ok((
                match v {
                    5 => Version::Go105,
                    7 => Version::Go107,
                    8 => Version::Go108,
                    9 => Version::Go109,
                    _ => Version::Go110,
                },
                HEADER_LEN,
            ));
        }
        _ => return Err(Error::new(format!("unknown or unsupported trace version go 1.{v}"))),
    };
    Ok((version, i))
}

/// Decodes an unsigned LEB128 varint like Go's `binary.Uvarint`.
///
/// Returns the value and the number of bytes used; `n == 0` means the buffer
/// ended first, `n < 0` means the value overflows 64 bits.
#[inline]
pub fn uvarint(buf: &[u8]) -> (u64, isize) {
    let mut x: u64 = 0;
    let mut s: u32 = 0;
    for (i, &b) in buf.iter().enumerate() {
        if i == 10 {
            return (0, -(i as isize + 1));
        }
        if b < 0x80 {
            if i == 9 && b > 1 {
                return (0, -(i as isize + 1));
            }
            return (x | (u64::from(b) << s), i as isize + 1);
        }
        x |= u64::from(b & 0x7f) << s;
        s += 7;
    }
    (0, 0)
}

/// Why a varint could not be read from a stream (Go's `binary.ReadUvarint` errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    /// No byte was left at all.
    Eof,
    /// The input ended inside the varint.
    UnexpectedEof,
    /// More than 64 bits.
    Overflow,
}

impl std::fmt::Display for VarintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VarintError::Eof => "EOF",
            VarintError::UnexpectedEof => "unexpected EOF",
            VarintError::Overflow => "binary: varint overflows a 64-bit integer",
        })
    }
}

/// A forward-only cursor over a byte slice with Go's stream-reading semantics.
#[derive(Debug, Clone)]
pub struct ByteCursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> ByteCursor<'a> {
    /// A cursor at `pos` in `data`.
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        ByteCursor { data, pos }
    }

    /// Offset of the next unread byte.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Reads one byte, or `None` at the end.
    #[inline]
    pub fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// Reads a varint the way `binary.ReadUvarint` does on a stream.
    #[inline]
    pub fn uvarint(&mut self) -> Result<u64, VarintError> {
        let rest = &self.data[self.pos..];
        let (v, n) = uvarint(rest);
        if n > 0 {
            self.pos += n as usize;
            return Ok(v);
        }
        if n < 0 {
            // Go consumes the bytes up to and including the offending one.
            self.pos += (-n) as usize;
            return Err(VarintError::Overflow);
        }
        let had = rest.len();
        self.pos += had;
        if had == 0 {
            Err(VarintError::Eof)
        } else {
            Err(VarintError::UnexpectedEof)
        }
    }

    /// Takes up to `n` bytes; fewer when the input ends first.
    pub fn take_up_to(&mut self, n: u64) -> &'a [u8] {
        let avail = self.remaining() as u64;
        let k = n.min(avail) as usize;
        let s = &self.data[self.pos..self.pos + k];
        self.pos += k;
        s
    }
}

/// One batch of a generation: a run of events written by one thread (or by the tracer itself).
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Thread (M) that wrote the batch; -1 for none.
    pub m: i64,
    /// Absolute trace-clock time the batch began, in ticks.
    pub time: u64,
    /// The batch payload, borrowed from the input.
    pub data: &'a [u8],
    /// Experiment ID for experimental batches, 0 otherwise.
    pub exp: u8,
}

impl<'a> Batch<'a> {
    fn first_byte_is(&self, t: spec::EventType) -> bool {
        self.exp == spec::experiment::NONE && self.data.first() == Some(&t)
    }
    /// A string-table batch.
    pub fn is_strings(&self) -> bool {
        self.first_byte_is(spec::ev::STRINGS)
    }
    /// A stack-table batch.
    pub fn is_stacks(&self) -> bool {
        self.first_byte_is(spec::ev::STACKS)
    }
    /// A CPU-sample batch.
    pub fn is_cpu_samples(&self) -> bool {
        self.first_byte_is(spec::ev::CPU_SAMPLES)
    }
    /// The frequency (before 1.25) or sync (1.25+) batch.
    pub fn is_sync(&self, v: Version) -> bool {
        (self.first_byte_is(spec::ev::FREQUENCY) && v < Version::Go125)
            || (self.first_byte_is(spec::ev::SYNC) && v >= Version::Go125)
    }
    /// The lone end-of-generation marker (1.26+).
    pub fn is_end_of_generation(&self) -> bool {
        self.first_byte_is(spec::ev::END_OF_GENERATION)
    }
}

/// Outcome of reading one batch from the stream.
#[derive(Debug)]
pub enum BatchRead<'a> {
    /// The stream ended cleanly before the batch (or, as in Go, right after an experimental batch's type byte).
    Eof,
    /// A batch and its generation number (0 for end-of-generation markers).
    Batch(Batch<'a>, u64),
}

const END_OF_GENERATION_BYTES: &[u8] = &[spec::ev::END_OF_GENERATION];

/// Reads the next batch at the cursor, with Go's error texts.
pub fn read_batch<'a>(c: &mut ByteCursor<'a>) -> Result<BatchRead<'a>, Error> {
    let Some(b) = c.byte() else { return Ok(BatchRead::Eof) };
    if b == spec::ev::END_OF_GENERATION {
        return Ok(BatchRead::Batch(
            Batch { m: -1, time: 0, data: END_OF_GENERATION_BYTES, exp: spec::experiment::NONE },
            0,
        ));
    }
    if b != spec::ev::EVENT_BATCH && b != spec::ev::EXPERIMENTAL_BATCH {
        return Err(Error::new(format!("expected batch event, got event {b}")));
    }
    let mut exp = spec::experiment::NONE;
    if b == spec::ev::EXPERIMENTAL_BATCH {
        match c.byte() {
            Some(e) => exp = e,
            None => return Ok(BatchRead::Eof),
        }
    }
    let gen = c.uvarint().map_err(|e| Error::new(format!("error reading batch gen: {e}")))?;
    let m = c.uvarint().map_err(|e| Error::new(format!("error reading batch M ID: {e}")))?;
    let ts = c.uvarint().map_err(|e| Error::new(format!("error reading batch timestamp: {e}")))?;
    let size = c.uvarint().map_err(|e| Error::new(format!("error reading batch size: {e}")))?;
    if size > spec::MAX_BATCH_SIZE {
        return Err(Error::new(format!(
            "invalid batch size {size}, maximum is {}",
            spec::MAX_BATCH_SIZE
        )));
    }
    let data = c.take_up_to(size);
    if data.len() as u64 != size {
        return Err(Error::truncated(format!(
            "failed to read full batch: read {} but wanted {size}",
            data.len()
        )));
    }
    Ok(BatchRead::Batch(Batch { m: m as i64, time: ts, data, exp }, gen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvarint_matches_go_edge_cases() {
        assert_eq!(uvarint(&[0x01]), (1, 1));
        assert_eq!(uvarint(&[0x80, 0x01]), (128, 2));
        // The runtime's padded batch-length form.
        assert_eq!(uvarint(&[0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), (5, 10));
        assert_eq!(uvarint(&[0xff; 9].iter().copied().chain([0x01]).collect::<Vec<_>>()), (u64::MAX, 10));
        assert_eq!(uvarint(&[0xff; 9].iter().copied().chain([0x02]).collect::<Vec<_>>()).1, -10);
        assert_eq!(uvarint(&[0x80, 0x80]), (0, 0));
        assert_eq!(uvarint(&[0xff; 11]).1, -11);
    }

    #[test]
    fn header_versions() {
        assert_eq!(read_header(b"go 1.22 trace\0\0\0").unwrap(), (Version::Go122, 16));
        assert_eq!(read_header(b"go 1.26 trace\0\0\0rest").unwrap(), (Version::Go126, 16));
        assert_eq!(read_header(b"go 1.5 trace\0\0\0\0").unwrap(), (Version::Go105, 16));
        assert_eq!(read_header(b"go 1.9 trace\0\0\0\0rest").unwrap(), (Version::Go109, 16));
        assert_eq!(read_header(b"go 1.10 trace\0\0\0").unwrap(), (Version::Go110, 16));
        assert!(read_header(b"go 1.5 trace\0\0\0x").is_err());
        assert!(read_header(b"go 1.6 trace\0\0\0\0")
            .unwrap_err()
            .to_string()
            .contains("unknown or unsupported trace version go 1.6"));
        assert!(Version::Go105 < Version::Go110 && Version::Go110 < Version::Go111);
        assert!(Version::Go105.is_old_format() && Version::Go110.is_old_format());
        assert_eq!(read_header(b"go 1.11 trace\0\0\0").unwrap(), (Version::Go111, 16));
        assert_eq!(read_header(b"go 1.19 trace\0\0\0").unwrap(), (Version::Go119, 16));
        assert_eq!(read_header(b"go 1.21 trace\0\0\0").unwrap(), (Version::Go121, 16));
        assert!(Version::Go121.is_old_format() && !Version::Go122.is_old_format());
        assert_eq!(
            read_header(b"PK\x03\x04").unwrap_err().to_string(),
            "bad file format: not a Go execution trace?"
        );
    }
}
