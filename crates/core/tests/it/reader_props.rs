//! Property test of the reader: valid dumps of every kind, mutated byte by byte (truncated,
//! tabs, CR, NUL, invalid UTF-8, BOMs, header columns dropped or doubled, huge fields), never
//! panic, and every row is accounted for.

use crate::common::{testdata, try_load};
use orderhealth_core::ReadOptions;
use proptest::prelude::*;

/// One valid file of each kind.
const BASES: &[&str] = &[
    "rules/2026-03-12-all-orders.txt",
    "rules/2026-03-09-new-orders.txt",
    "rules/2026-03-12-unshipped.txt",
    "rules/cancel-events.tsv",
    "rules/cancel-feed.txt",
    "rules/confirmations.txt",
    "metrics/tracking/scans.tsv",
    "metrics/tracking/catalog.tsv",
    "formats/windows1252_uk.txt",
    "formats/cp932_jp.txt",
];

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Delete(usize),
    /// Duplicate the line holding this offset (the header included).
    DuplicateLine(usize),
    /// Drop the field of the first line at this index.
    DropHeaderField(usize),
    HugeField(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let inserted = prop_oneof![
        Just(b"\t".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(vec![0u8]),
        Just(vec![0xff, 0xfe]),
        Just(vec![0xe9]),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"\x1b[31m".to_vec()),
        Just("é日本".as_bytes().to_vec()),
    ];
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), inserted).prop_map(|(at, b)| Mutation::Insert(at, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (0usize..12).prop_map(Mutation::DropHeaderField),
        any::<usize>().prop_map(Mutation::HugeField),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    match m {
        Mutation::Truncate(i) => bytes.truncate(at(*i, bytes.len())),
        Mutation::Insert(i, b) => {
            let p = at(*i, bytes.len());
            bytes.splice(p..p, b.iter().copied());
        }
        Mutation::Delete(i) if !bytes.is_empty() => {
            bytes.remove(i % bytes.len());
        }
        Mutation::Delete(_) => {}
        Mutation::DuplicateLine(i) => {
            let p = at(*i, bytes.len()).min(bytes.len().saturating_sub(1));
            let start = bytes[..p].iter().rposition(|&b| b == b'\n').map_or(0, |x| x + 1);
            let end = bytes[p..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |x| p + x + 1);
            let line = bytes[start..end].to_vec();
            bytes.splice(end..end, line);
        }
        Mutation::DropHeaderField(k) => {
            let end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
            let fields: Vec<&[u8]> = bytes[..end].split(|&b| b == b'\t').collect();
            if fields.len() > 1 {
                let kept: Vec<&[u8]> =
                    fields.iter().enumerate().filter(|(i, _)| i != &(k % fields.len())).map(|(_, f)| *f).collect();
                let header = kept.join(&b'\t');
                bytes.splice(..end, header);
            }
        }
        Mutation::HugeField(i) => {
            let p = at(*i, bytes.len());
            bytes.splice(p..p, std::iter::repeat_n(b'x', 200_000));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_dumps_never_panic_and_every_row_is_accounted_for(
        base in 0..BASES.len(),
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let mut bytes = std::fs::read(testdata(BASES[base])).unwrap();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dump.txt");
        std::fs::write(&path, &bytes).unwrap();
        // An unrecognised or incomplete file is an error, not a panic; anything read is
        // accounted for row by row.
        if let Ok(loaded) = try_load(&[path], &ReadOptions::default()) {
            let lines = bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty() && l != b"\r").count() as u64;
            for f in &loaded.files {
                prop_assert!(f.rows_rejected <= f.rows_read);
                prop_assert!(f.rows_read + f.repeated_headers < lines.max(1), "{f:?} from {lines} lines");
                prop_assert_eq!(f.rows_rejected as usize, loaded.rejected.len());
            }
            let mut seen: Vec<u64> = loaded.rejected.iter().map(|r| r.line).collect();
            seen.sort();
            seen.dedup();
            prop_assert_eq!(seen.len(), loaded.rejected.len(), "one rejection per line");
            prop_assert!(loaded.rejected.iter().all(|r| r.line >= 2 && r.reason.len() < 100_000));
        }
    }
}

/// SP-API JSON of each shape (§1.6).
const JSON_BASES: &[&str] = &[
    "sp-api/amazon/v0-getOrders.json",
    "sp-api/amazon/v0-getOrderItems.json",
    "sp-api/amazon/v2026-searchOrders.json",
    "sp-api/bad/export.jsonl",
];

fn json_mutation() -> impl Strategy<Value = Mutation> {
    let inserted = prop_oneof![
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"[".to_vec()),
        Just(b"]".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\\".to_vec()),
        Just(b",".to_vec()),
        Just(b"null".to_vec()),
        Just(b"\n".to_vec()),
        Just(vec![0xff]),
        Just(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec()),
        Just("\"日本\"".as_bytes().to_vec()),
    ];
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), inserted).prop_map(|(at, b)| Mutation::Insert(at, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::HugeField),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Mutated SP-API JSON never panics; every record read is used or rejected, each
    /// rejection names a line of the file and a reason of bounded length.
    #[test]
    fn mutated_sp_api_json_never_panics_and_every_record_is_accounted_for(
        base in 0..JSON_BASES.len(),
        mutations in proptest::collection::vec(json_mutation(), 1..5),
    ) {
        let mut bytes = std::fs::read(testdata(JSON_BASES[base])).unwrap();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.json");
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(loaded) = try_load(&[path], &ReadOptions::default()) {
            let lines = bytes.split(|&b| b == b'\n').count() as u64;
            let rejected: u64 = loaded.files.iter().map(|f| f.rows_rejected).sum();
            prop_assert_eq!(rejected as usize, loaded.rejected.len());
            for f in &loaded.files {
                prop_assert!(f.rows_rejected <= f.rows_read, "{f:?}");
            }
            prop_assert!(loaded.rejected.iter().all(|r| (1..=lines).contains(&r.line) && r.reason.len() < 1_000));
        }
    }
}
