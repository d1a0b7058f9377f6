//! `--threads N` caps the pool a run uses (one, polars', named `orderhealth-N`: our loops and
//! polars' share it) and the runtimes polars starts, watched from outside: the threads the
//! running process has, by name, sampled from /proc. And `--threads 1` writes the bytes of the
//! default.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::cargo_bin;

use crate::store::outputs;

/// Runs `report` with `threads`; per thread-name family (the name without its number:
/// `orderhealth-` is the pool, `polars-` a second pool polars would start; a name is cut at 15
/// bytes), how many distinct threads the process had while it ran (the pool: how many distinct
/// names).
fn report_threads(dir: &Path, out: &str, threads: Option<&str>) -> BTreeMap<String, usize> {
    let mut cmd = Command::new(cargo_bin("orderhealth"));
    cmd.current_dir(dir).args(["report", "dumps", "--format", "csv", "--out", out]);
    if let Some(n) = threads {
        cmd.args(["--threads", n]);
    }
    let mut child = cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let tasks = format!("/proc/{}/task", child.id());
    // Per thread id, its last name: a new thread shows its creator's name until it names itself.
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    while child.try_wait().unwrap().is_none() {
        for task in std::fs::read_dir(&tasks).into_iter().flatten().flatten() {
            if let Ok(name) = std::fs::read_to_string(task.path().join("comm")) {
                seen.insert(task.file_name().to_string_lossy().into_owned(), name.trim().to_string());
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(child.wait().unwrap().success());
    let mut families: BTreeMap<String, usize> = BTreeMap::new();
    // Our pool is counted by its names (`orderhealth-0` …): the command runs on one of its
    // workers, and a helper thread it starts shows that worker's name until it names itself
    // (one that ends first is only ever seen so).
    let mut ours = std::collections::BTreeSet::new();
    for name in seen.into_values() {
        let family = name.trim_end_matches(|c: char| c.is_ascii_digit()).to_string();
        if family == "orderhealth-" {
            ours.insert(name);
            continue;
        }
        *families.entry(family).or_default() += 1;
    }
    if !ours.is_empty() {
        families.insert("orderhealth-".into(), ours.len());
    }
    families
}

#[test]
fn threads_caps_every_pool_and_changes_no_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let generate = Command::new(cargo_bin("orderhealth"))
        .current_dir(d)
        .args(["generate", "--orders", "20000", "--days", "20", "--seed", "3", "--out", "dumps"])
        .output()
        .unwrap();
    assert!(generate.status.success());
    let one = report_threads(d, "one", Some("1"));
    // The pools' own threads (the main thread is `orderhealth`, without a number).
    let pool = |f: &BTreeMap<String, usize>, name: &str| f.get(name).copied().unwrap_or(0);
    assert_eq!(pool(&one, "orderhealth-"), 1, "one thread in the pool: {one:?}");
    for family in ["polars-", "tokio-rt-worker", "async-executor-"] {
        assert!(pool(&one, family) <= 1, "{family}: {one:?}");
    }
    let two = report_threads(d, "two", Some("2"));
    assert!(pool(&two, "orderhealth-") <= 2, "{two:?}");
    // One pool: polars works on ours (named so) and starts none of its own.
    let all = report_threads(d, "all", None);
    for threads in [&one, &two, &all] {
        assert_eq!(pool(threads, "polars-"), 0, "{threads:?}");
    }
    assert_eq!(outputs(&d.join("one")), outputs(&d.join("all")), "--threads 1 writes the default's bytes");
    assert_eq!(outputs(&d.join("two")), outputs(&d.join("all")));
}

/// `--timings` says where a run spent its time, stage by stage, on stderr.
#[test]
fn timings_name_each_stage_of_a_run() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sample");
    let run = |args: &[&str]| {
        let out = Command::new(cargo_bin("orderhealth")).current_dir(tmp.path()).args(args).output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = run(&["report", sample.to_str().unwrap(), "--out", "out", "--timings"]);
    let line = stderr.lines().find(|l| l.starts_with("timings: ")).expect(&stderr);
    let stages: Vec<&str> =
        line.trim_start_matches("timings: ").split(", ").map(|s| s.split(' ').next().unwrap()).collect();
    assert_eq!(stages, ["reading", "merging", "computing", "writing"], "{line}");
    assert!(line.contains(" s (total "), "{line}");
    // The parts of the stages: reading and absorbing (thread-seconds), and each of the reports
    // that run at once, in the order they ended.
    let detail = stderr.lines().find(|l| l.starts_with("timings in detail: ")).expect(&stderr);
    let mut parts: Vec<&str> = detail
        .trim_start_matches("timings in detail: ")
        .split(", ")
        .map(|s| s.rsplitn(3, ' ').nth(2).unwrap())
        .collect();
    parts.sort();
    assert_eq!(
        parts,
        [
            "absorbing into the book (thread-seconds)",
            "auto_cancel and cancellations",
            "cancel_rate",
            "judging packages",
            "late_shipment",
            "on_time_delivery",
            "per-day counts of orders",
            "reading files (thread-seconds)",
            "valid_tracking",
            "writing the tables",
        ],
        "{detail}"
    );
    // An ingest's stages: the first makes the base (it folds the stored states: none yet);
    // one that finds nothing new only looks and commits.
    let stages_of = |stderr: &str| -> Vec<String> {
        let line = stderr.lines().find(|l| l.starts_with("timings: ")).expect(stderr);
        assert!(line.contains(" s (total "), "{line}");
        line.trim_start_matches("timings: ")
            .split(" (total ")
            .next()
            .unwrap()
            .split(", ")
            .map(|s| s.rsplitn(3, ' ').nth(2).unwrap().to_string())
            .collect()
    };
    let stderr = run(&["ingest", sample.to_str().unwrap(), "--store", "store", "--timings"]);
    assert_eq!(
        stages_of(&stderr),
        ["finding the inputs", "reading the new files", "folding the stored states", "writing the state", "committing"],
        "{stderr}"
    );
    let stderr = run(&["ingest", sample.to_str().unwrap(), "--store", "store", "--timings"]);
    assert_eq!(stages_of(&stderr), ["finding the inputs", "committing"], "{stderr}");
    assert!(!run(&["ingest", sample.to_str().unwrap(), "--store", "store"]).contains("timings:"));
    let stderr = run(&["report", "--store", "store", "--out", "out2", "--timings"]);
    assert!(stderr.contains("timings: reading the store "), "{stderr}");
    assert!(!run(&["report", sample.to_str().unwrap(), "--out", "out3"]).contains("timings:"));
}
