//! `--write-links`: `_link/prev` and `_link/next` symlinks between consecutive
//! bundles of one process, so that
//! `go tool pprof -base _link/prev/pprof/heap pprof/heap` shows what changed.
//!
//! Every link is planned and checked before the first is written (nothing is
//! written when one cannot be), and each is made under a temporary name in
//! `_link/` and renamed over the old link: a reader sees the old link or the
//! new one, never none, and an interrupted run leaves no half-made link.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use super::discover::Bundle;

/// One symlink to make: `link` (in a bundle's `_link/`) pointing at `target`
/// (relative to `_link/`, as apshuffle writes it).
#[derive(serde::Serialize)]
pub struct Link {
    /// The link's path as printed (`BUNDLE/_link/prev`).
    pub link: String,
    /// Where it points, relative to the directory holding it.
    pub target: String,
    #[serde(skip)]
    dir: PathBuf,
    #[serde(skip)]
    name: &'static str,
}

/// The links for BUNDLES (sorted by capture time): each bundle's `prev` is the
/// bundle of its process captured before it, and that one's `next` is it.
/// Fails, naming one, when a bundle is inside a zip (no directory to put the
/// link in).
pub fn plan(bundles: &[Bundle]) -> Result<Vec<Link>, String> {
    let mut by_proc: BTreeMap<&str, Vec<&Bundle>> = BTreeMap::new();
    for b in bundles {
        if b.dir().is_none() {
            return Err(format!(
                "{}: --write-links puts symlinks in unpacked bundle directories, and this bundle is a zip (unzip it, or leave it out)",
                b.path
            ));
        }
        by_proc.entry(&b.meta.proc_id).or_default().push(b);
    }
    let mut links = Vec::new();
    for chain in by_proc.values() {
        for pair in chain.windows(2) {
            let (older, newer) = (pair[0], pair[1]);
            links.push(link(newer, older, "prev")?);
            links.push(link(older, newer, "next")?);
        }
    }
    Ok(links)
}

fn link(from: &Bundle, to: &Bundle, name: &'static str) -> Result<Link, String> {
    let (from_dir, to_dir) = (from.dir().expect("checked"), to.dir().expect("checked"));
    let rel = relative(&absolute(from_dir)?, &absolute(to_dir)?);
    let target = Path::new("..").join(rel).to_string_lossy().into_owned();
    Ok(Link { link: format!("{}/_link/{name}", from.path), target, dir: from_dir.join("_link"), name })
}

/// PATH made absolute and cleaned lexically (`.` and `..` resolved, as Go's
/// filepath.Rel does before comparing).
fn absolute(p: &Path) -> Result<PathBuf, String> {
    let abs = std::path::absolute(p).map_err(|e| format!("{}: {e}", p.display()))?;
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// TO relative to FROM (both absolute and clean).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let (f, t): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..f.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c);
    }
    if rel.as_os_str().is_empty() {
        rel.push(".");
    }
    rel
}

/// Checks every link's place, then makes them all. Before anything is written,
/// fails when a `_link` is not a directory or a link's name is taken by
/// something that is not a symlink (apshuffle leaves those and says nothing;
/// schedstat says so and writes nothing).
pub fn write(links: &[Link]) -> Result<(), String> {
    for l in links {
        match std::fs::symlink_metadata(&l.dir) {
            Ok(m) if !m.is_dir() => return Err(format!("{}: exists and is not a directory; no link written", l.dir.display())),
            _ => {}
        }
        let path = l.dir.join(l.name);
        if let Ok(m) = std::fs::symlink_metadata(&path) {
            if !m.file_type().is_symlink() {
                return Err(format!("{}: exists and is not a symlink; no link written", path.display()));
            }
        }
    }
    for l in links {
        make(l).map_err(|e| format!("{}: {e}", l.dir.join(l.name).display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn make(l: &Link) -> std::io::Result<()> {
    match std::fs::create_dir(&l.dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    let tmp = l.dir.join(format!(".{}.tmp", l.name));
    let _ = std::fs::remove_file(&tmp);
    let made = std::os::unix::fs::symlink(&l.target, &tmp).and_then(|()| std::fs::rename(&tmp, l.dir.join(l.name)));
    if made.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    made
}

#[cfg(not(unix))]
fn make(_: &Link) -> std::io::Result<()> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "symlinks are made on Unix only"))
}

#[cfg(test)]
mod tests {
    use super::relative;
    use std::path::Path;

    #[test]
    fn relative_paths_as_go_filepath_rel() {
        assert_eq!(relative(Path::new("/r/h/p/b2"), Path::new("/r/h/p/b1")), Path::new("../b1"));
        assert_eq!(relative(Path::new("/r/h/p/b2"), Path::new("/r/copies/b1")), Path::new("../../../copies/b1"));
        assert_eq!(relative(Path::new("/r"), Path::new("/r")), Path::new("."));
    }
}
