//! Writing tables (SPEC §4, §5.6): Parquet, CSV or JSON, each written to a temporary name
//! and renamed into place, so an interrupted run never leaves a report that looks whole.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use orderhealth_core::timestamp::{date_of, format_instant};
use orderhealth_core::Rejected;
use polars::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Parquet,
    Csv,
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "parquet" => Ok(Format::Parquet),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(format!("unknown format {s:?}: expected parquet, csv or json")),
        }
    }
}

/// Writes `dir/name` through `write`, atomically: a temporary file, then a rename.
pub fn write_atomically(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<PathBuf> {
    let target = dir.join(name);
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let file = File::create(&temp).with_context(|| format!("{}: cannot create", temp.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        write(&mut out)?;
        out.flush()?;
        out.get_ref().sync_all()?;
        std::fs::rename(&temp, &target).with_context(|| format!("{}: cannot rename into place", target.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.with_context(|| format!("writing {}", target.display()))?;
    Ok(target)
}

/// Writes one table as `<table>.<ext>`.
pub fn write_table(dir: &Path, table: &str, df: &DataFrame, format: Format) -> Result<PathBuf> {
    let name = format!("{table}.{}", format.extension());
    write_atomically(dir, &name, |out| {
        match format {
            Format::Parquet => {
                ParquetWriter::new(out).finish(&mut df.clone())?;
            }
            Format::Csv => CsvWriter::new(out).include_header(true).finish(&mut text_ready(df)?)?,
            Format::Json => JsonWriter::new(out).with_json_format(JsonFormat::Json).finish(&mut text_ready(df)?)?,
        }
        Ok(())
    })
}

/// CSV and JSON show timestamps as `YYYY-MM-DDTHH:MM:SSZ` (whole seconds) and dates as
/// `YYYY-MM-DD` (§5.6); they are formatted here so both formats agree to the byte.
fn text_ready(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut columns = Vec::with_capacity(df.width());
    for c in df.columns() {
        let text: Option<Vec<Option<String>>> = match c.dtype() {
            DataType::Datetime(_, _) => {
                Some(c.cast(&DataType::Int64)?.i64()?.iter().map(|v| v.map(format_instant)).collect())
            }
            DataType::Date => {
                Some(c.cast(&DataType::Int32)?.i32()?.iter().map(|v| v.map(|d| date_of(d).to_string())).collect())
            }
            _ => None,
        };
        columns.push(match text {
            Some(values) => Column::new(c.name().clone(), values),
            None => c.clone(),
        });
    }
    DataFrame::new(df.height(), columns)
}

/// `rejected.tsv`: file, line, kind, reason; written on every run, header alone when clean.
pub fn write_rejected(dir: &Path, rejected: &[Rejected]) -> Result<PathBuf> {
    write_atomically(dir, "rejected.tsv", |out| {
        writeln!(out, "file\tline\tkind\treason")?;
        for r in rejected {
            writeln!(out, "{}\t{}\t{}\t{}", r.file, r.line, r.kind, r.reason)?;
        }
        Ok(())
    })
}
