//! The store at its edges (SPEC §4.2): a disk that fills during an ingest, a store on a
//! read-only file system, an empty input file, two reports writing the settled directory at
//! once. (A report started while an ingest holds the lock: `store::a_report_waits_for_a_running_ingest`.)
//!
//! The first two mount a small tmpfs, which needs root (CI runs as root); elsewhere they say
//! so on stderr and check nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::cargo_bin;

use crate::store::{copy_dir, outputs, testdata};

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(cargo_bin("orderhealth")).current_dir(dir).args(args).output().unwrap()
}

/// A tmpfs mounted at a directory for the test's life.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size_kib: u64) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_kib}k"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: mounting a tmpfs needs root");
        }
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    fn remount(&self, options: &str) {
        let status = Command::new("mount").args(["-o", &format!("remount,{options}")]).arg(&self.0).status().unwrap();
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// The sample's nights in `d/dumps`, split in two halves (relative paths).
pub(crate) fn halves(d: &Path) -> (Vec<String>, Vec<String>) {
    copy_dir(&testdata("sample"), &d.join("dumps"));
    let mut nights: Vec<String> = std::fs::read_dir(d.join("dumps"))
        .unwrap()
        .map(|e| format!("dumps/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    // The catalog first, as a seller gives it once: a layer with catalog rows would keep the
    // settled orders from standing in (a category could change).
    nights.sort_by_key(|n| (!n.ends_with("catalog.tsv"), n.clone()));
    let rest = nights.split_off(nights.len() / 2);
    (nights, rest)
}

/// `first`, then `files`, then `last`: a command line.
pub(crate) fn args<'a>(first: &[&'a str], files: &'a [String], last: &[&'a str]) -> Vec<&'a str> {
    let mut v = first.to_vec();
    v.extend(files.iter().map(String::as_str));
    v.extend(last);
    v
}

/// KiB a directory takes.
fn kib(dir: &Path) -> u64 {
    let out = Command::new("du").arg("-sk").arg(dir).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn an_ingest_that_fills_the_disk_leaves_the_store_as_before() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (first, rest) = halves(d);
    assert!(run(d, &args(&["ingest"], &first, &["--store", "half"])).status.success());
    assert!(run(d, &args(&["report"], &first, &["--format", "csv", "--out", "half-once"])).status.success());
    // Room for the store of the first half and a little more, not for what the rest adds.
    let Some(disk) = Tmpfs::mount(&d.join("disk"), kib(&d.join("half")) + 64) else { return };
    copy_dir(&d.join("half"), &d.join("disk/store"));
    let full = run(d, &args(&["ingest"], &rest, &["--store", "disk/store"]));
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert_eq!(full.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains("the ingest stopped; the store disk/store is as it was before it"), "{stderr}");
    // The store answers as before (the report cannot write its settled directory there: it
    // reads the store whole).
    assert!(run(d, &["report", "--store", "disk/store", "--format", "csv", "--out", "after"]).status.success());
    assert_eq!(outputs(&d.join("after")), outputs(&d.join("half-once")));
    // With room, the same ingest lands, and the store equals one read of every night.
    disk.remount("size=64m");
    assert!(run(d, &args(&["ingest"], &rest, &["--store", "disk/store"])).status.success());
    assert!(run(d, &["report", "--store", "disk/store", "--format", "csv", "--out", "all"]).status.success());
    assert!(run(d, &["report", "dumps", "--format", "csv", "--out", "all-once"]).status.success());
    assert_eq!(outputs(&d.join("all")), outputs(&d.join("all-once")));
}

#[test]
fn an_ingest_into_a_read_only_store_is_a_clear_error_and_reports_still_read_it() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (first, rest) = halves(d);
    let Some(disk) = Tmpfs::mount(&d.join("ro"), 64 * 1024) else { return };
    assert!(run(d, &args(&["ingest"], &first, &["--store", "ro/store"])).status.success());
    disk.remount("ro");
    let ingest = run(d, &args(&["ingest"], &rest, &["--store", "ro/store"]));
    let stderr = String::from_utf8_lossy(&ingest.stderr);
    assert_eq!(ingest.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ro/store") && stderr.contains("Read-only file system"), "{stderr}");
    assert!(stderr.lines().count() <= 2, "one clear line: {stderr}");
    assert!(run(d, &["report", "--store", "ro/store", "--format", "csv", "--out", "out"]).status.success());
    assert!(run(d, &args(&["report"], &first, &["--format", "csv", "--out", "once"])).status.success());
    assert_eq!(outputs(&d.join("out")), outputs(&d.join("once")));
}

#[test]
fn an_empty_input_file_is_skipped_remembered_and_named_for_what_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir(d.join("night")).unwrap();
    std::fs::copy(testdata("real-layouts/amazon-sample-order-report.txt"), d.join("night/orders.txt")).unwrap();
    std::fs::write(d.join("night/empty.txt"), b"").unwrap();
    let ingest = run(d, &["ingest", "night", "--store", "store"]);
    let stderr = String::from_utf8_lossy(&ingest.stderr);
    assert!(ingest.status.success(), "{stderr}");
    assert!(
        stderr.contains("night/empty.txt: not a recognised input: the file is empty (0 bytes, or no line)"),
        "{stderr}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("store/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["skipped"][0]["path"], "night/empty.txt");
    assert!(run(d, &["report", "--store", "store", "--out", "out"]).status.success());
    // Named again, the store knows those bytes (it skipped them); named to a run that reads
    // it, it is an error that says what it is.
    assert!(run(d, &["ingest", "night/empty.txt", "--store", "store"]).status.success());
    let named = run(d, &["report", "night/empty.txt", "--out", "named"]);
    assert_eq!(named.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&named.stderr).contains("night/empty.txt: not a recognised input: the file is empty")
    );
}

#[test]
fn two_reports_writing_the_settled_directory_at_once_both_land() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (first, _) = halves(d);
    assert!(run(d, &args(&["ingest"], &first, &["--store", "store"])).status.success());
    // Neither finds a settled directory: both judge and write one; the first rename wins.
    let spawn = |out: &str| {
        Command::new(cargo_bin("orderhealth"))
            .current_dir(d)
            .args(["report", "--store", "store", "--format", "csv", "--out", out])
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn("a"), spawn("b"));
    assert!(a.wait().unwrap().success() && b.wait().unwrap().success());
    assert!(run(d, &args(&["report"], &first, &["--format", "csv", "--out", "once"])).status.success());
    let once = outputs(&d.join("once"));
    assert_eq!(outputs(&d.join("a")), once);
    assert_eq!(outputs(&d.join("b")), once);
    // One settled directory, whole, and no temporary one left behind.
    let settled: Vec<PathBuf> =
        std::fs::read_dir(d.join("store/settled")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(settled.len(), 1);
    let keys: Vec<String> = std::fs::read_dir(&settled[0])
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(!keys[0].ends_with(".tmp"));
    assert!(run(d, &["report", "--store", "store", "--format", "csv", "--out", "c"]).status.success());
    assert_eq!(outputs(&d.join("c")), once, "the directory they left is used as written");
}
