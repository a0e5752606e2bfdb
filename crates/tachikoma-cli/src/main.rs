//! `tachikoma`: the command-line program. Today it reports what was built; the agent commands
//! are specified elsewhere and will join these subcommands.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tachikoma_common_core::BUILD_INFO;
use tachikoma_loop::Outcome;

#[derive(Debug, Parser)]
#[command(name = "tachikoma", version = version_line(), about = "Tachikoma, an LLM agent runner")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print what was built: version, commit, target, profile, features, compiler.
    Version {
        /// Print the build metadata as one line of JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the LLM backends compiled into this binary.
    Backends,
}

/// clap wants a `'static` version string; the one-line form is built once.
fn version_line() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| BUILD_INFO.version_line())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match tachikoma_loop::run(execute(cli.command)) {
        Ok(Outcome::Completed(Ok(()))) => ExitCode::SUCCESS,
        Ok(Outcome::Completed(Err(err))) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
        // 128 + signal number, as shells report a death by signal.
        Ok(Outcome::Interrupted(signal)) => ExitCode::from(match signal {
            tachikoma_loop::Signal::Interrupt => 130,
            tachikoma_loop::Signal::Terminate => 143,
        }),
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> anyhow::Result<()> {
    tachikoma_common_core::debug!(?command, "tachikoma debug-logging is compiled in");
    match command {
        Command::Version { json: true } => println!("{}", BUILD_INFO.to_json()),
        Command::Version { json: false } => {
            println!("tachikoma {}\n{BUILD_INFO}", BUILD_INFO.version)
        }
        Command::Backends => {
            let backends = tachikoma_backends::COMPILED_IN;
            if backends.is_empty() {
                println!(
                    "no backend is compiled in (rebuild with --features all-backends, or one of {})",
                    tachikoma_primitives::BackendId::names().join(", ")
                );
            }
            for backend in backends {
                let credential = backend.credential_var.unwrap_or("(no key needed)");
                println!(
                    "{:<8} {:<52} {credential}",
                    backend.id.name(),
                    backend.endpoint
                );
            }
        }
    }
    Ok(())
}
