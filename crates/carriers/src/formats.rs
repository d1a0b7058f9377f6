//! The integrated carriers of SPEC §3.4: their accepted names and number formats.
//! This table is the one place a user reads to see which carriers orderhealth knows.

use crate::Defect;

/// One integrated carrier: the name shown, the other names accepted, its formats.
#[derive(Debug)]
pub struct Carrier {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    formats: &'static [Format],
}

/// A number format. Formats with a check digit decide before format-only ones (§5.5).
#[derive(Debug, Clone, Copy)]
enum Format {
    /// `1Z` + 15 alphanumerics + check digit.
    Ups,
    /// 20/22/26/30/34 digits, optionally behind `420`+ZIP5 or `420`+ZIP9; mod 10 (3,1).
    UspsDigits,
    /// 12 digits, weights 1,3,7 from the right, mod 11 then mod 10.
    FedEx12,
    /// 15 digits, mod 10 (3,1).
    FedEx15,
    /// 22 digits starting `96`, mod 10 (3,1) over the last 15.
    FedEx96,
    /// N digits where the payload as an integer mod 7 is the check digit.
    Mod7(&'static [usize]),
    /// 12 or 14 digits, weights 4,9 from the left, mod 10.
    DeutschePost,
    /// 16 digits, mod 10 (3,1).
    CanadaPost16,
    /// UPU S10: 2 letters, 8 digits, check digit, 2 letters.
    S10,
    /// Format only: exactly one of these many digits.
    Digits(&'static [usize]),
    /// Format only: one of the prefixes, then `min..=max` ASCII alphanumerics; `needs_digit`
    /// requires a digit among them; `digits_only` requires all of them digits.
    Prefixed { prefixes: &'static [&'static str], min: usize, max: usize, needs_digit: bool, digits_only: bool },
    /// Format only: `min..=max` ASCII alphanumerics.
    Alnum(usize, usize),
    /// Format only: DPD's 14 digits, 14 digits + 1 alphanumeric, 27 digits + 1 alphanumeric.
    Dpd,
}

/// How a number fits one format.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fit {
    No,
    Checked(bool),
    FormatOnly,
}

const S10_FORMATS: Format = Format::S10;

const GENERIC: &[Format] = &[Format::Alnum(8, 40)];

/// Every integrated carrier (SPEC §3.4). Names are matched case-insensitively with spaces,
/// hyphens and dots ignored.
pub static CARRIERS: &[Carrier] = &[
    Carrier { name: "UPS", aliases: &[], formats: &[Format::Ups] },
    Carrier { name: "USPS", aliases: &[], formats: &[Format::UspsDigits, S10_FORMATS] },
    Carrier { name: "FedEx", aliases: &[], formats: &[Format::FedEx12, Format::FedEx15, Format::FedEx96] },
    // DHL, DHL Express and DHL Paket all take both DHL rows (§5.5).
    Carrier {
        name: "DHL",
        aliases: &["DHL Express", "DHL Paket"],
        formats: &[
            Format::Mod7(&[10, 11]),
            Format::Digits(&[12, 14, 20]),
            Format::Prefixed { prefixes: &["JJD"], min: 10, max: 30, needs_digit: false, digits_only: false },
        ],
    },
    Carrier { name: "Deutsche Post", aliases: &[], formats: &[Format::DeutschePost, S10_FORMATS] },
    Carrier { name: "Yamato Transport", aliases: &[], formats: &[Format::Mod7(&[12])] },
    Carrier { name: "Sagawa Express", aliases: &[], formats: &[Format::Mod7(&[12])] },
    Carrier { name: "Japan Post", aliases: &[], formats: &[Format::Mod7(&[12]), S10_FORMATS] },
    Carrier { name: "Canada Post", aliases: &[], formats: &[Format::CanadaPost16, S10_FORMATS] },
    Carrier { name: "Royal Mail", aliases: &[], formats: &[S10_FORMATS] },
    Carrier { name: "Australia Post", aliases: &[], formats: &[S10_FORMATS, Format::Alnum(10, 23)] },
    Carrier {
        name: "Amazon Shipping",
        aliases: &["AMZL", "Amazon Logistics"],
        formats: &[Format::Prefixed {
            prefixes: &["TBA", "TBC", "TBM"],
            min: 12,
            max: 12,
            needs_digit: false,
            digits_only: true,
        }],
    },
    Carrier {
        name: "OnTrac",
        aliases: &[],
        formats: &[Format::Prefixed { prefixes: &["C", "D"], min: 14, max: 14, needs_digit: false, digits_only: true }],
    },
    Carrier {
        name: "DHL eCommerce",
        aliases: &[],
        formats: &[Format::Prefixed {
            prefixes: &["GM", "LX", "RX", "UV", "CN", "SG", "TH", "IN", "HK", "MY"],
            min: 10,
            max: 39,
            needs_digit: true,
            digits_only: false,
        }],
    },
    Carrier { name: "DPD", aliases: &[], formats: &[Format::Dpd] },
    Carrier { name: "Evri", aliases: &["Hermes"], formats: GENERIC },
    Carrier { name: "Yodel", aliases: &[], formats: GENERIC },
    Carrier { name: "Parcelforce", aliases: &[], formats: GENERIC },
    Carrier { name: "GLS", aliases: &[], formats: GENERIC },
    Carrier { name: "Colissimo", aliases: &[], formats: GENERIC },
    Carrier { name: "La Poste", aliases: &[], formats: GENERIC },
    Carrier { name: "Chronopost", aliases: &[], formats: GENERIC },
    Carrier { name: "PostNL", aliases: &[], formats: GENERIC },
    Carrier { name: "InPost", aliases: &[], formats: GENERIC },
    Carrier { name: "Poste Italiane", aliases: &[], formats: GENERIC },
    Carrier { name: "BRT", aliases: &[], formats: GENERIC },
    Carrier { name: "SDA", aliases: &[], formats: GENERIC },
    Carrier { name: "Correos", aliases: &[], formats: GENERIC },
    Carrier { name: "SEUR", aliases: &[], formats: GENERIC },
    Carrier { name: "MRW", aliases: &[], formats: GENERIC },
    Carrier { name: "bpost", aliases: &[], formats: GENERIC },
    Carrier { name: "PostNord", aliases: &[], formats: GENERIC },
    Carrier { name: "Poczta Polska", aliases: &[], formats: GENERIC },
    Carrier { name: "Delhivery", aliases: &[], formats: GENERIC },
    Carrier { name: "Blue Dart", aliases: &[], formats: GENERIC },
    Carrier { name: "India Post", aliases: &[], formats: GENERIC },
    Carrier { name: "DTDC", aliases: &[], formats: GENERIC },
    Carrier { name: "Ekart", aliases: &[], formats: GENERIC },
    Carrier { name: "Xpressbees", aliases: &[], formats: GENERIC },
    Carrier { name: "StarTrack", aliases: &[], formats: GENERIC },
    Carrier { name: "Sendle", aliases: &[], formats: GENERIC },
    Carrier { name: "Aramex", aliases: &[], formats: GENERIC },
    Carrier { name: "Purolator", aliases: &[], formats: GENERIC },
    Carrier { name: "Estafeta", aliases: &[], formats: GENERIC },
    Carrier { name: "Correios", aliases: &[], formats: GENERIC },
    Carrier { name: "China Post", aliases: &[], formats: GENERIC },
    Carrier { name: "Yanwen", aliases: &[], formats: GENERIC },
    Carrier { name: "4PX", aliases: &[], formats: GENERIC },
    Carrier { name: "Yun Express", aliases: &[], formats: GENERIC },
    Carrier { name: "Cainiao", aliases: &[], formats: GENERIC },
    Carrier { name: "Seino", aliases: &[], formats: GENERIC },
    Carrier { name: "Fukuyama", aliases: &[], formats: GENERIC },
];

/// Carrier names compare case-insensitively with spaces, hyphens and dots ignored.
fn same_name(a: &str, b: &str) -> bool {
    fn key(s: &str) -> impl Iterator<Item = u8> + '_ {
        s.bytes().filter(|b| !matches!(b, b' ' | b'-' | b'.')).map(|b| b.to_ascii_lowercase())
    }
    key(a).eq(key(b))
}

impl Carrier {
    /// The integrated carrier a seller's carrier name means, if any.
    pub fn find(name: &str) -> Option<&'static Carrier> {
        CARRIERS.iter().find(|c| same_name(c.name, name) || c.aliases.iter().any(|a| same_name(a, name)))
    }

    /// Checks 4–5 on a normalised number: formats with a check digit decide first.
    pub(crate) fn judge(&self, number: &[u8]) -> Result<(), Defect> {
        let fits: Vec<Fit> = self.formats.iter().map(|f| f.fit(number)).collect();
        if fits.iter().any(|f| matches!(f, Fit::Checked(_))) {
            return if fits.contains(&Fit::Checked(true)) { Ok(()) } else { Err(Defect::BadCheckDigit) };
        }
        if fits.contains(&Fit::FormatOnly) {
            Ok(())
        } else {
            Err(Defect::BadFormat)
        }
    }
}

fn all_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

fn all_alnum(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_alphanumeric)
}

fn digit(b: u8) -> u32 {
    (b - b'0') as u32
}

/// Last digit as check digit against `(10 − Σ mod 10) mod 10`, weights 3,1,3,1… starting at
/// the payload's rightmost digit.
fn mod10_31(digits: &[u8]) -> bool {
    let Some((&check, payload)) = digits.split_last() else { return false };
    let sum: u32 = payload.iter().rev().enumerate().map(|(i, &b)| digit(b) * if i % 2 == 0 { 3 } else { 1 }).sum();
    (10 - sum % 10) % 10 == digit(check)
}

/// Payload as an integer mod 7 equals the check digit (DHL Express, Japanese carriers).
fn mod7(digits: &[u8]) -> bool {
    let Some((&check, payload)) = digits.split_last() else { return false };
    let rem = payload.iter().fold(0u32, |acc, &b| (acc * 10 + digit(b)) % 7);
    rem == digit(check)
}

fn fedex12(digits: &[u8]) -> bool {
    let (Some(payload), Some(&check)) = (digits.get(..11), digits.get(11)) else { return false };
    const WEIGHTS: [u32; 3] = [1, 3, 7];
    let sum: u32 = payload.iter().rev().zip(WEIGHTS.iter().cycle()).map(|(&b, w)| digit(b) * w).sum();
    (sum % 11) % 10 == digit(check)
}

fn deutsche_post(digits: &[u8]) -> bool {
    let Some((&check, payload)) = digits.split_last() else { return false };
    let sum: u32 = payload.iter().enumerate().map(|(i, &b)| digit(b) * if i % 2 == 0 { 4 } else { 9 }).sum();
    (10 - sum % 10) % 10 == digit(check)
}

#[allow(clippy::indexing_slicing, reason = "callers check the length (18) first")]
fn ups(number: &[u8]) -> bool {
    let body = &number[2..17];
    let sum: u32 = body
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let v = if b.is_ascii_digit() { digit(b) } else { (b as u32 - 3) % 10 };
            if i % 2 == 1 {
                v * 2
            } else {
                v
            }
        })
        .sum();
    (10 - sum % 10) % 10 == digit(number[17])
}

#[allow(clippy::indexing_slicing, reason = "the length is checked to be 13 first")]
fn is_s10_shape(n: &[u8]) -> bool {
    n.len() == 13
        && n[..2].iter().all(u8::is_ascii_uppercase)
        && all_digits(&n[2..11])
        && n[11..].iter().all(u8::is_ascii_uppercase)
}

#[allow(clippy::indexing_slicing, reason = "called only on numbers of the S10 shape (13 bytes)")]
fn s10(n: &[u8]) -> bool {
    const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];
    let sum: u32 = n[2..10].iter().zip(WEIGHTS).map(|(&b, w)| digit(b) * w).sum();
    let check = match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        c => c,
    };
    check == digit(n[10])
}

impl Format {
    #[allow(clippy::indexing_slicing, reason = "each arm checks the length before it indexes")]
    fn fit(self, n: &[u8]) -> Fit {
        let checked = |shape: bool, ok: &dyn Fn() -> bool| {
            if shape {
                Fit::Checked(ok())
            } else {
                Fit::No
            }
        };
        let format_only = |shape: bool| if shape { Fit::FormatOnly } else { Fit::No };
        match self {
            Format::Ups => checked(
                n.len() == 18 && n.starts_with(b"1Z") && all_alnum(&n[2..17]) && n[17].is_ascii_digit(),
                &|| ups(n),
            ),
            Format::UspsDigits => {
                let mut candidates = vec![n];
                if n.starts_with(b"420") && all_digits(n) {
                    for zip in [5, 9] {
                        if n.len() > 3 + zip {
                            candidates.push(&n[3 + zip..]);
                        }
                    }
                }
                let mut fit = Fit::No;
                for c in candidates {
                    if all_digits(c) && matches!(c.len(), 20 | 22 | 26 | 30 | 34) {
                        let ok = mod10_31(c) || (c.len() == 20 && mod10_31(&[b"91", c].concat()));
                        if ok {
                            return Fit::Checked(true);
                        }
                        fit = Fit::Checked(false);
                    }
                }
                fit
            }
            Format::FedEx12 => checked(n.len() == 12 && all_digits(n), &|| fedex12(n)),
            Format::FedEx15 => checked(n.len() == 15 && all_digits(n), &|| mod10_31(n)),
            Format::FedEx96 => checked(n.len() == 22 && n.starts_with(b"96") && all_digits(n), &|| mod10_31(&n[7..])),
            Format::Mod7(lens) => checked(lens.contains(&n.len()) && all_digits(n), &|| mod7(n)),
            Format::DeutschePost => checked(matches!(n.len(), 12 | 14) && all_digits(n), &|| deutsche_post(n)),
            Format::CanadaPost16 => checked(n.len() == 16 && all_digits(n), &|| mod10_31(n)),
            Format::S10 => checked(is_s10_shape(n), &|| s10(n)),
            Format::Digits(lens) => format_only(lens.contains(&n.len()) && all_digits(n)),
            Format::Prefixed { prefixes, min, max, needs_digit, digits_only } => {
                format_only(prefixes.iter().any(|p| {
                    n.starts_with(p.as_bytes()) && {
                        let rest = &n[p.len()..];
                        (min..=max).contains(&rest.len())
                            && all_alnum(rest)
                            && (!digits_only || all_digits(rest))
                            && (!needs_digit || rest.iter().any(u8::is_ascii_digit))
                    }
                }))
            }
            Format::Alnum(min, max) => format_only((min..=max).contains(&n.len()) && all_alnum(n)),
            Format::Dpd => format_only(match n.len() {
                14 => all_digits(n),
                15 => all_digits(&n[..14]) && n[14].is_ascii_alphanumeric(),
                28 => all_digits(&n[..27]) && n[27].is_ascii_alphanumeric(),
                _ => false,
            }),
        }
    }
}
