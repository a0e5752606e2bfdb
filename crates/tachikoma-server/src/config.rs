//! The server's configuration file (`--config FILE`, JSON), and with the `hot-reload` feature,
//! its re-reading when the file changes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

/// What `--config FILE` may set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// A tracing `EnvFilter` directive: `info`, `tachikoma_server=debug`, ...
    #[serde(default = "default_log_filter")]
    pub log_filter: String,
}

fn default_log_filter() -> String {
    "info".into()
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            log_filter: default_log_filter(),
        }
    }
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a valid configuration: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl ServerConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.into(),
            source,
        })
    }
}

/// The configuration in force, shared by the handlers (and the watcher).
pub type SharedConfig = Arc<RwLock<ServerConfig>>;

/// Polls `path` every `interval`; when its content changes and parses, stores it in `shared` and
/// calls `on_change`. A file that does not parse is reported and ignored: the server keeps its
/// last good configuration. The file's current content is read when this is called, so a change
/// made before the returned future first runs is not missed. Polling, not inotify: it needs no dependency, works on every
/// filesystem (network, container mounts) and a config file changes rarely.
#[cfg(feature = "hot-reload")]
pub fn watch(
    path: PathBuf,
    shared: SharedConfig,
    interval: std::time::Duration,
    on_change: impl Fn(&ServerConfig) + Send + 'static,
) -> impl std::future::Future<Output = ()> + Send {
    let mut last_text = std::fs::read_to_string(&path).ok();
    async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            if last_text.as_deref() == Some(text.as_str()) {
                continue;
            }
            last_text = Some(text.clone());
            match serde_json::from_str::<ServerConfig>(&text) {
                Ok(config) => {
                    tracing::info!(path = %path.display(), ?config, "configuration reloaded");
                    on_change(&config);
                    *shared
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = config;
                }
                Err(err) => {
                    tracing::warn!(path = %path.display(), %err, "ignoring invalid configuration")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_a_file_and_defaults_missing_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.json");
        std::fs::write(&path, r#"{"log_filter": "debug"}"#).unwrap();
        assert_eq!(ServerConfig::load(&path).unwrap().log_filter, "debug");
        std::fs::write(&path, "{}").unwrap();
        assert_eq!(ServerConfig::load(&path).unwrap(), ServerConfig::default());
    }

    #[test]
    fn bad_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.json");
        let missing = ServerConfig::load(&path).unwrap_err().to_string();
        assert!(
            missing.contains("cannot read") && missing.contains("server.json"),
            "{missing}"
        );
        std::fs::write(&path, r#"{"log_level": "debug"}"#).unwrap();
        let unknown = ServerConfig::load(&path).unwrap_err().to_string();
        assert!(
            unknown.contains("not a valid configuration") && unknown.contains("log_level"),
            "{unknown}"
        );
    }

    #[cfg(feature = "hot-reload")]
    #[tokio::test]
    async fn watch_picks_up_changes_and_ignores_invalid_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.json");
        std::fs::write(&path, r#"{"log_filter": "info"}"#).unwrap();
        let shared: SharedConfig = Arc::default();
        let changes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = changes.clone();
        let watcher = tokio::spawn(watch(
            path.clone(),
            shared.clone(),
            std::time::Duration::from_millis(10),
            move |c| seen.lock().unwrap().push(c.log_filter.clone()),
        ));
        let wait_for = |want: &'static str| {
            let shared = shared.clone();
            async move {
                for _ in 0..500 {
                    if shared.read().unwrap().log_filter == want {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                panic!("configuration never became {want}");
            }
        };
        std::fs::write(&path, r#"{"log_filter": "debug"}"#).unwrap();
        wait_for("debug").await;
        std::fs::write(&path, "not json").unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(
            shared.read().unwrap().log_filter,
            "debug",
            "an invalid file must be ignored"
        );
        std::fs::write(&path, r#"{"log_filter": "warn"}"#).unwrap();
        wait_for("warn").await;
        watcher.abort();
        assert_eq!(*changes.lock().unwrap(), ["debug", "warn"]);
    }
}
