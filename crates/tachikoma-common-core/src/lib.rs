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

/// The memcpy linked on x86_64 musl (`src/memcpy_x86_64_musl.c`): the test checks that the
/// binary's `memcpy` is it, and that it copies every size and alignment right.
#[cfg(all(test, tachikoma_memcpy))]
#[allow(unsafe_code)]
mod memcpy_tests {
    use std::ffi::c_void;

    extern "C" {
        fn memcpy(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void;
        fn tachikoma_memcpy(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void;
    }

    #[test]
    fn the_linked_memcpy_is_ours() {
        assert_eq!(
            memcpy as *const () as usize,
            tachikoma_memcpy as *const () as usize
        );
    }

    #[test]
    fn memmove_through_it_copies_overlapping_ranges_forward() {
        let original: Vec<u8> = (0..700_u32).map(|i| (i * 7 + 3) as u8).collect();
        for n in [
            0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 100, 255, 256, 257, 600,
        ] {
            for distance in [1, 2, 8, 15, 16, 31, 33, 64] {
                let mut buffer = original.clone();
                // SAFETY: source and destination lie within `buffer`; ptr::copy (memmove)
                // allows them to overlap. Destination below source: musl's forward path.
                unsafe {
                    std::ptr::copy(
                        buffer.as_ptr().add(distance),
                        buffer.as_mut_ptr(),
                        std::hint::black_box(n),
                    );
                }
                assert_eq!(&buffer[..n], &original[distance..distance + n], "n={n}");
                assert_eq!(&buffer[n..], &original[n..], "n={n}: after");
            }
        }
    }

    #[test]
    fn copies_every_size_and_alignment() {
        let source: Vec<u8> = (0..1200_u32).map(|i| (i * 131 + 7) as u8).collect();
        for n in 0..=600 {
            for (from, to) in [(0, 0), (1, 0), (0, 3), (7, 9), (15, 1)] {
                let mut dest = vec![0xAA_u8; 1200];
                // SAFETY: both ranges are in bounds and do not overlap (two allocations).
                let returned = unsafe {
                    memcpy(
                        dest.as_mut_ptr().add(to).cast(),
                        source.as_ptr().add(from).cast(),
                        std::hint::black_box(n),
                    )
                };
                assert_eq!(returned, dest.as_mut_ptr().wrapping_add(to).cast());
                assert_eq!(&dest[to..to + n], &source[from..from + n], "n={n}");
                assert!(dest[..to].iter().all(|&b| b == 0xAA), "n={n}: before");
                assert!(dest[to + n..].iter().all(|&b| b == 0xAA), "n={n}: after");
            }
        }
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
