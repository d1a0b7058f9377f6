//! Helpers shared by the core's integration tests.

use std::path::{Path, PathBuf};

use orderhealth_core::timestamp::parse_instant;
use orderhealth_core::{collect_inputs, load, InputError, Loaded, OrderView, ReadOptions, View, ViewOptions};

pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(rel)
}

pub fn try_load(paths: &[PathBuf], opts: &ReadOptions) -> Result<Loaded, InputError> {
    let files = collect_inputs(paths, None)?;
    load(&files, opts, &|_| {})
}

pub fn load_view(paths: &[PathBuf], read: &ReadOptions, view: &ViewOptions) -> (Loaded, View) {
    let mut loaded = try_load(paths, read).expect("inputs load");
    let view = View::build(&mut loaded.book, view);
    (loaded, view)
}

pub fn order<'a>(view: &'a View, id: &str) -> &'a OrderView {
    view.orders.iter().find(|o| &*o.order_id == id).unwrap_or_else(|| panic!("order {id} not in the view"))
}

pub fn ts(s: &str) -> i64 {
    parse_instant(s).unwrap()
}

pub fn skus(o: &OrderView) -> Vec<&str> {
    o.skus.iter().map(|s| &**s).collect()
}
