//! The runner the Tachikoma binaries execute their work on: a tokio runtime, and a clean stop
//! on SIGINT or SIGTERM. (The agent loop itself is specified elsewhere; it will run here.)

use std::future::Future;
use std::io;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<T> {
    /// The work finished with this value.
    Completed(T),
    /// A shutdown request arrived first; the work was dropped (cancelled).
    Interrupted(Signal),
}

/// The signal that asked for a shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

/// A multi-threaded tokio runtime with every driver the binaries use.
pub fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tachikoma-worker")
        .build()
}

/// Runs `work` on a fresh runtime until it completes or SIGINT/SIGTERM arrives.
pub fn run<F: Future>(work: F) -> io::Result<Outcome<F::Output>> {
    let runtime = runtime()?;
    runtime.block_on(async {
        let shutdown = shutdown_signal()?;
        Ok(run_until(work, shutdown).await)
    })
}

/// Runs `work` until it completes or `shutdown` resolves, whichever is first.
pub async fn run_until<F: Future>(
    work: F,
    shutdown: impl Future<Output = Signal>,
) -> Outcome<F::Output> {
    tokio::select! {
        value = work => Outcome::Completed(value),
        signal = shutdown => {
            tracing::info!(?signal, "shutting down");
            Outcome::Interrupted(signal)
        }
    }
}

/// A future that resolves on the first SIGINT or SIGTERM. The handlers are installed when this
/// is called (so a signal arriving later is never lost), which needs a running tokio runtime.
pub fn shutdown_signal() -> io::Result<impl Future<Output = Signal>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => Signal::Interrupt,
                _ = terminate.recv() => Signal::Terminate,
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            // Without Unix signals, Ctrl-C is the one shutdown request; if it cannot be
            // awaited, never resolve rather than shut down spuriously.
            match tokio::signal::ctrl_c().await {
                Ok(()) => Signal::Interrupt,
                Err(_) => std::future::pending().await,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn completed_work_returns_its_value() {
        assert_eq!(run(async { 6 * 7 }).unwrap(), Outcome::Completed(42));
    }

    #[test]
    fn shutdown_cancels_pending_work() {
        let runtime = runtime().unwrap();
        let outcome = runtime.block_on(run_until(std::future::pending::<()>(), async {
            Signal::Terminate
        }));
        assert_eq!(outcome, Outcome::Interrupted(Signal::Terminate));
    }

    #[test]
    fn work_finishing_first_wins_over_a_later_shutdown() {
        let runtime = runtime().unwrap();
        let shutdown = async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Signal::Interrupt
        };
        assert_eq!(
            runtime.block_on(run_until(async { "done" }, shutdown)),
            Outcome::Completed("done")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_real_sigterm_interrupts_the_run() {
        let pid = std::process::id().to_string();
        let outcome = run(async move {
            // The handlers are installed before this runs: the signal cannot be lost.
            let status = std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status();
            assert!(status.unwrap().success());
            std::future::pending::<()>().await
        })
        .unwrap();
        assert_eq!(outcome, Outcome::Interrupted(Signal::Terminate));
    }
}
