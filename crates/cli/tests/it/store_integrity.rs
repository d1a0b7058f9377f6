//! A store you can trust (SPEC §4.2: a damaged store is an error, never a different number):
//! one bit flipped anywhere in a store of the bundled sample (two ingests, reported on), at
//! 15%, 50% and 85% of each file in turn. Every `report --store` then either fails naming the
//! damaged file, or (the settled directory, rebuilt by itself, and the lock) gives the bytes
//! of one report over the dumps; none panics and none gives other numbers.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use assert_cmd::cargo::cargo_bin;

use crate::store::{copy_dir, outputs};
use crate::store_edges::{args, halves};

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(cargo_bin("orderhealth")).current_dir(dir).args(args).output().unwrap()
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walk(dir);
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_flipped_bit_anywhere_in_a_store_is_an_error_naming_the_file_or_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (first, rest) = halves(d);
    for part in [first, rest] {
        assert!(run(d, &args(&["ingest"], &part, &["--store", "pristine"])).status.success());
    }
    let report = |store: &str, out: &str| run(d, &["report", "--store", store, "--format", "csv", "--out", out]);
    assert!(report("pristine", "first").status.success(), "the first report writes the settled directory");
    assert!(run(d, &["report", "dumps", "--format", "csv", "--out", "expected"]).status.success());
    let expected = outputs(&d.join("expected"));
    assert_eq!(outputs(&d.join("first")), expected, "an undamaged store gives one read's bytes");

    let files: Vec<PathBuf> = files_below(&d.join("pristine"));
    assert!(files.len() > 100, "a store of two ingests and a report: {}", files.len());
    let cases: Vec<(PathBuf, f64)> =
        files.iter().flat_map(|f| [0.15, 0.5, 0.85].map(|at| (f.strip_prefix(d).unwrap().to_path_buf(), at))).collect();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let (errors, rebuilt) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|s| {
        for worker in 0..4 {
            let (cases, next, failures, errors, rebuilt, expected) =
                (&cases, &next, &failures, &errors, &rebuilt, &expected);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((file, at)) = cases.get(i) else { break };
                let store = format!("store-{worker}");
                let out = format!("out-{worker}");
                let _ = std::fs::remove_dir_all(d.join(&store));
                let _ = std::fs::remove_dir_all(d.join(&out));
                copy_dir(&d.join("pristine"), &d.join(&store));
                let rel = file.strip_prefix("pristine").unwrap();
                let path = d.join(&store).join(rel);
                let mut bytes = std::fs::read(&path).unwrap();
                if bytes.is_empty() {
                    continue;
                }
                let offset = ((bytes.len() as f64 * at) as usize).min(bytes.len() - 1);
                bytes[offset] ^= 0x10;
                std::fs::write(&path, &bytes).unwrap();
                let result = report(&store, &out);
                let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
                let settled_or_lock = rel.starts_with("settled") || rel == Path::new("lock");
                let what = format!("{} at {offset}", rel.display());
                match result.status.code() {
                    Some(0) if outputs(&d.join(&out)) == *expected => {
                        if settled_or_lock {
                            rebuilt.fetch_add(1, Ordering::Relaxed);
                        } else {
                            // A file this report did not need (the base's orders the settled
                            // directory stands for): `orders --store` reads every state.
                            let orders = run(d, &["orders", "--store", &store, "--out", &out]);
                            let stderr = String::from_utf8_lossy(&orders.stderr);
                            let name = rel.file_name().unwrap().to_string_lossy();
                            let json = name.ends_with(".json");
                            match orders.status.code() {
                                Some(1) | Some(2) if stderr.contains(name.as_ref()) => {
                                    errors.fetch_add(1, Ordering::Relaxed);
                                }
                                // JSON white space, or a checksum of a file no run here reads.
                                Some(0) if json => {}
                                code => failures
                                    .lock()
                                    .unwrap()
                                    .push(format!("{what}: report passed, orders --store exit {code:?}: {stderr}")),
                            }
                        }
                    }
                    Some(0) => failures.lock().unwrap().push(format!("{what}: exit 0 with other outputs")),
                    Some(1) | Some(2) if settled_or_lock => failures
                        .lock()
                        .unwrap()
                        .push(format!("{what}: settled data is rebuilt, not an error: {stderr}")),
                    Some(1) | Some(2) => {
                        let name = rel.file_name().unwrap().to_string_lossy();
                        if !stderr.contains(name.as_ref()) || stderr.len() > 2_000 {
                            failures.lock().unwrap().push(format!("{what}: the error does not name it: {stderr}"));
                        }
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    code => failures.lock().unwrap().push(format!("{what}: exit {code:?} (a panic?): {stderr}")),
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{} of {} runs:\n{}", failures.len(), cases.len(), failures.join("\n"));
    let outside = cases.iter().filter(|(f, _)| !f.starts_with("pristine/settled") && !f.ends_with("lock")).count();
    let errors = errors.load(Ordering::Relaxed);
    assert!(errors * 10 > outside * 9, "flips outside the settled directory are errors: {errors} of {outside}");
    assert!(rebuilt.load(Ordering::Relaxed) > 0, "flips in the settled directory are rebuilt");
}

/// A store whose `manifest.json` is gone (a copy that left it out, a clean-up of JSON files)
/// still holds what its ingests committed; read as "no store", it would answer for the new
/// night alone, and an ingest would remove the history as a killed ingest's leftovers. Both
/// stop instead, naming what is there; the store is untouched and answers again once the
/// manifest is back.
#[test]
fn a_store_that_lost_its_manifest_is_an_error_and_nothing_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (first, rest) = halves(d);
    let (last, rest) = rest.split_last().unwrap();
    for part in [&first, rest] {
        assert!(run(d, &args(&["ingest"], part, &["--store", "store"])).status.success());
    }
    let manifest = std::fs::read(d.join("store/manifest.json")).unwrap();
    std::fs::remove_file(d.join("store/manifest.json")).unwrap();
    let before = files_below(&d.join("store"));
    for command in [
        vec!["report", "--store", "store", "--out", "out"],
        vec!["orders", "--store", "store", "--out", "out"],
        vec!["report", "--store", "store", "--out", "out", last.as_str()],
        vec!["ingest", last.as_str(), "--store", "store"],
    ] {
        let result = run(d, &command);
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert_eq!(result.status.code(), Some(1), "{command:?}: {stderr}");
        assert!(
            stderr.contains("store: a damaged store: its manifest.json, which lists what the store holds, is missing, but what ingests committed is there (store/")
                && stderr.contains("Put manifest.json back from a copy of the store, or ingest the dumps into a new store"),
            "{command:?}: {stderr}"
        );
        assert!(!d.join("out").exists(), "{command:?} wrote no outputs");
        assert_eq!(files_below(&d.join("store")), before, "{command:?} removed or added nothing");
    }
    std::fs::write(d.join("store/manifest.json"), manifest).unwrap();
    let night = run(d, &["report", "--store", "store", "--format", "csv", "--out", "night", last.as_str()]);
    assert!(night.status.success(), "{}", String::from_utf8_lossy(&night.stderr));
    assert!(run(d, &["report", "dumps", "--format", "csv", "--out", "once"]).status.success());
    assert_eq!(outputs(&d.join("night")), outputs(&d.join("once")), "the manifest back, the history is whole");

    // What a first ingest killed before its commit leaves (its batch and state renamed, no
    // manifest yet) is not a store: the next ingest clears it and makes one.
    let killed = d.join("killed");
    for sub in ["state/b000001/shard=00", "batches/b000001"] {
        std::fs::create_dir_all(killed.join(sub)).unwrap();
    }
    assert!(run(d, &args(&["ingest"], &first, &["--store", "killed"])).status.success());
    assert!(d.join("killed/manifest.json").is_file());
}
