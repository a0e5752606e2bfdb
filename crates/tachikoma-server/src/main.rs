//! `tachikoma-server`: serves the HTTP API until SIGINT or SIGTERM, then stops cleanly.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};

use clap::Parser;
use tachikoma_common_core::BUILD_INFO;
use tachikoma_server::config::{ServerConfig, SharedConfig};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter};

#[derive(Debug, Parser)]
#[command(name = "tachikoma-server", version = version_line(), about = "Tachikoma's HTTP server")]
struct Args {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = tachikoma_server::DEFAULT_BIND)]
    bind: SocketAddr,
    /// Configuration file (JSON). Re-read when it changes if built with the hot-reload feature.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the build metadata as one line of JSON (what `GET /version` serves) and exit.
    #[arg(long)]
    version_json: bool,
}

fn version_line() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| BUILD_INFO.version_line())
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.version_json {
        println!("{}", BUILD_INFO.to_json());
        return ExitCode::SUCCESS;
    }
    let config = match &args.config {
        Some(path) => match ServerConfig::load(path) {
            Ok(config) => config,
            Err(err) => {
                eprintln!("error: {err}");
                return ExitCode::FAILURE;
            }
        },
        None => ServerConfig::default(),
    };
    // RUST_LOG, when set, wins over the configuration file.
    let filter = |config: &ServerConfig| {
        EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&config.log_filter))
    };
    let (filter_layer, filter_handle) = match filter(&config) {
        Ok(filter) => reload::Layer::new(filter),
        Err(err) => {
            eprintln!("error: invalid log_filter {:?}: {err}", config.log_filter);
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::registry()
        .with(filter_layer)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(colour(
                    std::io::stderr().is_terminal(),
                    std::env::var_os("NO_COLOR"),
                )),
        )
        .init();

    let shared: SharedConfig = Arc::new(RwLock::new(config));
    #[cfg(feature = "hot-reload")]
    let on_change = move |config: &ServerConfig| match filter(config) {
        Ok(new_filter) => {
            if let Err(err) = filter_handle.reload(new_filter) {
                tracing::warn!(%err, "cannot apply the new log filter");
            }
        }
        Err(err) => tracing::warn!(%err, "invalid log_filter, keeping the previous one"),
    };
    #[cfg(not(feature = "hot-reload"))]
    drop(filter_handle);

    let served = tachikoma_loop::runtime().and_then(|runtime| {
        runtime.block_on(async {
            #[cfg(feature = "hot-reload")]
            if let Some(path) = args.config.clone() {
                let interval = std::time::Duration::from_millis(500);
                tokio::spawn(tachikoma_server::config::watch(
                    path,
                    shared.clone(),
                    interval,
                    on_change,
                ));
            }
            serve(args.bind, shared).await
        })
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: tachikoma-server on {}: {err}", args.bind);
            ExitCode::FAILURE
        }
    }
}

/// Whether log lines get ANSI colours: only for a person at a terminal, and not when `NO_COLOR`
/// is set to anything but the empty string (no-color.org). Files, pipes and journald get plain
/// text.
fn colour(stderr_is_terminal: bool, no_color: Option<OsString>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|value| value.is_empty())
}

async fn serve(bind: SocketAddr, config: SharedConfig) -> std::io::Result<()> {
    let shutdown = tachikoma_loop::shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    // Tests and supervisors read this line to learn the port when binding port 0.
    println!("listening on http://{}", listener.local_addr()?);
    tachikoma_common_core::debug!(%bind, "serving");
    axum::serve(listener, tachikoma_server::router(config))
        .with_graceful_shutdown(async move {
            let signal = shutdown.await;
            tracing::info!(?signal, "shutting down");
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::colour;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())));
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None));
        assert!(!colour(false, Some("1".into())));
    }
}
