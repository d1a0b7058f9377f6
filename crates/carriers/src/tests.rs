//! Published test numbers come from jkeen/tracking_number_data (MIT, `couriers/*.json`,
//! `test_numbers`); where none are published the number was computed by hand (noted).

use super::*;

fn ok(carrier: &str, numbers: &[&str]) {
    for n in numbers {
        assert_eq!(check(carrier, n), Ok(()), "{carrier} {n:?} should be valid");
    }
}

fn bad(carrier: &str, defect: Defect, numbers: &[&str]) {
    for n in numbers {
        assert_eq!(check(carrier, n), Err(defect), "{carrier} {n:?}");
    }
}

#[test]
fn ups_published_numbers() {
    ok("UPS", &["1Z5R89390357567127", "1Z879E930346834440", "1Z410E7W0392751591", "1Z8V92A70367203024"]);
    // Wrong prefix: fits no UPS format.
    bad("UPS", Defect::BadFormat, &["2Z5R89390357567127", "1A5R89390357567127"]);
    bad("UPS", Defect::BadCheckDigit, &["1Z1111111111111111", "1Z5R89390357567128"]);
}

#[test]
fn usps_published_numbers() {
    ok(
        "USPS",
        &[
            "0307 1790 0005 2348 3741",
            "7112 3456 7891 2345 6787",
            "4201002334249200190132607600833457",
            "4201028200009261290113185417468510",
            "420 22153 9101026837331000039521",
            "7196 9010 7560 0307 7385",
            "9505 5110 6960 5048 6006 24",
            "9101 1234 5678 9000 0000 13",
            "92748931507708513018050063",
            "9400 1112 0108 0805 4830 16",
            "9361 2898 7870 0317 6337 95",
            "9405803699300124287899",
            "RB123456785US",
        ],
    );
    bad(
        "USPS",
        Defect::BadCheckDigit,
        &[
            "0307 1790 0005 2348 3742",
            "4201028200009261290113185417468511",
            "61299998820821171811",
            "9200000000000000000000",
            "RB123456786US",
        ],
    );
    bad("USPS", Defect::BadFormat, &["1234567890", "ABC"]);
}

#[test]
fn fedex_published_numbers() {
    ok(
        "FedEx",
        &[
            "986578788855",
            "477179081230",
            "799531274483",
            "790535312317",
            " 7 9 0 5 3 5 3 1 2 3 1 7 ",
            "974367662710",
            "0414 4176 0228 964",
            "5682 8361 0012 000",
            "5682 8361 0012 734",
            "9611020987654312345672",
        ],
    );
    bad("FedEx", Defect::BadCheckDigit, &["996578788855", "5682 8361 0012 732", "9600000000000000000001"]);
    // A 34-digit FedEx number is not a format of SPEC §3.4.
    bad("fedex", Defect::BadFormat, &["1001921334250001000300779017972697"]);
}

#[test]
fn dhl_express_and_paket() {
    ok("DHL", &["3318810025", "73891051146", "8487135506", "1099255990", "3821724944", "3318810036", "3318810014"]);
    bad("DHL Express", Defect::BadCheckDigit, &["3318810010", "3318810034", "3318810011"]);
    // Paket formats are format only, and DHL Express accepts them too (§5.5).
    ok("DHL Express", &["JJD0099999999", "123456789012", "12345678901234"]);
    ok("dhl-paket", &["3318810025", "12345678901234567890"]);
    bad("DHL", Defect::BadFormat, &["XJD0099999998", "123456789"]);
}

#[test]
fn dhl_ecommerce() {
    ok("DHL eCommerce", &["GM2951173225174494", "GM 2 9 5 117 32 25 1 7 44 9 4", "GM295117494011169042"]);
    bad("DHL eCommerce", Defect::BadFormat, &["GS295117494011169041", "GR295117494011169045", "GMABCDEFGHIJK"]);
}

#[test]
fn s10_published_numbers() {
    ok("Royal Mail", &["RB123456785GB", "RB123456785CV", " R B 1 2 3 4 5 6 7 8 5 C F "]);
    bad("Royal Mail", Defect::BadCheckDigit, &["RB123456786US"]);
    // The spec does not check S10 country codes: a published "invalid" that is accepted.
    ok("Royal Mail", &["RB123456785XX"]);
    // Computed by hand (weights 8,6,4,2,3,5,9,7): Σ=7 → 4; Σ=16 → 6; Σ=8 → 3;
    // Σ=11 → 11 → 5; Σ=0 → 5; Σ=56 (mod 11 = 1) → 10 → 0.
    ok("Royal Mail", &["AA000000014GB", "AA000000116GB", "AA100000003GB"]);
    ok("Royal Mail", &["AA100010005GB", "AA000000005GB", "AA700000000GB"]);
}

#[test]
fn australia_post_s10_with_bad_check_digit_is_a_check_digit_defect() {
    // §5.5: an S10-shaped number with a wrong check digit is bad-check-digit, even though the
    // format-only 10–23 alphanumerics pattern would fit it.
    bad("Australia Post", Defect::BadCheckDigit, &["RB123456786AU"]);
    ok("Australia Post", &["RB123456785AU", "ABCDEFGHIJ12"]);
}

#[test]
fn hand_computed_check_digits() {
    // Deutsche Post: weights 4,9 from the left; 12345678901 → Σ=284 → 6.
    ok("Deutsche Post", &["123456789016", "12345678901236", "RB123456785DE"]);
    bad("Deutsche Post", Defect::BadCheckDigit, &["123456789017"]);
    // Japanese carriers: 12345678901 mod 7 = 3.
    for carrier in ["Yamato Transport", "YamatoTransport", "SagawaExpress", "Japan Post"] {
        ok(carrier, &["123456789013"]);
        bad(carrier, Defect::BadCheckDigit, &["123456789014"]);
    }
    ok("Japan Post", &["RB123456785JP"]);
    bad("Yamato Transport", Defect::BadFormat, &["RB123456785JP"]);
    // Canada Post 16 digits, mod 10 (3,1): 123456789012345 → 2.
    ok("Canada Post", &["1234567890123452", "RB123456785CA"]);
    bad("Canada Post", Defect::BadCheckDigit, &["1234567890123453"]);
}

#[test]
fn format_only_carriers() {
    ok("Amazon Shipping", &["TBA123456789012", "TBC123456789012"]);
    ok("AMZL", &["TBM123456789012"]);
    ok("amazon logistics", &["TBA000000000000"]);
    bad("Amazon Shipping", Defect::BadFormat, &["TBA12345678901", "TBX123456789012", "TBA12345678901A"]);
    ok("OnTrac", &["C12345678901234", "D12345678901234"]);
    bad("OnTrac", Defect::BadFormat, &["E12345678901234", "C1234567890123"]);
    ok("DPD", &["12345678901234", "12345678901234A", "123456789012345678901234567Z"]);
    bad("DPD", Defect::BadFormat, &["1234567890123", "1234567890123AB"]);
    ok("Evri", &["ABCD1234"]);
    ok("Hermes", &["H00A0A0000000000"]);
    ok("Yodel", &["JD0002212345678901"]);
    bad("Evri", Defect::BadFormat, &["ABC123", "ABCD-1234"]);
}

#[test]
fn carrier_names_ignore_case_spaces_hyphens_and_dots() {
    assert_eq!(Carrier::find("royal-mail").unwrap().name, "Royal Mail");
    assert_eq!(Carrier::find("Royal.Mail").unwrap().name, "Royal Mail");
    assert_eq!(Carrier::find("ROYALMAIL").unwrap().name, "Royal Mail");
    assert_eq!(Carrier::find("hermes").unwrap().name, "Evri");
    assert!(Carrier::find("Pony Express").is_none());
    bad("Pony Express", Defect::UnrecognizedCarrier, &["1Z5R89390357567127"]);
    bad("", Defect::UnrecognizedCarrier, &["1Z5R89390357567127"]);
}

#[test]
fn missing_comes_first() {
    bad("UPS", Defect::Missing, &["", "   ", "NULL", " NULL "]);
    bad("Pony Express", Defect::Missing, &[""]);
    // Only exactly NULL is missing.
    bad("UPS", Defect::BadFormat, &["null"]);
}

#[test]
fn hidden_characters_outrank_carrier_and_format() {
    bad("UPS", Defect::HiddenCharacters, &["1Z5R8939035756712\u{200b}7", "\u{feff}1Z5R89390357567127"]);
    bad("Pony Express", Defect::HiddenCharacters, &["1Z5R89390357567127\u{a0}"]);
    for c in
        ['\u{00ad}', '\u{2000}', '\u{202f}', '\u{2060}', '\u{2064}', '\u{3000}', '\u{fffd}', '\t', '\u{7f}', '\u{85}']
    {
        assert!(is_hidden_char(c), "{c:?}");
    }
    for c in ['\u{2010}', '\u{2065}', 'A', ' ', '-'] {
        assert!(!is_hidden_char(c), "{c:?}");
    }
}

#[test]
fn display_escapes_only_hidden_characters() {
    assert_eq!(display_number("1Z5R\u{200b}8939\u{a0}x\t"), "1Z5R\\u{200b}8939\\u{a0}x\\u{9}");
    assert_eq!(display_number("ÄBC 12\"3"), "ÄBC 12\"3");
}

#[test]
fn suggestion_is_the_cleaned_number_when_it_passes() {
    assert_eq!(suggestion("UPS", "1z5r 8939\u{200b}0357567127").as_deref(), Some("1Z5R89390357567127"));
    assert_eq!(suggestion("UPS", "1Z5R8939035756712\u{200b}8"), None);
    assert_eq!(suggestion("Pony Express", "1Z5R8939035756712\u{200b}7"), None);
}

#[test]
fn normalise_removes_spaces_and_upper_cases() {
    assert_eq!(normalise(" 1z 5r-8 "), "1Z5R-8");
    assert_eq!(normalise("1Z5R8"), "1Z5R8", "already normalised");
    // Only ASCII changes: other characters (and their bytes) stay as they are.
    assert_eq!(normalise("é 1zß\u{a0}x"), "é1Zß\u{a0}X");
}

proptest::proptest! {
    /// The byte-wise `normalise` is the character-wise rule on any text.
    #[test]
    fn normalise_is_the_rule_on_any_text(number in "\\PC{0,24}|[ a-zA-Z0-9-]{0,24}") {
        let rule: String = number.chars().filter(|&c| c != ' ').map(|c| c.to_ascii_uppercase()).collect();
        proptest::prop_assert_eq!(normalise(&number), rule);
    }
}

#[test]
fn defect_names() {
    let names: Vec<_> = Defect::ALL.iter().map(|d| d.as_str()).collect();
    assert_eq!(
        names,
        [
            "missing",
            "hidden-characters",
            "unrecognized-carrier",
            "bad-format",
            "bad-check-digit",
            "no-scan",
            "insufficient-scans"
        ]
    );
}

/// Every carrier's rules on numbers of every length up to 40, of digits, of letters and of
/// the prefixes the formats look for: a verdict each, never a panic (tracking numbers are
/// input; the check-digit helpers once split off a last digit without looking).
#[test]
fn no_number_of_any_length_panics() {
    let stems = ["", "1Z", "96", "JJD", "00", "EE", "RR123", "LX", "9"];
    for carrier in formats::CARRIERS.iter() {
        for stem in stems {
            for len in 0..40 {
                for fill in ['0', '7', 'A'] {
                    let number: String = stem.chars().chain(std::iter::repeat(fill)).take(len).collect();
                    let _ = check(carrier.name, &number);
                    let _ = suggestion(carrier.name, &number);
                }
            }
        }
    }
}
