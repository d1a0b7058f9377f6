//! The pipeline's errors that decide an exit code (SPEC §4): typed, so the command maps them
//! without reading a message. Input errors are `orderhealth_core::InputError` (exit 1).

/// A mistake in the command line that reading cannot fix (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The exit code of a failed run: 2 for bad usage, 1 for everything else (unusable input, I/O).
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<UsageError>().is_some() {
        2
    } else {
        1
    }
}
