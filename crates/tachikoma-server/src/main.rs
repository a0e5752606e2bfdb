//! `tachikoma-server`: serves the HTTP API until SIGINT or SIGTERM, then stops cleanly.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use tachikoma_common_core::BUILD_INFO;

#[derive(Debug, Parser)]
#[command(name = "tachikoma-server", version = version_line(), about = "Tachikoma's HTTP server")]
struct Args {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = tachikoma_server::DEFAULT_BIND)]
    bind: SocketAddr,
}

fn version_line() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| BUILD_INFO.version_line())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let served = tachikoma_loop::runtime().and_then(|runtime| runtime.block_on(serve(args.bind)));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: tachikoma-server on {}: {err}", args.bind);
            ExitCode::FAILURE
        }
    }
}

async fn serve(bind: SocketAddr) -> std::io::Result<()> {
    let shutdown = tachikoma_loop::shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    // Tests and supervisors read this line to learn the port when binding port 0.
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, tachikoma_server::router())
        .with_graceful_shutdown(async move {
            let signal = shutdown.await;
            tracing::info!(?signal, "shutting down");
        })
        .await
}
