//! Shared core of the Tachikoma workspace: build metadata, and the cargo features every other
//! crate forwards to, so that `BuildInfo::features` is this build's feature set.
//!
//! No optional dependency here serves only one binary (axum for the server, napi for the addon,
//! test libraries): `cargo metadata`, which cargo-auditable and cargo-cyclonedx read, resolves
//! features for the whole workspace, so such a dependency would be listed as part of every
//! binary. That code lives in the crate that ships it.

pub mod build_info;
pub mod logging;
#[cfg(test)]
mod rfc3339;

pub use build_info::{BuildInfo, BUILD_INFO};

/// mimalloc as the global allocator of every binary linking this crate: musl's own allocator is
/// an order of magnitude slower under threads (docs/allocator-benchmark.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The global allocator this build uses.
pub const ALLOCATOR: &str = if cfg!(feature = "mimalloc") {
    "mimalloc"
} else {
    "system"
};

/// Whether `value` lives in mimalloc's heap: the proof that mimalloc really is the allocator.
#[cfg(feature = "mimalloc")]
#[allow(unsafe_code)]
pub fn in_mimalloc_heap<T: ?Sized>(value: &T) -> bool {
    // SAFETY: mi_is_in_heap_region only compares the address with mimalloc's heap regions;
    // any pointer is allowed.
    unsafe { libmimalloc_sys::mi_is_in_heap_region((value as *const T).cast()) }
}

#[cfg(all(test, feature = "mimalloc"))]
mod mimalloc_tests {
    #[test]
    fn heap_allocations_come_from_mimalloc() {
        let boxed = Box::new([7_u8; 64]);
        let string = String::from("allocated");
        assert!(super::in_mimalloc_heap(&*boxed));
        assert!(super::in_mimalloc_heap(string.as_str()));
        let on_stack = 5_u64;
        assert!(
            !super::in_mimalloc_heap(&on_stack),
            "a stack value is not in the heap"
        );
        assert_eq!(super::ALLOCATOR, "mimalloc");
    }
}

#[cfg(test)]
mod rfc3339_tests {
    use super::rfc3339::format_unix_seconds;

    #[test]
    fn known_instants() {
        assert_eq!(format_unix_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix_seconds(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_unix_seconds(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(format_unix_seconds(4_102_444_800), "2100-01-01T00:00:00Z");
        assert_eq!(format_unix_seconds(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn every_day_of_four_centuries_follows_the_previous() {
        // Consecutive days must give consecutive dates: no gaps, no repeats, leap years right.
        let mut previous = format_unix_seconds(0);
        for day in 1..(400 * 366) {
            let current = format_unix_seconds(day * 86_400);
            assert!(current > previous, "{current} after {previous}");
            let (p, c) = (&previous[..10], &current[..10]);
            let same_month = p[..7] == c[..7];
            if same_month {
                let (pd, cd): (u32, u32) = (p[8..].parse().unwrap(), c[8..].parse().unwrap());
                assert_eq!(cd, pd + 1, "{c} after {p}");
            } else {
                assert_eq!(&c[8..], "01", "{c} after {p}");
                let (year, month): (u32, u32) = (p[..4].parse().unwrap(), p[5..7].parse().unwrap());
                let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
                let month_length = match month {
                    2 if leap => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                assert_eq!(
                    &p[8..],
                    format!("{month_length:02}"),
                    "last day of {}",
                    &p[..7]
                );
            }
            previous = current;
        }
    }
}
