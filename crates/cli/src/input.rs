//! Opening trace files: the only place that knows about the file system.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

/// A trace file mapped into memory (or read, for empty and special files).
pub enum TraceBytes {
    /// A regular file, memory-mapped so that only the pages being read are resident.
    Mapped(Mmap),
    /// Anything that cannot be mapped (empty files, pipes): read whole.
    Owned(Vec<u8>),
}

impl TraceBytes {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            TraceBytes::Mapped(m) => m,
            TraceBytes::Owned(v) => v,
        }
    }

    /// Tells the kernel the first `upto` bytes were consumed, so their pages
    /// stop counting against our memory: this is what keeps a streaming read's
    /// footprint at one generation instead of the whole file. Events that still
    /// point into those bytes stay valid: the pages are re-read from the file
    /// if touched again.
    pub fn release_before(&self, upto: usize) {
        #[cfg(unix)]
        if let TraceBytes::Mapped(m) = self {
            const PAGE: usize = 4096;
            let len = upto.min(m.len()) / PAGE * PAGE;
            if len > 0 {
                // SAFETY: the mapping is a private, read-only file mapping; dropping
                // its clean pages only makes later reads fault them in again.
                let _ = unsafe { m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, len) };
            }
        }
        #[cfg(not(unix))]
        let _ = upto;
    }
}

/// A failure to open a trace, already worded for the user.
#[derive(Debug)]
pub struct OpenError {
    pub path: PathBuf,
    pub msg: String,
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.msg)
    }
}

/// Opens a trace for reading, with messages that say what to do.
pub fn open_trace(path: &Path) -> Result<TraceBytes, OpenError> {
    let err = |msg: String| OpenError { path: path.to_path_buf(), msg };
    let meta = std::fs::metadata(path).map_err(|e| err(describe_io(&e)))?;
    if meta.is_dir() {
        return Err(err("is a directory; pass a trace file such as trace.out".into()));
    }
    let file = File::open(path).map_err(|e| err(describe_io(&e)))?;
    if meta.is_file() && meta.len() > 0 {
        // SAFETY: the map is read-only; a trace being rewritten while we read it
        // can at worst give garbage events, which the reader rejects like any bad input.
        if let Ok(m) = unsafe { Mmap::map(&file) } {
            #[cfg(unix)]
            let _ = m.advise(memmap2::Advice::Sequential);
            return Ok(TraceBytes::Mapped(m));
        }
    }
    let mut v = Vec::new();
    use std::io::Read;
    (&file).read_to_end(&mut v).map_err(|e| err(describe_io(&e)))?;
    Ok(TraceBytes::Owned(v))
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied; check the file's permissions".into(),
        _ => e.to_string(),
    }
}

impl std::error::Error for OpenError {}

/// A streaming reader over an opened trace that releases the pages it no
/// longer needs and moves `progress` (if any) at each finished generation;
/// `None` (after a one-line error on stderr) when the trace cannot be read at all.
pub fn streaming_reader<'a>(
    path: &Path,
    bytes: &'a TraceBytes,
    progress: Option<indicatif::ProgressBar>,
) -> Option<gotrace::Reader<'a>> {
    match open_reader(bytes, progress) {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("schedstat: error: {}: {}", path.display(), e.explained());
            None
        }
    }
}

/// [`streaming_reader`] for callers that report a trace's error themselves
/// (the fleet records it in its dataset instead of printing it).
pub fn open_reader(bytes: &TraceBytes, progress: Option<indicatif::ProgressBar>) -> Result<gotrace::Reader<'_>, gotrace::Error> {
    let mut r = gotrace::Reader::new(bytes.as_slice())?;
    r.on_generation_done(move |upto| {
        bytes.release_before(upto);
        if let Some(b) = &progress {
            b.set_position(upto as u64);
        }
    });
    r.on_release_hint(move |upto| bytes.release_before(upto));
    Ok(r)
}

/// How reading a whole trace went, for commands that fold every event into an analysis.
pub struct Read {
    /// How reading ended (Ok, or Partial after a one-line error).
    pub outcome: crate::Outcome,
    /// First event time (0 if none).
    pub start_ns: i64,
}

/// Streams every event of `path` into `f`. `None` when the trace could not be
/// read at all (after a one-line error). Like `go tool trace`, the events
/// before a damage are all used.
pub fn read_events(
    path: &Path,
    mut f: impl FnMut(&gotrace::Event<'_>),
) -> Result<Option<Read>, Box<dyn std::error::Error>> {
    let bytes = open_trace(path)?;
    let Some(mut reader) = streaming_reader(path, &bytes, None) else {
        return Ok(None);
    };
    let mut start = None;
    let err = loop {
        match reader.read_event() {
            Ok(Some(ev)) => {
                start.get_or_insert(ev.time());
                f(&ev);
            }
            Ok(None) => break None,
            Err(e) => break Some(e),
        }
    };
    let outcome = match &err {
        None => crate::Outcome::Ok,
        Some(e) => crate::report_read_error(path, &reader, e),
    };
    if matches!(outcome, crate::Outcome::Unreadable) {
        return Ok(None);
    }
    Ok(Some(Read { outcome, start_ns: start.unwrap_or(0) }))
}

/// Whether a file starts like a trace (`go 1.`).
fn looks_like_trace(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 5];
    File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && &head == b"go 1."
}

/// The files given, and the trace files found under the directories given
/// (depth first, sorted), in order: the many-trace commands' inputs.
pub fn find_traces(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if !meta.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut stack = vec![p.clone()];
        while let Some(dir) = stack.pop() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| format!("{}: {e}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for e in entries.into_iter().rev() {
                if e.is_dir() {
                    stack.push(e);
                } else if looks_like_trace(&e) {
                    out.push(e);
                }
            }
        }
    }
    Ok(out)
}
