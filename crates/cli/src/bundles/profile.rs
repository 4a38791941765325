//! A pprof profile's total for one sample type, after pprof's focus/ignore
//! filtering: the number apshuffle sorts bundles by.
//!
//! The profile is decoded by prost into the pprof messages the exporter writes
//! (`export::pprof::pb`), checked the way google/pprof's `Parse` checks it
//! (a profile it refuses is one apshuffle skips), and filtered with the
//! semantics of its `FilterSamplesByName`: a location matches when the
//! function name or file of one of its lines, or its mapping's file, matches.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use export::pprof::pb;
use prost::Message;
use regex::bytes::Regex;

/// Which samples count: every `focus` must match some location of the stack,
/// and `ignore`, when given, none.
pub struct SampleFilter {
    pub focus: Vec<Regex>,
    pub ignore: Option<Regex>,
}

/// A profile's total.
#[derive(Debug)]
pub struct Total {
    /// The sum of the chosen value over the samples kept.
    pub value: i128,
    /// The sample type summed (the one asked for, else the profile's default,
    /// else its first, as apshuffle picks).
    pub sample_type: String,
}

/// Decodes a profile (gzipped or not) and sums one of its sample types over
/// the samples FILTER keeps. `sample_type` None means the profile's default.
pub fn total(data: &[u8], sample_type: Option<&str>, filter: &SampleFilter) -> Result<Total, String> {
    let raw;
    let data = if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out).map_err(|e| format!("decompressing profile: {e}"))?;
        raw = out;
        &raw[..]
    } else {
        data
    };
    if data.is_empty() {
        return Err("empty profile".into());
    }
    let p = pb::Profile::decode(data).map_err(|e| format!("not a pprof profile: {e}"))?;
    let checked = Checked::new(&p)?;

    let want = match sample_type {
        Some(t) => t.as_bytes(),
        None => checked.string(p.default_sample_type)?,
    };
    let mut index = 0;
    for (i, t) in p.sample_type.iter().enumerate() {
        if checked.string(t.r#type)? == want {
            index = i;
            break;
        }
    }
    let sample_type = match p.sample_type.get(index) {
        Some(t) => String::from_utf8_lossy(checked.string(t.r#type)?).into_owned(),
        None => String::new(),
    };

    // As apshuffle: ignore first, then each focus in turn, each a pass of
    // FilterSamplesByName over what the previous pass kept.
    let mut kept: Vec<&pb::Sample> = p.sample.iter().collect();
    if let Some(ignore) = &filter.ignore {
        let verdict = checked.verdicts(&p, |loc| Some(!checked.matches(loc, ignore)));
        kept.retain(|s| focused_and_not_ignored(s, &verdict));
    }
    for focus in &filter.focus {
        let verdict = checked.verdicts(&p, |loc| checked.matches(loc, focus).then_some(true));
        kept.retain(|s| focused_and_not_ignored(s, &verdict));
    }
    let value = kept.iter().map(|s| i128::from(s.value[index])).sum();
    Ok(Total { value, sample_type })
}

/// A sample stays when one of its locations is focused (true) and none is
/// ignored (false); locations in neither set do not count.
fn focused_and_not_ignored(s: &pb::Sample, verdict: &HashMap<u64, bool>) -> bool {
    let mut focused = false;
    for id in &s.location_id {
        match verdict.get(id) {
            Some(true) => focused = true,
            Some(false) => return false,
            None => {}
        }
    }
    focused
}

/// A profile that passed google/pprof's validity checks, with its tables indexed.
struct Checked<'a> {
    strings: &'a [Vec<u8>],
    functions: HashMap<u64, &'a pb::Function>,
    mappings: HashMap<u64, &'a pb::Mapping>,
}

impl<'a> Checked<'a> {
    fn new(p: &'a pb::Profile) -> Result<Self, String> {
        if p.sample_type.is_empty() && !p.sample.is_empty() {
            return Err("malformed profile: missing sample type information".into());
        }
        let mut mappings = HashMap::new();
        for m in &p.mapping {
            if m.id == 0 || mappings.insert(m.id, m).is_some() {
                return Err(format!("malformed profile: mapping id {} is reserved or repeated", m.id));
            }
        }
        let mut functions = HashMap::new();
        for f in &p.function {
            if f.id == 0 || functions.insert(f.id, f).is_some() {
                return Err(format!("malformed profile: function id {} is reserved or repeated", f.id));
            }
        }
        let mut locations = HashSet::new();
        for l in &p.location {
            if l.id == 0 || !locations.insert(l.id) {
                return Err(format!("malformed profile: location id {} is reserved or repeated", l.id));
            }
            if l.mapping_id != 0 && !mappings.contains_key(&l.mapping_id) {
                return Err(format!("malformed profile: location {} has unknown mapping {}", l.id, l.mapping_id));
            }
            if let Some(line) = l.line.iter().find(|ln| !functions.contains_key(&ln.function_id)) {
                return Err(format!("malformed profile: location {} has unknown function {}", l.id, line.function_id));
            }
        }
        for s in &p.sample {
            if s.value.len() != p.sample_type.len() {
                return Err(format!("malformed profile: sample has {} values vs. {} types", s.value.len(), p.sample_type.len()));
            }
            if let Some(id) = s.location_id.iter().find(|id| !locations.contains(id)) {
                return Err(format!("malformed profile: sample has unknown location {id}"));
            }
        }
        Ok(Checked { strings: &p.string_table, functions, mappings })
    }

    fn string(&self, i: i64) -> Result<&'a [u8], String> {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.strings.get(i))
            .map(|s| &s[..])
            .ok_or_else(|| format!("malformed profile: string index {i} out of range"))
    }

    /// pprof's `Location.matchesName`.
    fn matches(&self, loc: &pb::Location, re: &Regex) -> bool {
        let hit = |i: i64| self.string(i).map(|s| re.is_match(s)).unwrap_or(false);
        loc.line.iter().any(|ln| self.functions.get(&ln.function_id).is_some_and(|f| hit(f.name) || hit(f.filename)))
            || self.mappings.get(&loc.mapping_id).is_some_and(|m| hit(m.filename))
    }

    /// Each location's verdict for one filtering pass: focused (true),
    /// ignored (false) or neither (absent). An ignore pass (no focus) marks
    /// every location one way or the other; a focus pass only the matches.
    fn verdicts(&self, p: &pb::Profile, verdict: impl Fn(&pb::Location) -> Option<bool>) -> HashMap<u64, bool> {
        p.location.iter().filter_map(|loc| verdict(loc).map(|v| (loc.id, v))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{total, SampleFilter};
    use export::pprof::pb;
    use prost::Message;
    use regex::bytes::Regex;

    /// Samples [a←main] 1, [b←main] 10, [] 100 (a stackless sample);
    /// function a lives in lib.go, b in mapping /bin/b-only.
    fn profile(default_type: i64) -> Vec<u8> {
        let strings = ["", "count", "bytes", "main", "a", "b", "main.go", "lib.go", "/bin/app", "/bin/b-only", "size"];
        let loc = |id, f, m| pb::Location { id, mapping_id: m, line: vec![pb::Line { function_id: f, ..Default::default() }], ..Default::default() };
        let func = |id, name, file| pb::Function { id, name, filename: file, ..Default::default() };
        let sample = |locs: Vec<u64>, v: i64| pb::Sample { location_id: locs, value: vec![v, v * 2], ..Default::default() };
        pb::Profile {
            sample_type: vec![pb::ValueType { r#type: 1, unit: 1 }, pb::ValueType { r#type: 10, unit: 2 }],
            sample: vec![sample(vec![2, 1], 1), sample(vec![3, 1], 10), sample(vec![], 100)],
            mapping: vec![pb::Mapping { id: 1, filename: 8, ..Default::default() }, pb::Mapping { id: 2, filename: 9, ..Default::default() }],
            location: vec![loc(1, 1, 1), loc(2, 2, 1), loc(3, 3, 2)],
            function: vec![func(1, 3, 6), func(2, 4, 7), func(3, 5, 6)],
            string_table: strings.iter().map(|s| s.as_bytes().to_vec()).collect(),
            default_sample_type: default_type,
            ..Default::default()
        }
        .encode_to_vec()
    }

    fn sum(default_type: i64, sample_type: Option<&str>, focus: &[&str], ignore: Option<&str>) -> (i128, String) {
        let filter = SampleFilter {
            focus: focus.iter().map(|r| Regex::new(r).unwrap()).collect(),
            ignore: ignore.map(|r| Regex::new(r).unwrap()),
        };
        let t = total(&profile(default_type), sample_type, &filter).unwrap();
        (t.value, t.sample_type)
    }

    #[test]
    fn pprofs_filter_semantics() {
        // No default named: the first type; a default: that one; a missing type: the first.
        assert_eq!(sum(0, None, &[], None), (111, "count".into()));
        assert_eq!(sum(10, None, &[], None), (222, "size".into()));
        assert_eq!(sum(10, Some("nope"), &[], None), (111, "count".into()));
        // Focus on a function name, on a file, on a mapping's file; every focus must match.
        assert_eq!(sum(0, None, &["^a$"], None).0, 1);
        assert_eq!(sum(0, None, &["lib\\.go"], None).0, 1);
        assert_eq!(sum(0, None, &["b-only"], None).0, 10);
        assert_eq!(sum(0, None, &["main"], None).0, 11);
        assert_eq!(sum(0, None, &["main", "^b$"], None).0, 10);
        // Ignore drops matching stacks, and (as pprof) stackless samples too.
        assert_eq!(sum(0, None, &[], Some("^a$")).0, 10);
        assert_eq!(sum(0, None, &["main"], Some("^b$")).0, 1);
    }

    #[test]
    fn what_google_pprof_refuses_is_an_error() {
        let f = SampleFilter { focus: vec![], ignore: None };
        assert!(total(b"", None, &f).is_err());
        assert!(total(b"not a profile at all", None, &f).is_err());
        assert!(total(&[0x1f, 0x8b, 1, 2], None, &f).is_err());
        let mut p = pb::Profile::decode(&profile(0)[..]).unwrap();
        p.sample[0].value.pop();
        assert!(total(&p.encode_to_vec(), None, &f).unwrap_err().contains("values"));
    }
}
