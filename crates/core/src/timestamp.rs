//! Timestamps and local days (SPEC §5.1): instants are microseconds since the Unix epoch, UTC.
//! Parsing is hand-written because it runs once per date field of every row.

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

fn digits<const N: usize>(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b.get(..N)? {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// `YYYY-MM-DD` exactly.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    parse_day(s).map(date_of)
}

/// `YYYY-MM-DD` exactly, as days since 1970-01-01 ([`epoch_days`] of [`parse_date`]).
/// Arithmetic, not chrono's calendar: it runs for every date and timestamp of every row.
#[allow(clippy::indexing_slicing, reason = "the length is checked to be 10 first")]
pub fn parse_day(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    civil_day(digits::<4>(b)? as i32, digits::<2>(&b[5..])?, digits::<2>(&b[8..])?)
}

/// Days since 1970-01-01 of year `y`, month `m`, day `d` of the proleptic Gregorian calendar;
/// `None` for a month or day that does not exist (2026-02-29, 2026-04-31, month 13, day 0).
/// The era arithmetic of H. Hinnant's `days_from_civil`: years counted from March, so the
/// leap day ends a year.
fn civil_day(y: i32, m: u32, d: u32) -> Option<i32> {
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > days_in_month {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year as i32;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// Days since 1970-01-01 of a date.
pub fn epoch_days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - 719_163
}

/// The date of a day number since 1970-01-01.
pub fn date_of(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days + 719_163).expect("day in range")
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]` then `Z` or `±HH:MM` (SPEC §5.1); nothing else.
#[allow(clippy::indexing_slicing, reason = "the length is checked to be at least 20 first, and i never passes b.len()")]
pub fn parse_instant(s: &str) -> Option<Micros> {
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let day = parse_day(&s[..10])?;
    let (h, m, sec) = (digits::<2>(&b[11..])?, digits::<2>(&b[14..])?, digits::<2>(&b[17..])?);
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let mut i = 19;
    let mut micros: i64 = 0;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 6 {
                micros = micros * 10 + (b[i] - b'0') as i64;
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..6 {
            micros *= 10;
        }
    }
    let offset_secs: i64 = match &b[i..] {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
            let oh = digits::<2>(&[*oh1, *oh2])? as i64;
            let om = digits::<2>(&[*om1, *om2])? as i64;
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'-' {
                -o
            } else {
                o
            }
        }
        _ => return None,
    };
    let secs = day as i64 * 86_400 + (h * 3600 + m * 60 + sec) as i64 - offset_secs;
    Some(secs * MICROS_PER_SECOND + micros)
}

/// `--as-of`: an instant, or a bare date meaning 00:00 UTC.
pub fn parse_as_of(s: &str) -> Option<Micros> {
    parse_instant(s).or_else(|| parse_date(s).map(|d| epoch_days(d) as i64 * MICROS_PER_DAY))
}

/// The local calendar day (days since epoch) of an instant in a zone, DST aware.
pub fn local_day(ts: Micros, zone: Tz) -> i32 {
    let secs = ts.div_euclid(MICROS_PER_SECOND);
    (secs + day_offset(secs, zone)).div_euclid(86_400) as i32
}

/// The zone's offset from UTC (seconds) at `secs`.
fn offset_at(secs: i64, zone: Tz) -> i64 {
    let utc = DateTime::<Utc>::from_timestamp(secs, 0).expect("instant in range");
    zone.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc() as i64
}

/// Slots of the cache of [`day_offset`]: a run's instants fall on a few hundred (zone, UTC
/// day) pairs.
const OFFSET_SLOTS: usize = 4096;

/// (zone, UTC day, offset), direct-mapped by zone and day, one word each ([`OffsetSlot`]):
/// 0 is an empty slot. Shared by the threads: a per-thread array (as it was) is copied into
/// every thread the process starts, 96 KB each, and a run starts dozens only to sync or remove
/// files (docs/BENCHMARKS.md). A slot is written whole and read whole, so a thread sees a
/// pair's offset or a miss, never half of another pair's.
static OFFSETS: [std::sync::atomic::AtomicU64; OFFSET_SLOTS] =
    [const { std::sync::atomic::AtomicU64::new(0) }; OFFSET_SLOTS];

/// How a slot of [`OFFSETS`] packs a pair and its offset: the zone's number plus one (11 bits;
/// never 0 in a filled slot), the UTC day biased by 2^20 (21 bits: about 2,870 years either
/// side of 1970; a day beyond is not cached), the offset in seconds (32 bits).
struct OffsetSlot;

impl OffsetSlot {
    const DAY_BIAS: i64 = 1 << 20;
    const HIGH: u64 = !0xffff_ffff;

    /// The high half of a slot holding (`zone`, `day`); `None` when it cannot be cached. One
    /// comparison: it runs for every date of every row.
    fn key(zone: Tz, day: i64) -> Option<u64> {
        // `day` comes from an i64 of seconds: adding the bias cannot overflow, and a day
        // before the range wraps to a large number.
        let biased = day.wrapping_add(Self::DAY_BIAS) as u64;
        (biased < 1 << 21).then(|| ((zone as u64 + 1) << 21 | biased) << 32)
    }

    fn fill(key: u64, offset: i64) -> Option<u64> {
        Some(key | u64::from(i32::try_from(offset).ok()? as u32))
    }

    /// The offset a slot holds for `key`.
    fn offset(slot: u64, key: u64) -> Option<i64> {
        (slot & Self::HIGH == key).then_some(i64::from(slot as u32 as i32))
    }
}

// Every zone's number plus one fits the slot's 11 bits.
const _: () = assert!(chrono_tz::TZ_VARIANTS.len() < (1 << 11) - 1);

/// [`offset_at`], from a cache for a UTC day the zone's offset does not change in (the same at
/// its first and last second: tz rules change an offset at most a few times a year, never
/// twice within a day); a day it changes in is looked up each time. Every date of every row
/// asks for its local day: the zone's rules were a few percent of a run.
fn day_offset(secs: i64, zone: Tz) -> i64 {
    use std::sync::atomic::Ordering::Relaxed;
    let day = secs.div_euclid(86_400);
    let key = OffsetSlot::key(zone, day);
    let slot = OFFSETS.get((day as usize).wrapping_mul(31).wrapping_add(zone as usize) % OFFSET_SLOTS);
    if let (Some(slot), Some(key)) = (slot, key) {
        if let Some(offset) = OffsetSlot::offset(slot.load(Relaxed), key) {
            return offset;
        }
    }
    let start = day * 86_400;
    let offset = offset_at(start, zone);
    if offset_at(start + 86_399, zone) != offset {
        return offset_at(secs, zone);
    }
    if let (Some(slot), Some(filled)) = (slot, key.and_then(|k| OffsetSlot::fill(k, offset))) {
        slot.store(filled, Relaxed);
    }
    offset
}

/// The first instant of a local day in a zone: 00:00 local, or the first valid local time
/// after it where a DST change skips midnight.
pub fn local_midnight(day: i32, zone: Tz) -> Micros {
    let utc_midnight = day as i64 * 86_400;
    // The offset at UTC midnight is the offset at local midnight unless a change falls in
    // between; one correction step settles it.
    let mut guess = utc_midnight - offset_at(utc_midnight, zone);
    guess = utc_midnight - offset_at(guess, zone);
    // A skipped midnight: the guess lands on the previous local day; the next hour is the first.
    while local_day(guess * MICROS_PER_SECOND, zone) < day {
        guess += 3600;
    }
    guess * MICROS_PER_SECOND
}

/// `YYYY-MM-DDTHH:MM:SSZ`, fractional seconds truncated (SPEC §5.6).
pub fn format_instant(ts: Micros) -> String {
    let secs = ts.div_euclid(MICROS_PER_SECOND);
    DateTime::<Utc>::from_timestamp(secs, 0).expect("instant in range").format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_from_the_cache_are_the_zone_rules_days_across_dst_changes() {
        // Every 7 minutes over two years, in zones with and without DST (and a half-hour one),
        // twice: the second pass reads the cache the first filled.
        let zones: [Tz; 5] = [
            chrono_tz::America::Los_Angeles,
            chrono_tz::Europe::London,
            chrono_tz::Europe::Berlin,
            chrono_tz::Asia::Tokyo,
            chrono_tz::Australia::Lord_Howe,
        ];
        let start = parse_instant("2025-01-01T00:00:00Z").unwrap() / MICROS_PER_SECOND;
        for _ in 0..2 {
            for zone in zones {
                let mut secs = start;
                while secs < start + 2 * 366 * 86_400 {
                    let direct = (secs + offset_at(secs, zone)).div_euclid(86_400) as i32;
                    assert_eq!(local_day(secs * MICROS_PER_SECOND, zone), direct, "{zone} at {secs}");
                    secs += 7 * 60;
                }
            }
        }
    }

    /// A slot holds a pair and its offset, negative ones too, and answers no other pair; a day
    /// too far from 1970 is not cached (and its local day is still right).
    #[test]
    fn an_offset_slot_answers_only_its_own_pair() {
        let (first, second) = (chrono_tz::TZ_VARIANTS[0], chrono_tz::TZ_VARIANTS[1]);
        let key = OffsetSlot::key(first, -25_567).unwrap(); // 1900-01-01
        let slot = OffsetSlot::fill(key, -8 * 3600).unwrap();
        assert_eq!(OffsetSlot::offset(slot, key), Some(-8 * 3600));
        assert_eq!(OffsetSlot::offset(slot, OffsetSlot::key(second, -25_567).unwrap()), None);
        assert_eq!(OffsetSlot::offset(slot, OffsetSlot::key(first, -25_566).unwrap()), None);
        assert_eq!(OffsetSlot::offset(0, key), None, "an empty slot");
        assert_eq!(OffsetSlot::key(first, (1 << 20) - 1).map(|_| ()), Some(()));
        assert_eq!(OffsetSlot::key(first, 1 << 20), None);
        assert_eq!(OffsetSlot::key(first, -(1 << 20)).map(|_| ()), Some(()));
        assert_eq!(OffsetSlot::key(first, -(1 << 20) - 1), None);
        let far = parse_instant("4000-06-01T12:00:00Z").unwrap();
        let tokyo = chrono_tz::Asia::Tokyo;
        assert_eq!(local_day(far, tokyo), (far / MICROS_PER_SECOND + 9 * 3600).div_euclid(86_400) as i32);
    }

    /// Threads filling and reading the shared slots at once (pairs that share slots: days 4096
    /// apart map to one slot) each get their own pair's day.
    #[test]
    fn threads_sharing_the_cache_get_their_own_days() {
        let zones = [chrono_tz::America::New_York, chrono_tz::Asia::Kolkata, chrono_tz::Europe::Paris];
        std::thread::scope(|scope| {
            for (i, zone) in zones.into_iter().enumerate() {
                scope.spawn(move || {
                    for round in 0..2_000i64 {
                        let day = (round % 4) * OFFSET_SLOTS as i64 + i as i64 + 20_000;
                        let secs = day * 86_400 + 43_200;
                        let direct = (secs + offset_at(secs, zone)).div_euclid(86_400) as i32;
                        assert_eq!(local_day(secs * MICROS_PER_SECOND, zone), direct, "{zone}, day {day}");
                    }
                });
            }
        });
    }

    #[test]
    fn parses_the_three_offset_forms() {
        let z = parse_instant("2026-03-13T16:18:11Z").unwrap();
        assert_eq!(parse_instant("2026-03-13T16:18:11+00:00"), Some(z));
        assert_eq!(parse_instant("2026-03-13T09:18:11-07:00"), Some(z));
        assert_eq!(parse_instant("2026-03-13T16:18:11.250Z"), Some(z + 250_000));
        assert_eq!(format_instant(z + 999_999), "2026-03-13T16:18:11Z");
        assert_eq!(format_instant(parse_instant("1969-12-31T23:59:59.5Z").unwrap()), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "2026-03-13 16:18:11Z",
            "2026-03-13T16:18:11",
            "2026-03-13T16:18:11+0000",
            "2026-03-13T16:18:11 UTC",
            "2026-03-13T16:18:11PST",
            "03/15/2026 10:00:00",
            "2026-02-30T00:00:00Z",
            "2026-03-13T24:00:00Z",
            "2026-03-13T16:18:11.Z",
            "",
        ] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_day_is_chrono_s_for_every_date_of_four_centuries_and_none_for_dates_that_do_not_exist() {
        let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let last = NaiveDate::from_ymd_opt(2300, 12, 31).unwrap();
        for date in first.iter_days().take_while(|d| *d <= last) {
            let text = date.format("%Y-%m-%d").to_string();
            assert_eq!(parse_day(&text), Some(epoch_days(date)), "{text}");
            assert_eq!(parse_date(&text), Some(date), "{text}");
        }
        assert_eq!(parse_day("0000-03-01"), Some(epoch_days(NaiveDate::from_ymd_opt(0, 3, 1).unwrap())));
        assert_eq!(parse_day("9999-12-31"), Some(epoch_days(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap())));
        for bad in ["2026-02-29", "2100-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "2026-1-01"] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
        assert_eq!(parse_day("2024-02-29"), Some(epoch_days(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())));
        assert_eq!(parse_day("2000-02-29"), Some(epoch_days(NaiveDate::from_ymd_opt(2000, 2, 29).unwrap())));
    }

    #[test]
    fn dates_and_as_of() {
        let d = parse_date("2026-03-08").unwrap();
        assert_eq!(date_of(epoch_days(d)), d);
        assert_eq!(parse_as_of("2026-03-08"), parse_instant("2026-03-08T00:00:00Z"));
        assert_eq!(parse_date("2026-3-08"), None);
    }

    #[test]
    fn local_midnight_is_the_first_instant_of_the_local_day() {
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        let day = |s: &str| epoch_days(parse_date(s).unwrap());
        assert_eq!(local_midnight(day("2026-03-08"), la), parse_instant("2026-03-08T08:00:00Z").unwrap());
        assert_eq!(local_midnight(day("2026-03-09"), la), parse_instant("2026-03-09T07:00:00Z").unwrap());
        assert_eq!(local_midnight(day("2026-03-09"), Tz::Asia__Tokyo), parse_instant("2026-03-08T15:00:00Z").unwrap());
        // São Paulo skipped midnight on 2018-11-04: the day began at 01:00 local (-02:00).
        let sp: Tz = "America/Sao_Paulo".parse().unwrap();
        assert_eq!(local_midnight(day("2018-11-04"), sp), parse_instant("2018-11-04T03:00:00Z").unwrap());
    }

    #[test]
    fn local_day_follows_dst() {
        let la: Tz = "America/Los_Angeles".parse().unwrap();
        // 2026-03-08 is the spring-forward day in the US: 07:59Z is 23:59 PST on the 7th,
        // 08:00Z is 00:00 PST on the 8th; after 10:00Z the offset is -07:00.
        let day7 = epoch_days(parse_date("2026-03-07").unwrap());
        assert_eq!(local_day(parse_instant("2026-03-08T07:59:59Z").unwrap(), la), day7);
        assert_eq!(local_day(parse_instant("2026-03-08T08:00:00Z").unwrap(), la), day7 + 1);
        assert_eq!(local_day(parse_instant("2026-03-09T06:59:59Z").unwrap(), la), day7 + 1);
        assert_eq!(local_day(parse_instant("2026-03-09T07:00:00Z").unwrap(), la), day7 + 2);
    }
}
