//! Asking the memory for data a loop will need a few steps later. The fold and the
//! package judging visit millions of states and rows at random addresses; each visit waited
//! for a cache miss (about 100 ns) when nothing asked ahead (docs/BENCHMARKS.md).

/// Asks the memory for the cache lines of `value`, without waiting for them (a hint: it
/// never faults and changes nothing a program can see).
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        let start = (value as *const T).cast::<i8>();
        for line in (0..std::mem::size_of::<T>()).step_by(64) {
            // SAFETY: a prefetch reads nothing a program can observe and cannot fault; the
            // addresses are inside `value`, a live reference.
            #[allow(unsafe_code)]
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(start.wrapping_add(line));
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
