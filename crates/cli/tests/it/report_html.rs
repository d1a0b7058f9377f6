//! `report.html` as a reviewer sees it (SPEC §4.1): opened in a real headless Chromium with
//! scripts disabled, its verdict rows hold the numbers of `summary.json`, every chart is an
//! SVG with data, and the file asks for nothing from any other file or host.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it); `CHROMIUM` names another binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

fn report(input: &Path, out: &Path, extra: &[&str]) {
    let status = assert_cmd::Command::cargo_bin("orderhealth")
        .unwrap()
        .arg("report")
        .arg(input)
        .args(extra)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
}

fn chromium() -> String {
    let bin = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let found = Command::new(&bin).arg("--version").output();
    assert!(
        found.as_ref().is_ok_and(|o| o.status.success()),
        "{bin} not found: install Debian's chromium package (.ci/run does: apt-get install chromium)"
    );
    bin
}

/// Headless Chromium as this machine allows it: no sandbox (root), no GPU, no connection of
/// its own to any host, a fresh profile. (`--dump-dom` and `--screenshot` drive the page with
/// Chromium's own scripts, so scripts stay on; the page has none of its own: see the test
/// below.)
fn headless(profile: &Path, args: &[&str], page: &Path) -> std::process::Output {
    let output = Command::new("timeout")
        .arg("120")
        .arg(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

/// The text of an element's markup, tags removed, whitespace collapsed.
fn text_of(markup: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in markup.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The verdict row of one window in the rendered DOM.
fn row<'d>(dom: &'d str, marketplace: &str, key: &str) -> Option<&'d str> {
    let start = dom.find(&format!(r#"data-marketplace="{marketplace}" data-window="{key}""#))?;
    let end = dom[start..].find("</tr>")?;
    Some(&dom[start..start + end])
}

fn percent(rate: &Value) -> String {
    rate.as_f64().map(|r| format!("{:.2}%", r * 100.0)).unwrap_or_else(|| "-".into())
}

fn thousands(v: &Value) -> String {
    let digits = v.as_i64().unwrap().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Every current window of `summary.json`, as (marketplace, row key, window, part, whole).
fn current_windows(summary: &Value) -> Vec<(String, String, &Value, &Value, &Value)> {
    let mut windows = Vec::new();
    for (m, current) in summary["current"].as_object().unwrap() {
        let w = &current["cancel_rate"];
        if !w.is_null() {
            windows.push((m.clone(), "cancel_rate".to_string(), w, &w["cancelled"], &w["orders"]));
        }
        for (days, w) in current["late_shipment"].as_object().into_iter().flatten() {
            windows.push((m.clone(), format!("late_shipment/{days}"), w, &w["late"], &w["orders"]));
        }
        for (days, w) in current["on_time_delivery"].as_object().into_iter().flatten() {
            windows.push((m.clone(), format!("on_time_delivery/{days}"), w, &w["on_time"], &w["packages"]));
        }
        for (category, w) in current["valid_tracking"].as_object().unwrap() {
            windows.push((m.clone(), format!("valid_tracking/{category}"), w, &w["valid"], &w["packages"]));
        }
    }
    windows
}

#[test]
fn the_page_shows_every_current_window_of_the_summary_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    report(&testdata("sample"), &out, &[]);
    let page = out.join("report.html");
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();

    let dom = headless(&dir.path().join("profile"), &["--dump-dom"], &page);
    let dom = String::from_utf8(dom.stdout).unwrap();
    assert!(dom.contains("Account health review"), "{dom}");
    let windows = current_windows(&summary);
    assert!(windows.len() >= 6 * 5 + 40, "the sample has 6 marketplaces of 5 windows and up to 8 categories each");
    for (m, key, w, part, whole) in &windows {
        let row = row(&dom, m, key).unwrap_or_else(|| panic!("no verdict row for {m} {key}"));
        let text = text_of(&format!("<{row}"));
        let window = format!("{} .. {}", w["window_start"].as_str().unwrap(), w["window_end"].as_str().unwrap());
        for expected in [
            window,
            percent(&w["rate"]),
            format!("{} / {}", thousands(part), thousands(whole)),
            w["status"].to_string(),
        ] {
            let expected = expected.trim_matches('"').to_string();
            assert!(text.contains(&expected), "{m} {key}: {expected:?} not in {text:?}");
        }
    }

    // Worst first, categories folded: the sample's late-shipment problem (UK) and its failing
    // category (Electronics in the US) lead, and the US tracking row names the category.
    let first: Vec<&str> = dom.split(r#"data-marketplace=""#).skip(1).take(12).map(|r| &r[..2]).collect();
    assert!(first.starts_with(&["UK"]) && first.contains(&"US"), "{first:?}");
    let tracking = row(&dom, "US", "valid_tracking").expect("the US tracking row");
    assert!(text_of(&format!("<{tracking}")).contains("categories: 1/8 BAD: Electronics"), "{tracking}");
    assert!(text_of(&dom).contains("Valid tracking by category"));
    assert!(text_of(&dom).contains("Packages not delivered on time in the current windows"));

    // Every chart is an SVG with a drawn line; four per marketplace on the sample.
    let charts: Vec<&str> = dom.split(r#"<svg class="chart""#).skip(1).collect();
    assert_eq!(charts.len(), 4 * summary["current"].as_object().unwrap().len());
    for chart in charts {
        let chart = &chart[..chart.find("</svg>").unwrap()];
        assert!(chart.contains(r#"<path d="M"#) && chart.contains(" L"), "a chart without a line: {chart}");
    }

    // The lists: the sample's open orders past or near their deadline.
    let auto = &summary["auto_cancel"];
    let open = auto["overdue"].as_i64().unwrap() + auto["at_risk"].as_i64().unwrap();
    assert!(
        text_of(&dom).contains(&format!("Open orders overdue or at risk of auto-cancellation ({open})")),
        "{open} open orders"
    );

    // It renders: a screenshot of the page as a reviewer's window shows it.
    let shot = dir.path().join("page.png");
    headless(
        &dir.path().join("profile2"),
        &["--window-size=1100,1600", &format!("--screenshot={}", shot.display())],
        &page,
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000, "{} bytes", png.len());
}

/// The cancellations the page lists as counted are those the current windows count: the
/// summary's `cancelled`, summed over marketplaces.
#[test]
fn counted_cancellations_are_those_of_the_current_windows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // The rules fixture as of its busy week: cancellations of every class.
    report(&testdata("metrics/cancel"), &out, &["--as-of", "2026-03-10T12:00:00Z"]);
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let counted: i64 =
        summary["current"].as_object().unwrap().values().filter_map(|c| c["cancel_rate"]["cancelled"].as_i64()).sum();
    assert!(counted > 0);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(text_of(&html).contains(&format!("Cancellations counted in the current windows ({counted})")), "{counted}");
}

#[test]
fn the_page_asks_nothing_of_any_other_file_or_host_and_is_the_same_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    report(&testdata("sample"), &a, &["--format", "csv"]);
    report(&testdata("sample"), &b, &["--format", "csv"]);
    let html = std::fs::read_to_string(a.join("report.html")).unwrap();
    assert!(html == std::fs::read_to_string(b.join("report.html")).unwrap(), "two runs, two pages");
    let lower = html.to_lowercase();
    for fetch in [
        "<script", "<link", "<img", "<iframe", "<object", "<embed", "src=", "href=", "url(", "@import", "http:",
        "https:", "//",
    ] {
        assert!(!lower.contains(fetch), "{fetch:?} in report.html");
    }
    assert!(lower.starts_with("<!doctype html>"));
}

/// Given Amazon's seller performance report, the page shows its windows beside ours, in
/// Chromium: the DE week that differs, with the orders that could explain it.
#[test]
fn amazons_numbers_are_beside_ours_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let differs = testdata("performance/differs.json");
    report(&testdata("sample"), &out, &[differs.to_str().unwrap()]);
    let dom = headless(&dir.path().join("profile"), &["--dump-dom"], &out.join("report.html"));
    let dom = String::from_utf8(dom.stdout).unwrap();
    let text = text_of(&dom);
    assert!(text.contains("Amazon's numbers beside ours"), "{text}");
    let start = dom.find(r#"data-marketplace="DE" data-reconcile="cancel_rate""#).expect("the DE row");
    let row = text_of(&dom[start..start + dom[start..].find("</tr>").unwrap()]);
    for expected in
        ["2026-03-03 .. 2026-03-09", "1 / 12 (8.33%)", "0 / 11 (0.00%)", "differs", "1 buyer-requested, 4 edge-day"]
    {
        assert!(row.contains(expected), "{expected:?} not in {row:?}");
    }
}

/// The fleet page in Chromium: one row per account, worst first, each metric's status as
/// `fleet.json` has it, each account linking its own report (which is there).
#[test]
fn the_fleet_page_shows_every_account_worst_first_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sample = testdata("sample");
    let mut nights: Vec<PathBuf> =
        std::fs::read_dir(&sample).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    nights.sort();
    let ingest = |store: &str, inputs: &[PathBuf]| {
        let status = Command::new(env!("CARGO_BIN_EXE_orderhealth"))
            .current_dir(d)
            .arg("ingest")
            .args(inputs)
            .args(["--store", store])
            .output()
            .unwrap();
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    };
    ingest("whole", std::slice::from_ref(&sample));
    ingest("early", &nights[..10]);
    let out = Command::new(env!("CARGO_BIN_EXE_orderhealth"))
        .current_dir(d)
        .args(["fleet", "whole", "early", "--out", "fleet"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fleet: Value = serde_json::from_slice(&std::fs::read(d.join("fleet/fleet.json")).unwrap()).unwrap();
    let dom = headless(&d.join("profile"), &["--dump-dom"], &d.join("fleet/fleet.html"));
    let dom = String::from_utf8(dom.stdout).unwrap();
    let rows: Vec<&str> = dom.split("<tr>").skip(2).collect();
    let accounts = fleet["accounts"].as_array().unwrap();
    assert_eq!(rows.len(), accounts.len(), "{dom}");
    for (row, account) in rows.iter().zip(accounts) {
        let name = account["name"].as_str().unwrap();
        assert!(row.contains(&format!("<a href=\"{name}/report.html\">{name}</a>")), "{row}");
        assert!(d.join("fleet").join(name).join("report.html").is_file());
        let text = text_of(row);
        let statuses: Vec<&str> = [
            "cancel_rate",
            "late_shipment_10",
            "late_shipment_30",
            "valid_tracking",
            "on_time_delivery_14",
            "on_time_delivery_30",
        ]
        .iter()
        .map(|k| account["metrics"][k]["status"].as_str().unwrap())
        .collect();
        let shown: Vec<&str> = text.split(' ').filter(|w| ["BAD", "GOOD", "NONE"].contains(w)).collect();
        // The verdict column, then one status per metric.
        assert_eq!(&shown[1..], &statuses[..], "{text}");
    }
    assert!(text_of(&dom).contains(&format!("of {} accounts BAD", accounts.len())), "{dom}");
}
