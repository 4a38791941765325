//! Finding Autoprof bundles: directories that hold a `meta` file (unpacked
//! bundles, what apshuffle reads) and zips, either a bundle itself (a `meta`
//! entry at its top, as autoprof writes them) or an archive with bundles
//! inside (unpacked ones, or bundle zips in it), found recursively.
//!
//! Files are recognised by content, not name: autoprof's storage keys have no
//! extension, so any regular file that starts like a zip is opened as one.

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;
use serde::Deserialize;
use zip::ZipArchive;

/// Go's zero `time.Time` (0001-01-01T00:00:00Z) in ns since the Unix epoch:
/// what apshuffle compares a bundle without `capture_time` as.
const GO_ZERO_TIME_NS: i128 = -62_135_596_800 * 1_000_000_000;

/// The start of a local file header: every non-empty zip starts with it.
const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";
/// An empty zip is only its end-of-central-directory record.
const EMPTY_ZIP_MAGIC: &[u8; 4] = b"PK\x05\x06";

/// The bytes of a zip: a mapped file, a stored entry of one (no copy), or a
/// compressed entry inflated into memory. Cheap to clone, so every bundle of
/// an archive shares one parsed central directory.
#[derive(Clone)]
pub struct ZipBytes {
    data: Arc<dyn AsRef<[u8]> + Send + Sync>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for ZipBytes {
    fn as_ref(&self) -> &[u8] {
        &(*self.data).as_ref()[self.start..self.end]
    }
}

type Archive = ZipArchive<Cursor<ZipBytes>>;

/// The fields of a bundle's `meta` that apshuffle reads (autoprof's ArchiveMeta).
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Meta {
    /// The main package's import path.
    pub main: String,
    /// The main module's version.
    pub revision: String,
    /// `runtime.Version()` of the process.
    pub go_version: String,
    /// The host the process ran on (`--hosts`).
    pub hostname: String,
    /// One process's bundles share it (`--vs-prev`, `--write-links`, ties).
    pub proc_id: String,
    /// When the process started (RFC 3339).
    pub init_time: Option<String>,
    /// When the snapshot was taken (RFC 3339): the bundles' order.
    pub capture_time: Option<String>,
}

/// Where a bundle's files are.
#[derive(Clone)]
enum Place {
    /// An unpacked bundle: `DIR/meta`, `DIR/pprof/heap`, ...
    Dir(PathBuf),
    /// Entries `PREFIX meta`, `PREFIX pprof/heap`, ... of a zip.
    Zip { archive: Archive, prefix: String },
}

/// One bundle: where it is, as printed, and its metadata.
#[derive(Clone)]
pub struct Bundle {
    /// The bundle's path as printed: the directory, the zip, or
    /// `ARCHIVE.zip/dir/in/it` for a bundle inside an archive.
    pub path: String,
    pub meta: Meta,
    /// `capture_time` in ns since the Unix epoch (Go's zero time when absent).
    pub capture_ns: i128,
    place: Place,
}

impl Bundle {
    /// Whether the bundle is an unpacked directory (the only kind
    /// `--write-links` can link), and which.
    pub fn dir(&self) -> Option<&Path> {
        match &self.place {
            Place::Dir(d) => Some(d),
            Place::Zip { .. } => None,
        }
    }

    /// Whether the bundle holds a regular file NAME (`pprof/trace`, say).
    pub fn has_file(&self, name: &str) -> bool {
        match &self.place {
            Place::Dir(d) => std::fs::metadata(d.join(name)).map(|m| m.is_file()).unwrap_or(false),
            Place::Zip { archive, prefix } => archive.index_for_name(&format!("{prefix}{name}")).is_some(),
        }
    }

    /// The contents of the bundle's file NAME; `Ok(None)` when it has none.
    pub fn read(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        match &self.place {
            Place::Dir(d) => {
                let path = d.join(name);
                match std::fs::read(&path) {
                    Ok(b) => Ok(Some(b)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(format!("{}: {e}", path.display())),
                }
            }
            Place::Zip { archive, prefix } => {
                let full = format!("{prefix}{name}");
                let mut archive = archive.clone();
                let Some(i) = archive.index_for_name(&full) else { return Ok(None) };
                let mut entry = archive.by_index(i).map_err(|e| format!("{}/{name}: {e}", self.path))?;
                let mut buf = Vec::with_capacity(entry.size().min(1 << 30) as usize);
                entry.read_to_end(&mut buf).map_err(|e| format!("{}/{name}: {e}", self.path))?;
                Ok(Some(buf))
            }
        }
    }
}

/// Why discovery stopped: a path to read is missing or unreadable (exit 2),
/// or a bundle is (its meta is not autoprof's JSON, a zip given by name is
/// broken: exit 1).
pub enum FindError {
    File(String),
    Bundle(String),
}

/// What discovery found.
pub struct Found {
    /// Every bundle, in walk order.
    pub bundles: Vec<Bundle>,
    /// Files met while walking that start like a zip but do not open as one
    /// (a cut upload, say), with why: not bundles, but worth a warning.
    pub broken_zips: Vec<String>,
}

/// Every bundle under PATHS, in walk order: the paths as given, each
/// directory's entries by name (bytewise, as Go's fs.WalkDir), a zip's entries
/// by name. Symbolic links are not followed (apshuffle's walk skips them too,
/// so `_link/prev` does not count a bundle twice). Files inside a bundle
/// (a directory with a `meta`, or below a `meta` entry) are the bundle's
/// data, never opened as archives: a custom data source may start like a zip.
pub fn find(paths: &[PathBuf]) -> Result<Found, FindError> {
    let mut found = Found { bundles: Vec::new(), broken_zips: Vec::new() };
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| FindError::File(format!("{}: {e}", p.display())))?;
        let shown = clean_display(p);
        if meta.is_dir() {
            found.walk_dir(p, &shown, false)?;
        } else {
            match found.open_if_zip(p, &shown)? {
                ZipOutcome::Read => {}
                ZipOutcome::NotZip => {
                    return Err(FindError::File(format!(
                        "{}: neither a directory nor a zip (give the directory that holds the bundles, or a bundle's zip)",
                        p.display()
                    )))
                }
                ZipOutcome::Broken(why) => return Err(FindError::Bundle(why)),
            }
        }
    }
    Ok(found)
}

/// The path as apshuffle would print a directory under it: no trailing
/// slash, and `.` dropped when a relative path follows.
fn clean_display(p: &Path) -> String {
    let s = p.to_string_lossy();
    let t = s.trim_end_matches('/');
    if t.is_empty() && s.starts_with('/') {
        "/".to_string()
    } else if t.is_empty() {
        ".".to_string()
    } else {
        t.strip_prefix("./").filter(|r| !r.is_empty()).unwrap_or(t).to_string()
    }
}

/// `DIR/NAME` as printed: apshuffle prints paths relative to its root, so
/// `schedstat bundles .` prints what apshuffle does.
fn join_display(dir: &str, name: &str) -> String {
    if dir == "." {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// What opening a file as a zip gave.
enum ZipOutcome {
    /// It is a zip; its bundles (maybe none) were added.
    Read,
    /// It does not start like a zip.
    NotZip,
    /// It starts like a zip but does not open as one: why.
    Broken(String),
}

impl Found {
    fn walk_dir(&mut self, dir: &Path, shown: &str, in_bundle: bool) -> Result<(), FindError> {
        let io = |e: std::io::Error| FindError::File(format!("{}: {e}", dir.display()));
        let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(io)?.collect::<Result<_, _>>().map_err(io)?;
        entries.sort_by(|a, b| a.file_name().as_encoded_bytes().cmp(b.file_name().as_encoded_bytes()));
        let is_bundle = entries.iter().any(|e| e.file_name() == "meta" && e.file_type().is_ok_and(|t| t.is_file()));
        for e in entries {
            let ty = e.file_type().map_err(io)?;
            let name = e.file_name();
            let child_shown = join_display(shown, &name.to_string_lossy());
            if ty.is_dir() {
                self.walk_dir(&e.path(), &child_shown, in_bundle || is_bundle)?;
            } else if ty.is_file() {
                if name == "meta" {
                    let path = e.path();
                    let bytes = std::fs::read(&path).map_err(|err| FindError::File(format!("{}: {err}", path.display())))?;
                    let (meta, capture_ns) =
                        parse_meta(&bytes).map_err(|m| FindError::Bundle(format!("{}: {m}", path.display())))?;
                    self.bundles.push(Bundle { path: shown.to_string(), meta, capture_ns, place: Place::Dir(dir.to_path_buf()) });
                } else if !in_bundle && !is_bundle {
                    if let ZipOutcome::Broken(why) = self.open_if_zip(&e.path(), &child_shown)? {
                        self.broken_zips.push(why);
                    }
                }
            }
        }
        Ok(())
    }

    /// Opens FILE as a zip when it starts like one and adds the bundles in it.
    fn open_if_zip(&mut self, file: &Path, shown: &str) -> Result<ZipOutcome, FindError> {
        let io = |e: std::io::Error| FindError::File(format!("{}: {e}", file.display()));
        let mut head = [0u8; 4];
        let mut f = File::open(file).map_err(io)?;
        if f.read(&mut head).map_err(io)? < 4 || (&head != ZIP_MAGIC && &head != EMPTY_ZIP_MAGIC) {
            return Ok(ZipOutcome::NotZip);
        }
        // SAFETY: the map is only read; bundles are not rewritten while being read
        // (autoprof writes each to a new object, renamed or uploaded whole).
        let map = unsafe { Mmap::map(&f) }.map_err(io)?;
        let end = map.len();
        self.scan_zip(ZipBytes { data: Arc::new(map), start: 0, end }, shown)
    }

    fn scan_zip(&mut self, bytes: ZipBytes, shown: &str) -> Result<ZipOutcome, FindError> {
        let mut archive = match ZipArchive::new(Cursor::new(bytes.clone())) {
            Ok(a) => a,
            Err(e) => return Ok(ZipOutcome::Broken(format!("{shown}: not a readable zip: {e}"))),
        };
        let broken = |e: zip::result::ZipError| FindError::Bundle(format!("{shown}: not a readable zip: {e}"));
        let mut names: Vec<(String, usize)> = Vec::with_capacity(archive.len());
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).map_err(broken)?;
            if entry.is_file() {
                names.push((String::from_utf8_lossy(entry.name_raw()).into_owned(), i));
            }
        }
        names.sort();
        // The directories (prefixes) of this zip that are bundles.
        let bundle_prefixes: Vec<String> = names
            .iter()
            .filter_map(|(n, _)| if n == "meta" { Some(String::new()) } else { n.strip_suffix("/meta").map(|d| format!("{d}/")) })
            .collect();
        for (name, i) in names {
            let base = name.rsplit('/').next().unwrap_or(&name);
            let mut entry = archive.by_index(i).map_err(broken)?;
            if base == "meta" {
                let mut buf = Vec::new();
                entry.read_to_end(&mut buf).map_err(|e| FindError::Bundle(format!("{shown}/{name}: {e}")))?;
                drop(entry);
                let (meta, capture_ns) =
                    parse_meta(&buf).map_err(|m| FindError::Bundle(format!("{}: {m}", join_display(shown, &name))))?;
                let prefix = name[..name.len() - base.len()].to_string();
                let path = if prefix.is_empty() { shown.to_string() } else { join_display(shown, prefix.trim_end_matches('/')) };
                self.bundles.push(Bundle { path, meta, capture_ns, place: Place::Zip { archive: archive.clone(), prefix } });
                continue;
            }
            if entry.size() < 4 || bundle_prefixes.iter().any(|p| name.starts_with(p.as_str())) {
                continue;
            }
            let stored = entry.compression() == zip::CompressionMethod::Stored && !entry.encrypted();
            let (start, len) = (entry.data_start(), entry.compressed_size());
            let mut head = [0u8; 4];
            if entry.read_exact(&mut head).is_err() || (&head != ZIP_MAGIC && &head != EMPTY_ZIP_MAGIC) {
                continue;
            }
            let inner_shown = join_display(shown, &name);
            let inner = match (stored, start) {
                // A stored zip inside a zip is a byte range of the outer one.
                (true, Some(start)) => ZipBytes {
                    data: bytes.data.clone(),
                    start: bytes.start + start as usize,
                    end: bytes.start + (start + len) as usize,
                },
                _ => {
                    drop(entry);
                    let mut entry = archive.by_index(i).map_err(broken)?;
                    let mut buf = Vec::new();
                    entry.read_to_end(&mut buf).map_err(|e| FindError::Bundle(format!("{inner_shown}: {e}")))?;
                    let end = buf.len();
                    ZipBytes { data: Arc::new(buf), start: 0, end }
                }
            };
            if let ZipOutcome::Broken(why) = self.scan_zip(inner, &inner_shown)? {
                self.broken_zips.push(why);
            }
        }
        Ok(ZipOutcome::Read)
    }
}

/// Reads a `meta` file: autoprof's JSON, times in RFC 3339.
fn parse_meta(bytes: &[u8]) -> Result<(Meta, i128), String> {
    let meta: Meta = serde_json::from_slice(bytes).map_err(|e| format!("not an Autoprof meta file (JSON with main, hostname, proc_id, capture_time...): {e}"))?;
    for t in [&meta.init_time, &meta.capture_time].into_iter().flatten() {
        chrono::DateTime::parse_from_rfc3339(t).map_err(|e| format!("time {t:?} is not RFC 3339: {e}"))?;
    }
    let capture_ns = match &meta.capture_time {
        Some(t) => {
            let t = chrono::DateTime::parse_from_rfc3339(t).expect("checked above");
            i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
        }
        None => GO_ZERO_TIME_NS,
    };
    Ok((meta, capture_ns))
}

#[cfg(test)]
mod tests {
    use super::{clean_display, join_display, parse_meta, GO_ZERO_TIME_NS};
    use std::path::Path;

    #[test]
    fn paths_print_as_apshuffle_prints_them_from_its_root() {
        assert_eq!(clean_display(Path::new(".")), ".");
        assert_eq!(clean_display(Path::new("./")), ".");
        assert_eq!(clean_display(Path::new("b/")), "b");
        assert_eq!(clean_display(Path::new("./b")), "b");
        assert_eq!(clean_display(Path::new("/")), "/");
        assert_eq!(join_display(".", "h/p"), "h/p");
        assert_eq!(join_display("/", "h"), "/h");
        assert_eq!(join_display("b", "h"), "b/h");
    }

    #[test]
    fn meta_times() {
        let (m, ns) = parse_meta(br#"{"proc_id":"1-x-1","capture_time":"2026-12-06T08:08:41.858Z","extra":1}"#).unwrap();
        assert_eq!(m.proc_id, "1-x-1");
        assert_eq!(ns, 1_796_544_521_858_000_000);
        assert_eq!(parse_meta(b"{}").unwrap().1, GO_ZERO_TIME_NS);
        assert!(parse_meta(br#"{"capture_time":"yesterday"}"#).is_err());
        assert!(parse_meta(b"PK").is_err());
    }
}
