//! Marketplaces and their time zones (SPEC §1.4): the one table of them.

use chrono_tz::Tz;

/// (code, sales-channel, zone). Matched case-insensitively on the sales-channel.
const MARKETPLACES: &[(&str, &str, Tz)] = &[
    ("US", "amazon.com", Tz::America__Los_Angeles),
    ("CA", "amazon.ca", Tz::America__Los_Angeles),
    ("MX", "amazon.com.mx", Tz::America__Mexico_City),
    ("BR", "amazon.com.br", Tz::America__Sao_Paulo),
    ("UK", "amazon.co.uk", Tz::Europe__London),
    ("IE", "amazon.ie", Tz::Europe__Dublin),
    ("DE", "amazon.de", Tz::Europe__Paris),
    ("FR", "amazon.fr", Tz::Europe__Paris),
    ("IT", "amazon.it", Tz::Europe__Paris),
    ("ES", "amazon.es", Tz::Europe__Paris),
    ("NL", "amazon.nl", Tz::Europe__Paris),
    ("SE", "amazon.se", Tz::Europe__Paris),
    ("PL", "amazon.pl", Tz::Europe__Paris),
    ("BE", "amazon.com.be", Tz::Europe__Paris),
    ("TR", "amazon.com.tr", Tz::Europe__Istanbul),
    ("AE", "amazon.ae", Tz::Asia__Dubai),
    ("SA", "amazon.sa", Tz::Asia__Riyadh),
    ("EG", "amazon.eg", Tz::Africa__Cairo),
    ("JP", "amazon.co.jp", Tz::Asia__Tokyo),
    ("SG", "amazon.sg", Tz::Asia__Singapore),
    ("AU", "amazon.com.au", Tz::Australia__Sydney),
    ("IN", "amazon.in", Tz::Asia__Kolkata),
    ("ZA", "amazon.co.za", Tz::Africa__Johannesburg),
];

/// A supported marketplace. Sorts by its code (as every table does, §5.6) and is written as
/// its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Marketplace(u8);

impl Ord for Marketplace {
    fn cmp(&self, other: &Marketplace) -> std::cmp::Ordering {
        self.code().cmp(other.code())
    }
}

impl PartialOrd for Marketplace {
    fn partial_cmp(&self, other: &Marketplace) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl serde::Serialize for Marketplace {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Marketplace {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Marketplace, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Marketplace::from_code(&code).ok_or_else(|| serde::de::Error::custom(format!("no marketplace {code:?}")))
    }
}

#[allow(clippy::indexing_slicing, reason = "a Marketplace is only made from a position in MARKETPLACES")]
impl Marketplace {
    pub fn code(self) -> &'static str {
        MARKETPLACES[self.0 as usize].0
    }

    pub fn zone(self) -> Tz {
        MARKETPLACES[self.0 as usize].2
    }

    /// The marketplace of a buyer e-mail `…@marketplace.amazon.<domain>` (§1.4), where
    /// `Amazon.<domain>` is in the table; any case.
    pub fn from_buyer_email(email: &str) -> Option<Marketplace> {
        let (_, domain) = email.trim_matches(' ').rsplit_once('@')?;
        let prefix = b"marketplace.";
        let bytes = domain.as_bytes();
        if !bytes.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix)) {
            return None;
        }
        let site = domain.get(prefix.len()..)?;
        MARKETPLACES.iter().position(|m| m.1.eq_ignore_ascii_case(site)).map(|i| Marketplace(i as u8))
    }

    /// The sales-channel value of the marketplace (`Amazon.co.uk`).
    pub fn sales_channel(self) -> String {
        let domain = MARKETPLACES[self.0 as usize].1;
        format!("A{}", domain.get(1..).unwrap_or_default())
    }

    /// The marketplace of an SP-API `MarketplaceId` (§1.6).
    pub fn from_marketplace_id(id: &str) -> Option<Marketplace> {
        let code = MARKETPLACE_IDS.iter().find(|(i, _)| *i == id.trim_matches(' '))?.1;
        Marketplace::from_code(code)
    }

    /// `--marketplace CODE`.
    pub fn from_code(code: &str) -> Option<Marketplace> {
        MARKETPLACES.iter().position(|m| m.0.eq_ignore_ascii_case(code)).map(|i| Marketplace(i as u8))
    }
}

/// SP-API marketplace ids (§1.6).
const MARKETPLACE_IDS: &[(&str, &str)] = &[
    ("ATVPDKIKX0DER", "US"),
    ("A2EUQ1WTGCTBG2", "CA"),
    ("A1AM78C64UM0Y8", "MX"),
    ("A2Q3Y263D00KWC", "BR"),
    ("A1F83G8C2ARO7P", "UK"),
    ("A28R8C7NBKEWEA", "IE"),
    ("A1PA6795UKMFR9", "DE"),
    ("A13V1IB3VIYZZH", "FR"),
    ("APJ6JRA9NG5V4", "IT"),
    ("A1RKKUPIHCS9HS", "ES"),
    ("A1805IZSGTT6HS", "NL"),
    ("A2NODRKZP88ZB9", "SE"),
    ("A1C3SOZRARQ6R3", "PL"),
    ("AMEN7PMS3EDWL", "BE"),
    ("A33AVAJ2PDY3EV", "TR"),
    ("A2VIGQ35RCS4UG", "AE"),
    ("A17E79C6D8DWNP", "SA"),
    ("ARBP9OOSHTCHU", "EG"),
    ("A1VC38T7YXB528", "JP"),
    ("A19VAU5U5O7RUS", "SG"),
    ("A39IBJ37TRP1C6", "AU"),
    ("A21TJRUUN4KGV", "IN"),
    ("AE08WJ6YKNBMC", "ZA"),
];

/// What a sales-channel value means for the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SalesChannel {
    Amazon(Marketplace),
    /// `Non-Amazon…`: MCF and other channels, left out of every report.
    NonAmazon,
    /// An `Amazon.…` domain not in §1.4, or anything else: left out, counted in the summary.
    Unsupported,
}

impl SalesChannel {
    pub fn parse(value: &str) -> SalesChannel {
        let v = value.trim_matches(' ');
        if let Some(i) = MARKETPLACES.iter().position(|m| m.1.eq_ignore_ascii_case(v)) {
            return SalesChannel::Amazon(Marketplace(i as u8));
        }
        // Compared as bytes: a value whose 10th byte falls inside a character is no panic.
        if v.as_bytes().get(..10).is_some_and(|p| p.eq_ignore_ascii_case(b"non-amazon")) {
            SalesChannel::NonAmazon
        } else {
            SalesChannel::Unsupported
        }
    }
}

/// A zone name for `--tz` (IANA names, e.g. `UTC`, `Europe/Berlin`).
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sales_channels() {
        let uk = SalesChannel::parse("Amazon.co.uk");
        assert!(matches!(uk, SalesChannel::Amazon(m) if m.code() == "UK" && m.zone() == Tz::Europe__London));
        assert!(matches!(SalesChannel::parse(" AMAZON.COM "), SalesChannel::Amazon(m) if m.code() == "US"));
        assert_eq!(SalesChannel::parse("Non-Amazon"), SalesChannel::NonAmazon);
        assert_eq!(SalesChannel::parse("non-amazon US"), SalesChannel::NonAmazon);
        assert_eq!(SalesChannel::parse("Amazon.com.xx"), SalesChannel::Unsupported);
        assert_eq!(SalesChannel::parse("eBay"), SalesChannel::Unsupported);
        assert_eq!(SalesChannel::parse("Amazon.fré"), SalesChannel::Unsupported);
        assert_eq!(SalesChannel::parse("Non-Amazoné"), SalesChannel::NonAmazon);
        assert_eq!(Marketplace::from_code("jp").unwrap().zone(), Tz::Asia__Tokyo);
        assert_eq!(parse_zone("UTC"), Some(Tz::UTC));
        let code = |e: &str| Marketplace::from_buyer_email(e).map(|m| m.code());
        assert_eq!(code("x7k2@marketplace.amazon.fr"), Some("FR"));
        assert_eq!(code(" Q@Marketplace.Amazon.COM.AU "), Some("AU"));
        assert_eq!(code("a@marketplace.amazon.co.uk"), Some("UK"));
        assert_eq!(code("a@marketplace.amazon.com.xx"), None);
        assert_eq!(code("a@amazon.fr"), None);
        assert_eq!(code("a@é"), None);
        assert_eq!(code(""), None);
    }
}
