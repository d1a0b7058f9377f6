//! Error texts a person reads: each cause said once, bounded, and with no raw control
//! characters (a binary file's bytes must not reach the terminal).

use orderhealth_core::error::printable;

/// The longest error text printed, in characters.
const MAX_MESSAGE: usize = 2_000;

/// The error and its causes joined by `: `, leaving out a cause the text already says
/// (an error that prints its source would otherwise say it twice).
pub fn error_message(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    printable(&text, MAX_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory (os error 2)");
        let wrapped: anyhow::Error = anyhow::Error::new(io).context("No such file or directory (os error 2)");
        assert_eq!(error_message(&wrapped), "No such file or directory (os error 2)");
        let e = Err::<(), _>(std::io::Error::other("incomplete deflate stream")).context("a.gz").unwrap_err();
        assert_eq!(error_message(&e), "a.gz: incomplete deflate stream");
    }
}
