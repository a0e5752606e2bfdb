//! The HTTP service behind `tachikoma-server`: build metadata, health and configuration today;
//! the agent API (specified elsewhere) will be routed here too.

pub mod config;

use axum::extract::State;
use axum::http::header;
use axum::routing::get;
use axum::{Json, Router};
use tachikoma_common_core::BUILD_INFO;

use config::{ServerConfig, SharedConfig};

/// The address the server listens on unless told otherwise: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:7878";

/// The service's routes: `GET /version` (the build-metadata JSON), `GET /health` and
/// `GET /config` (the configuration in force).
pub fn router(config: SharedConfig) -> Router {
    let router = Router::new()
        .route("/version", get(version))
        .route("/health", get(health))
        .route("/config", get(current_config));
    #[cfg(feature = "fault-injection")]
    let router = router.route("/panic", get(fault));

    router.with_state(config)
}

/// The build metadata as JSON: the exact bytes `tachikoma version --json` prints.
async fn version() -> ([(header::HeaderName, &'static str); 1], String) {
    (
        [(header::CONTENT_TYPE, "application/json")],
        BUILD_INFO.to_json(),
    )
}

/// A handler that panics, for the test of what a panic does to the server (fault-injection).
#[cfg(feature = "fault-injection")]
async fn fault() -> &'static str {
    panic!("GET /panic: fault injection")
}

async fn health() -> &'static str {
    tachikoma_common_core::debug!("health check");
    "ok"
}

async fn current_config(State(config): State<SharedConfig>) -> Json<ServerConfig> {
    Json(
        config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{to_bytes, Body};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn get(path: &str) -> (StatusCode, Option<String>, String) {
        let response = router(SharedConfig::default())
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (
            status,
            content_type,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn version_is_the_build_info_json() {
        let (status, content_type, body) = get("/version").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type.as_deref(), Some("application/json"));
        assert_eq!(body, BUILD_INFO.to_json());
    }

    #[tokio::test]
    async fn health_is_ok() {
        assert_eq!(get("/health").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn config_shows_the_configuration_in_force() {
        let (status, _, body) = get("/config").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, r#"{"log_filter":"info"}"#);
    }

    #[tokio::test]
    async fn unknown_path_is_not_found() {
        assert_eq!(get("/nope").await.0, StatusCode::NOT_FOUND);
    }
}
