//! Debug and trace logging that release builds compile out unless the `debug-logging` feature
//! is on.
//!
//! tracing's own static max-level features can only lower the level (the most restrictive
//! one enabled anywhere wins), so a feature cannot turn debug events back on once they are off.
//! These macros decide with a constant instead: in a release build without `debug-logging`,
//! every event sits behind `if false` and is removed, message string and all.

/// Whether `debug!` and `trace!` events exist in this build: always in debug-assertion builds
/// (dev, ci), in release-like builds only with the `debug-logging` feature.
pub const DEBUG_LOGGING: bool = cfg!(any(debug_assertions, feature = "debug-logging"));

#[doc(hidden)]
pub use tracing as __tracing;

/// `tracing::debug!`, compiled in only when [`DEBUG_LOGGING`].
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::logging::DEBUG_LOGGING {
            $crate::logging::__tracing::debug!($($arg)*);
        }
    };
}

/// `tracing::trace!`, compiled in only when [`DEBUG_LOGGING`].
#[macro_export]
macro_rules! trace {
    ($($arg:tt)*) => {
        if $crate::logging::DEBUG_LOGGING {
            $crate::logging::__tracing::trace!($($arg)*);
        }
    };
}
