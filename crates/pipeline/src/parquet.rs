//! Parquet as orderhealth writes it: the store's tables and the reports' tables, through
//! polars' own writer one level down (`polars_parquet`), each column's encoding chosen here
//! ([`encoded`]) instead of by polars' estimate.

use anyhow::Result;
use polars::prelude::*;
use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::ArrowDataType;

/// What a table is for, which decides how it is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A store's table: uncompressed, without column statistics. Every report reads the live
    /// states, the layers and the settled lists again, and decompressing them was a tenth of
    /// its CPU (LZ4; zstd cost more); the files are 1.6 times LZ4's and the store stays near a
    /// quarter of the dumps' size (docs/BENCHMARKS.md). Nothing filters on statistics.
    Store,
    /// Every table of a settled directory (its lists, live states, evidence rows and live
    /// scans): as a store's table, but numbers that repeat (each entry's partition, the
    /// segment that holds its order, a file's id, a day) in dictionaries, as a report's are.
    /// Written once a new base and read by every report on it: the lists' partition and
    /// segment columns were a quarter of the 31 MB of lists a night reads at a million orders
    /// (every night 2.6% shorter), the live states so written made every night 2.5% shorter
    /// again, the evidence rows and live scans 1.5% more (docs/BENCHMARKS.md).
    Settled,
    /// A report's table, for the seller's tools (DuckDB, polars, pandas): zstd at level 1 and
    /// the statistics polars writes (min, max, null count), so a query can skip row groups.
    /// Level 1 rather than zstd's default 3: every page gets a new compression context, whose
    /// level-3 tables were cleared again for each of a report's many small pages
    /// (docs/BENCHMARKS.md).
    Report,
}

impl Kind {
    /// How a column of a row group is written: a report's by [`encoded`]; a store's numbers
    /// and times plain, its text by [`encoded`]. The store's keys and timestamps repeat
    /// within a file often enough for a dictionary, but building one as a layer is written
    /// and decoding it as every report reads it cost more than the bytes they save: plain,
    /// every night was 4.3% shorter side by side, for a store a quarter larger (0.42 of the
    /// dumps instead of 0.33, docs/BENCHMARKS.md).
    fn encoded(self, column: &Column) -> Result<(ArrayRef, polars_parquet::write::Encoding)> {
        let dtype = column.dtype();
        match self {
            Kind::Store if dtype.is_primitive_numeric() || dtype.is_temporal() => Ok((
                column.as_materialized_series().to_arrow(0, CompatLevel::newest()),
                polars_parquet::write::Encoding::Plain,
            )),
            _ => encoded(column),
        }
    }

    fn options(self) -> polars_parquet::write::WriteOptions {
        use polars_parquet::write::{CompressionOptions, StatisticsOptions, Version, WriteOptions, ZstdLevel};
        match self {
            Kind::Store | Kind::Settled => WriteOptions {
                statistics: StatisticsOptions::empty(),
                version: Version::V1,
                compression: CompressionOptions::Uncompressed,
                data_page_size: None,
            },
            Kind::Report => WriteOptions {
                statistics: StatisticsOptions::default(),
                version: Version::V1,
                compression: CompressionOptions::Zstd(ZstdLevel::try_new(ZSTD_LEVEL).ok()),
                data_page_size: None,
            },
        }
    }
}

/// Writes `df` as Parquet in row groups of `rows` rows, as a table of `kind`, choosing each
/// column's encoding ([`encoded`]).
///
/// One thread per file: a store's shards, and a report's tables, are written in parallel
/// already. Row group by row group, each a slice of the table (polars' `finish` cut the table
/// on its own pool, where a shard's task waited behind the others').
pub(crate) fn write_table(out: &mut impl std::io::Write, df: &mut DataFrame, rows: usize, kind: Kind) -> Result<()> {
    use polars_parquet::read::ParquetError;
    use polars_parquet::write::{
        array_to_columns, Compressor, DynIter, DynStreamingIterator, FallibleStreamingIterator, FileWriter,
    };
    let options = kind.options();
    let schema = df.schema().to_arrow(CompatLevel::newest());
    let fields = polars_parquet::write::to_parquet_schema(&schema)?.fields().to_vec();
    let mut writer = FileWriter::try_new(out, schema, options)?;
    df.rechunk_mut();
    let mut offset = 0;
    loop {
        let group = df.slice(offset as i64, rows);
        let mut chunks = Vec::with_capacity(fields.len());
        for (column, field) in group.columns().iter().zip(&fields) {
            let (array, encoding) = kind.encoded(column)?;
            for pages in array_to_columns(array, field.clone(), options, &[encoding])? {
                let pages = pages.map(|page| page.map_err(ParquetError::from));
                chunks.push(Ok(match kind {
                    Kind::Store | Kind::Settled => DynStreamingIterator::new(
                        Compressor::new(pages, options.compression, Vec::new()).map_err(PolarsError::from),
                    ),
                    Kind::Report => {
                        DynStreamingIterator::new(ZstdPages { pages, page: None }.map_err(PolarsError::from))
                    }
                }));
            }
        }
        writer.write(group.height() as u64, DynIter::new(chunks.into_iter()))?;
        offset += rows;
        if offset >= df.height() {
            break;
        }
    }
    writer.end(None)?;
    Ok(())
}

/// zstd's level for a report's tables ([`Kind::Report`]).
const ZSTD_LEVEL: i32 = 1;

/// A report's pages compressed with zstd as polars' `Compressor` compresses them (the same
/// bytes), but through one compression context per thread, kept for the run: polars' makes a
/// new context for every page and frees it, and a report writes hundreds of small pages
/// (docs/BENCHMARKS.md).
struct ZstdPages<I> {
    pages: I,
    page: Option<polars_parquet::write::CompressedPage>,
}

impl<I> polars_parquet::write::FallibleStreamingIterator for ZstdPages<I>
where
    I: Iterator<Item = polars_parquet::parquet::error::ParquetResult<polars_parquet::write::Page>>,
{
    type Item = polars_parquet::write::CompressedPage;
    type Error = polars_parquet::read::ParquetError;

    fn advance(&mut self) -> Result<(), Self::Error> {
        self.page = self.pages.next().map(|page| zstd_page(page?)).transpose()?;
        Ok(())
    }

    fn get(&self) -> Option<&Self::Item> {
        self.page.as_ref()
    }
}

/// `page` compressed as polars compresses it at [`ZSTD_LEVEL`].
fn zstd_page(
    page: polars_parquet::write::Page,
) -> polars_parquet::parquet::error::ParquetResult<polars_parquet::write::CompressedPage> {
    use polars_parquet::parquet::compression::Compression;
    use polars_parquet::parquet::page::{CompressedDictPage, DataPageHeader};
    use polars_parquet::parquet::CowBuffer;
    use polars_parquet::write::{CompressedDataPage, CompressedPage, Page};
    thread_local! {
        static CONTEXT: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> = const { std::cell::RefCell::new(None) };
    }
    // `prefix` is copied as it is (a V2 page's levels), `body` compressed after it.
    let compress = |prefix: &[u8], body: &[u8]| -> std::io::Result<Vec<u8>> {
        CONTEXT.with(|context| {
            let mut context = context.borrow_mut();
            let context = match &mut *context {
                Some(c) => c,
                None => context.insert(zstd::bulk::Compressor::new(ZSTD_LEVEL)?),
            };
            let mut out = Vec::with_capacity(prefix.len() + zstd::zstd_safe::compress_bound(body.len()));
            out.extend_from_slice(prefix);
            context.compress_to_buffer(body, &mut out)?;
            Ok(out)
        })
    };
    Ok(match page {
        Page::Data(page) => {
            let buffer = page.buffer();
            let levels = match page.header() {
                DataPageHeader::V1(_) => 0,
                DataPageHeader::V2(h) => (h.repetition_levels_byte_length + h.definition_levels_byte_length) as usize,
            };
            let compressed = compress(&buffer[..levels], &buffer[levels..])?;
            let num_rows = page.num_rows().ok_or_else(|| {
                polars_parquet::read::ParquetError::OutOfSpec("a page to write without its row count".into())
            })?;
            CompressedPage::Data(CompressedDataPage::new(
                page.header().clone(),
                CowBuffer::Owned(compressed),
                Compression::Zstd,
                buffer.len(),
                page.descriptor,
                num_rows,
            ))
        }
        Page::Dict(page) => CompressedPage::Dict(CompressedDictPage::new(
            CowBuffer::Owned(compress(&[], &page.buffer)?),
            Compression::Zstd,
            page.buffer.len(),
            page.num_values,
            page.is_sorted,
        )),
    })
}

/// How a column of a row group is written: a dictionary where its values repeat (a status, a
/// carrier, the key of a file's snapshots), else plain.
///
/// polars' writer asks for a dictionary for every column and then, for text and numbers of a
/// wide range, estimates the distinct values of each with a HyperLogLog sketch (16,384
/// registers counted per column and row group) before falling back to plain for the unique
/// ones (ids, tracking numbers, timestamps): those counts were 4% of an ingest's CPU
/// (docs/BENCHMARKS.md). Here numbers within a range of 65,536 are left to polars' writer,
/// which encodes them by a bitmap of the range without estimating; for the others the first
/// 256 values decide by polars' own threshold (a dictionary when under three quarters are
/// distinct), and a dictionary is built as polars builds it.
fn encoded(column: &Column) -> Result<(ArrayRef, polars_parquet::write::Encoding)> {
    use polars_arrow::datatypes::IntegerType;
    use polars_parquet::write::Encoding;
    const SAMPLE: usize = 256;
    fn repeats<T: Ord>(mut sample: Vec<T>) -> bool {
        let n = sample.len();
        sample.sort_unstable();
        sample.dedup();
        sample.len() * 4 < n * 3
    }
    fn narrow(min: i128, max: i128) -> bool {
        max - min <= i128::from(u16::MAX)
    }
    // The sample first: when its values already span more than the range, the column's do
    // too, and the pass over the whole column for its minimum and maximum is not needed
    // (keys and timestamps: that pass was 1.3% of a new-base night's CPU).
    macro_rules! numbers {
        ($ca:expr) => {{
            let ca = $ca;
            let sample: Vec<_> = ca.iter().flatten().take(SAMPLE).collect();
            let sample_narrow = match (sample.iter().min(), sample.iter().max()) {
                (Some(&min), Some(&max)) => narrow(min as i128, max as i128),
                _ => true,
            };
            match sample_narrow.then(|| (ca.min(), ca.max())) {
                Some((Some(min), Some(max))) if narrow(min as i128, max as i128) => None,
                _ => Some(repeats(sample)),
            }
        }};
    }
    let series = column.as_materialized_series();
    let array = series.to_arrow(0, CompatLevel::newest());
    if array.is_empty() {
        return Ok((array, Encoding::Plain));
    }
    let physical = series.to_physical_repr();
    // `None`: a narrow range of numbers, left to polars' writer; `Some(dictionary or not)`.
    let dictionary = match physical.dtype() {
        DataType::String => Some(repeats(physical.str()?.iter().flatten().take(SAMPLE).collect::<Vec<_>>())),
        DataType::UInt32 => numbers!(physical.u32()?),
        DataType::UInt64 => numbers!(physical.u64()?),
        DataType::Int32 => numbers!(physical.i32()?),
        DataType::Int64 => numbers!(physical.i64()?),
        _ => Some(false),
    };
    Ok(match dictionary {
        None => (array, Encoding::RleDictionary),
        Some(false) => (array, Encoding::Plain),
        Some(true) => {
            let to = ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(array.dtype().clone()), false);
            let any = array.as_any();
            let dictionary = if let Some(texts) = any.downcast_ref::<Utf8ViewArray>() {
                text_dictionary(texts, to)?.boxed()
            } else if let Some(numbers) = any.downcast_ref::<PrimitiveArray<u64>>() {
                number_dictionary(numbers, to)?.boxed()
            } else if let Some(numbers) = any.downcast_ref::<PrimitiveArray<i64>>() {
                number_dictionary(numbers, to)?.boxed()
            } else if let Some(numbers) = any.downcast_ref::<PrimitiveArray<u32>>() {
                number_dictionary(numbers, to)?.boxed()
            } else if let Some(numbers) = any.downcast_ref::<PrimitiveArray<i32>>() {
                number_dictionary(numbers, to)?.boxed()
            } else {
                polars::polars_compute::cast::cast(array.as_ref(), &to, Default::default())?
            };
            (dictionary, Encoding::RleDictionary)
        }
    })
}

/// The keys of a dictionary of `values` (each `None` a null, keyed 0), in the order the
/// values first come, as polars' cast numbers them; `add` is given each new value. A column
/// written with a dictionary has few values (a status, a carrier, the key of a file's
/// snapshots): each is compared with the last one found first, then looked up in a map hashed
/// with FxHash. polars' cast hashed every value with its own hasher (and compared text through
/// its views): 2% of a layer night's CPU (docs/BENCHMARKS.md).
fn dictionary_keys<T: Copy + Eq + std::hash::Hash>(
    values: impl Iterator<Item = Option<T>>,
    len: usize,
    mut add: impl FnMut(T),
) -> PolarsResult<Vec<u32>> {
    let mut index: rustc_hash::FxHashMap<T, u32> = Default::default();
    let mut keys: Vec<u32> = Vec::with_capacity(len);
    let mut last: Option<(T, u32)> = None;
    for value in values {
        keys.push(match (value, last) {
            (None, _) => 0,
            (Some(value), Some((previous, key))) if previous == value => key,
            (Some(value), _) => {
                let next = u32::try_from(index.len()).map_err(|_| polars_err!(ComputeError: "too many values"))?;
                let key = *index.entry(value).or_insert_with(|| {
                    add(value);
                    next
                });
                last = Some((value, key));
                key
            }
        });
    }
    Ok(keys)
}

/// A column of text as a dictionary of its values (`to`: its type), as polars' cast makes it.
fn text_dictionary(texts: &Utf8ViewArray, to: ArrowDataType) -> PolarsResult<DictionaryArray<u32>> {
    let mut values = polars_arrow::array::MutableBinaryViewArray::<str>::new();
    let keys = dictionary_keys(texts.iter(), texts.len(), |text| values.push_value(text))?;
    let keys = PrimitiveArray::new(ArrowDataType::UInt32, keys.into(), texts.validity().cloned());
    let values: Utf8ViewArray = values.into();
    DictionaryArray::try_new(to, keys, values.boxed())
}

/// A column of numbers as a dictionary of its values (`to`: its type; the values keep the
/// column's own, a timestamp's too), as polars' cast makes it.
fn number_dictionary<T: polars_arrow::types::NativeType + Eq + std::hash::Hash>(
    numbers: &PrimitiveArray<T>,
    to: ArrowDataType,
) -> PolarsResult<DictionaryArray<u32>> {
    let mut values: Vec<T> = Vec::new();
    let keys = dictionary_keys(numbers.iter().map(|n| n.copied()), numbers.len(), |n| values.push(n))?;
    let keys = PrimitiveArray::new(ArrowDataType::UInt32, keys.into(), numbers.validity().cloned());
    let values = PrimitiveArray::new(numbers.dtype().clone(), values.into(), None);
    DictionaryArray::try_new(to, keys, values.boxed())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How `encoded` writes a column of numbers: (dictionary asked for, written as a
    /// dictionary array by us).
    fn encoding_of(values: Vec<Option<u64>>) -> (bool, bool) {
        use polars_arrow::datatypes::ArrowDataType;
        let column = Column::new("n".into(), values);
        let (array, encoding) = encoded(&column).unwrap();
        let ours = matches!(array.dtype(), ArrowDataType::Dictionary(..));
        (encoding == polars_parquet::write::Encoding::RleDictionary, ours)
    }

    /// A report's pages compressed through the kept context are, byte for byte, those polars'
    /// own `compress` makes with a new context each (dictionary and data pages, several pages
    /// on one thread, so the context is reused between them).
    #[test]
    fn a_report_page_is_compressed_as_polars_compresses_it() {
        use polars_parquet::write::{array_to_columns, compress, CompressedPage, CompressionOptions, ZstdLevel};
        let column =
            Column::new("c".into(), (0..20_000).map(|i| Some(format!("order {}", i % 50))).collect::<Vec<_>>());
        let df = DataFrame::new(column.len(), vec![column.clone()]).unwrap();
        let schema = df.schema().to_arrow(CompatLevel::newest());
        let fields = polars_parquet::write::to_parquet_schema(&schema).unwrap().fields().to_vec();
        let options = Kind::Report.options();
        let (dictionary_array, dictionary_encoding) = encoded(&column).unwrap();
        let plain = column.as_materialized_series().to_arrow(0, CompatLevel::newest());
        for (array, encoding, dictionary) in
            [(plain, polars_parquet::write::Encoding::Plain, false), (dictionary_array, dictionary_encoding, true)]
        {
            let pages = |options| array_to_columns(array.clone(), fields[0].clone(), options, &[encoding]).unwrap();
            let small = polars_parquet::write::WriteOptions { data_page_size: Some(4096), ..options };
            let (ours, theirs): (Vec<_>, Vec<_>) = pages(small)
                .into_iter()
                .flatten()
                .zip(pages(small).into_iter().flatten())
                .map(|(a, b)| {
                    let level = CompressionOptions::Zstd(ZstdLevel::try_new(ZSTD_LEVEL).ok());
                    (zstd_page(a.unwrap()).unwrap(), compress(b.unwrap(), Vec::new(), level).unwrap())
                })
                .unzip();
            assert!(ours.len() > 3, "several pages: {}", ours.len());
            let dicts = ours.iter().filter(|p| matches!(p, CompressedPage::Dict(_))).count();
            assert_eq!(dicts, usize::from(dictionary));
            // Every field (header, bytes, sizes, compression, rows), as the page prints them.
            for (a, b) in ours.iter().zip(&theirs) {
                assert_eq!(format!("{a:?}"), format!("{b:?}"));
            }
        }
    }

    /// A text column's dictionary as polars' cast makes it: the same values in the same order,
    /// the same keys, nulls kept.
    #[test]
    fn a_text_dictionary_is_the_one_polars_casts() {
        use polars_arrow::datatypes::IntegerType;
        let columns: Vec<Vec<Option<&str>>> = vec![
            vec![
                Some("Shipped"),
                Some("Shipped"),
                None,
                Some("Pending"),
                Some("Shipped"),
                Some(""),
                None,
                Some("Pending"),
            ],
            vec![None, None, None],
            vec![
                Some("a value longer than twelve bytes"),
                Some("b"),
                Some("a value longer than twelve bytes"),
                Some("b"),
            ],
            (0..3000).map(|i| Some(["UPS", "USPS", "FedEx", "DHL", "Royal Mail"][i * 7 % 5])).collect(),
        ];
        for values in columns {
            let column = Column::new("c".into(), values.clone());
            let array = column.as_materialized_series().to_arrow(0, CompatLevel::newest());
            let to = ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(array.dtype().clone()), false);
            let theirs = polars::polars_compute::cast::cast(array.as_ref(), &to, Default::default()).unwrap();
            let texts = array.as_any().downcast_ref::<Utf8ViewArray>().unwrap();
            let ours = text_dictionary(texts, to).unwrap();
            let theirs = theirs.as_any().downcast_ref::<polars_arrow::array::DictionaryArray<u32>>().unwrap();
            assert_eq!(ours.values().as_ref(), theirs.values().as_ref(), "{values:?}");
            assert_eq!(ours.keys(), theirs.keys(), "{values:?}");
            assert_eq!(ours.dtype(), theirs.dtype());
        }
    }

    /// The same for numbers, of each width the store writes and as timestamps.
    #[test]
    fn a_number_dictionary_is_the_one_polars_casts() {
        use polars_arrow::array::DictionaryArray;
        use polars_arrow::datatypes::IntegerType;
        let wide = [Some(7u64 << 40), None, Some(7 << 40), Some(3), Some(3), None, Some(u64::MAX), Some(7 << 40)];
        let columns = vec![
            Column::new("u64".into(), wide.to_vec()),
            Column::new("i64".into(), wide.iter().map(|n| n.map(|n| n as i64)).collect::<Vec<_>>()),
            Column::new("u32".into(), wide.iter().map(|n| n.map(|n| n as u32)).collect::<Vec<_>>()),
            Column::new("i32".into(), wide.iter().map(|n| n.map(|n| n as i32)).collect::<Vec<_>>()),
            Column::new("nulls".into(), vec![None::<u64>; 4]),
            Column::new("ts".into(), wide.iter().map(|n| n.map(|n| (n >> 4) as i64)).collect::<Vec<_>>())
                .cast(&DataType::Datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC)))
                .unwrap(),
        ];
        for column in columns {
            let array = column.as_materialized_series().to_arrow(0, CompatLevel::newest());
            let to = ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(array.dtype().clone()), false);
            let theirs = polars::polars_compute::cast::cast(array.as_ref(), &to, Default::default()).unwrap();
            let theirs = theirs.as_any().downcast_ref::<DictionaryArray<u32>>().unwrap();
            let any = array.as_any();
            let ours = match column.dtype() {
                DataType::UInt64 => number_dictionary(any.downcast_ref::<PrimitiveArray<u64>>().unwrap(), to),
                DataType::UInt32 => number_dictionary(any.downcast_ref::<PrimitiveArray<u32>>().unwrap(), to),
                DataType::Int32 => number_dictionary(any.downcast_ref::<PrimitiveArray<i32>>().unwrap(), to),
                _ => number_dictionary(any.downcast_ref::<PrimitiveArray<i64>>().unwrap(), to),
            }
            .unwrap();
            assert_eq!(ours.values().as_ref(), theirs.values().as_ref(), "{}", column.name());
            assert_eq!(ours.keys(), theirs.keys(), "{}", column.name());
            assert_eq!(ours.dtype(), theirs.dtype());
        }
    }

    #[test]
    fn numbers_are_left_to_polars_only_when_the_whole_column_is_narrow() {
        // Narrow throughout (a range of 64,935): polars' writer makes the dictionary.
        let narrow: Vec<Option<u64>> = (0..1000u64).map(|i| Some(1_000_000 + i * 65)).collect();
        assert_eq!(encoding_of(narrow), (true, false));
        // The first 256 values narrow, a later one far off: the whole column is wide, so the
        // sample decides: unique values, plain.
        let mut late_wide: Vec<Option<u64>> = (0..1000u64).map(Some).collect();
        late_wide[900] = Some(u64::MAX);
        assert_eq!(encoding_of(late_wide), (false, false));
        // The same with values that repeat in the sample: our own dictionary.
        let mut repeating: Vec<Option<u64>> = (0..1000u64).map(|i| Some(i % 3)).collect();
        repeating[900] = Some(1 << 40);
        assert_eq!(encoding_of(repeating), (true, true));
        // Wide within the sample already: decided by the sample without the whole column.
        let wide: Vec<Option<u64>> = (0..1000u64).map(|i| Some(i << 32)).collect();
        assert_eq!(encoding_of(wide), (false, false));
        let wide_repeating: Vec<Option<u64>> = (0..1000u64).map(|i| Some((i % 2) << 40)).collect();
        assert_eq!(encoding_of(wide_repeating), (true, true));
        // Nulls only: no value to sample, plain.
        assert_eq!(encoding_of(vec![None; 10]), (false, false));
    }

    #[test]
    fn a_report_table_is_compressed_with_statistics_and_a_store_table_is_neither_nor_a_settled_one() {
        use polars_parquet::parquet::compression::Compression;
        use polars_parquet::parquet::read::read_metadata;
        let ids: Vec<String> = (0..5000).map(|i| format!("111-{i:07}-0000000")).collect();
        let df = DataFrame::new(
            5000,
            vec![
                Column::new("order_id".into(), ids),
                Column::new("status".into(), (0..5000).map(|i| ["Shipped", "Pending"][i % 2]).collect::<Vec<&str>>()),
                Column::new("units".into(), (0..5000i64).map(|i| (i % 7 == 0).then_some(i)).collect::<Vec<_>>()),
                Column::new("key".into(), (0..5000u64).map(|i| (i % 3) << 40).collect::<Vec<_>>()),
            ],
        )
        .unwrap();
        for kind in [Kind::Report, Kind::Store, Kind::Settled] {
            let mut bytes = Vec::new();
            write_table(&mut bytes, &mut df.clone(), 2048, kind).unwrap();
            // The same values and types back, in three row groups of at most 2,048 rows.
            let back = ParquetReader::new(std::io::Cursor::new(bytes.clone())).finish().unwrap();
            assert!(back.equals_missing(&df), "{kind:?}");
            let meta = read_metadata(&mut std::io::Cursor::new(bytes)).unwrap();
            assert_eq!(meta.row_groups.len(), 3);
            for column in meta.row_groups[0].parquet_columns() {
                let stats = column.statistics(&meta.footer_buf);
                let expected = match kind {
                    Kind::Report => Compression::Zstd,
                    Kind::Store | Kind::Settled => Compression::Uncompressed,
                };
                assert_eq!(column.compression(), expected, "{kind:?}");
                assert_eq!(stats.is_some_and(|s| s.is_ok()), kind == Kind::Report, "{kind:?}");
            }
            // Repeating text is a dictionary in each; repeating numbers only in a report's and
            // a settled directory's.
            let dictionary: Vec<bool> =
                meta.row_groups[0].parquet_columns().iter().map(|c| c.dictionary_page_offset().is_some()).collect();
            let numbers = kind != Kind::Store;
            assert_eq!(dictionary, [false, true, numbers, numbers], "{kind:?}");
        }
    }
}
