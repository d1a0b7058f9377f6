//! Hot paths, measured with divan: reading and typing rows, the fold and merge, tracking
//! validation. Run: `cargo bench -p orderhealth-benches`.

use std::sync::OnceLock;

use divan::counter::{BytesCount, ItemsCount};
use divan::Bencher;
use orderhealth_benches::{data_set, data_set_as, files_named, DataSet};
use orderhealth_core::read::read_file;
use orderhealth_core::{collect_inputs, load, ReadOptions, Tracking, View, ViewOptions};

fn main() {
    divan::main();
}

fn data() -> &'static DataSet {
    static DATA: OnceLock<DataSet> = OnceLock::new();
    DATA.get_or_init(|| data_set(50_000, 30))
}

/// The same orders as SP-API v0 responses (getOrders pages and getOrderItems, JSON lines).
fn json_data() -> &'static DataSet {
    static DATA: OnceLock<DataSet> = OnceLock::new();
    DATA.get_or_init(|| data_set_as(50_000, 30, orderhealth_synth::DumpFormat::SpApi))
}

/// Reads every file whose name ends with `suffix`, one thread, counting its bytes.
fn read_files(bencher: Bencher, suffix: &str) {
    read_files_of(bencher, data(), suffix);
}

fn read_files_of(bencher: Bencher, data: &DataSet, suffix: &str) {
    let files = files_named(&data.root, suffix);
    let bytes: u64 = files.iter().map(|f| std::fs::metadata(f).unwrap().len()).sum();
    bencher.counter(BytesCount::new(bytes)).bench(|| {
        for f in &files {
            divan::black_box(
                read_file(f, &ReadOptions::default(), &|_| {}, &mut |part| drop(divan::black_box(part))).unwrap(),
            );
        }
    });
}

/// Reading and typing rows: the UTF-8 all-orders dumps, one thread.
#[divan::bench(sample_count = 10)]
fn read_all_orders_utf8(bencher: Bencher) {
    read_files(bencher, "all-orders-NA.txt");
}

/// The same for Windows-1252 files (EU): detection, restart and transcoding.
#[divan::bench(sample_count = 10)]
fn read_all_orders_windows_1252(bencher: Bencher) {
    read_files(bencher, "all-orders-EU.txt");
}

/// Reading SP-API JSON: North America's nightly v0 responses (the orders of the TSV bench
/// above, as JSON), one thread.
#[divan::bench(sample_count = 10)]
fn read_sp_api_json(bencher: Bencher) {
    read_files_of(bencher, json_data(), "sp-api-orders-NA.jsonl");
}

/// Every file of the data set read and folded into the book (2 threads).
#[divan::bench(sample_count = 5)]
fn load_everything(bencher: Bencher) {
    let files = collect_inputs(&[data().root.clone()], None).unwrap();
    bencher
        .counter(BytesCount::new(data().bytes))
        .bench(|| divan::black_box(load(&files, &ReadOptions::default(), &|_| {}).unwrap()));
}

/// Merging and classifying the folded book into the view.
#[divan::bench(sample_count = 10)]
fn merge_and_classify(bencher: Bencher) {
    let files = collect_inputs(&[data().root.clone()], None).unwrap();
    let loaded = load(&files, &ReadOptions::default(), &|_| {}).unwrap();
    let orders = loaded.book.orders_len();
    bencher
        .counter(ItemsCount::new(orders))
        .with_inputs(|| load(&files, &ReadOptions::default(), &|_| {}).unwrap().book)
        .bench_local_values(|mut book| divan::black_box(View::build(&mut book, &ViewOptions::default())));
}

/// Joining confirmations to orders and judging every package.
#[divan::bench(sample_count = 10)]
fn build_packages(bencher: Bencher) {
    let files = collect_inputs(&[data().root.clone()], None).unwrap();
    let mut loaded = load(&files, &ReadOptions::default(), &|_| {}).unwrap();
    let rows = loaded.book.shipment_rows();
    let view = View::build(&mut loaded.book, &ViewOptions::default());
    bencher
        .counter(ItemsCount::new(rows))
        .bench(|| divan::black_box(Tracking::build(&view, &loaded.book, Default::default()).defective.len()));
}

/// Tracking-number validation alone.
#[divan::bench]
fn validate_tracking_numbers(bencher: Bencher) {
    let numbers = [
        ("UPS", "1Z5R89390357567127"),
        ("USPS", "9400 1112 0108 0805 4830 16"),
        ("FedEx", "986578788855"),
        ("DHL", "3318810025"),
        ("Royal Mail", "RB123456785GB"),
        ("Yamato Transport", "123456789013"),
        ("Evri", "H00A0A0000000000"),
        ("UPS", "1Z5R8939035756712\u{200b}7"),
    ];
    bencher.counter(ItemsCount::new(numbers.len())).bench(|| {
        numbers
            .iter()
            .map(|(c, n)| orderhealth_carriers::check(divan::black_box(c), divan::black_box(n)).is_ok() as u32)
            .sum::<u32>()
    });
}
