//! The HTTP service behind `tachikoma-server`: build metadata and health today; the agent API
//! (specified elsewhere) will be routed here too.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tachikoma_common_core::BUILD_INFO;

/// The address the server listens on unless told otherwise: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:7878";

/// The service's routes: `GET /version` (the build-metadata JSON) and `GET /health`.
pub fn router() -> Router {
    Router::new()
        .route("/version", get(version))
        .route("/health", get(health))
}

async fn version() -> impl IntoResponse {
    // The exact bytes `tachikoma version --json` prints, so clients can compare them.
    (
        [(header::CONTENT_TYPE, "application/json")],
        BUILD_INFO.to_json(),
    )
}

async fn health() -> &'static str {
    "ok"
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{to_bytes, Body};
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn get(path: &str) -> (StatusCode, Option<String>, String) {
        let response = router()
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
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value["version"], BUILD_INFO.version);
    }

    #[tokio::test]
    async fn health_is_ok() {
        assert_eq!(get("/health").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn unknown_path_is_not_found() {
        assert_eq!(get("/nope").await.0, StatusCode::NOT_FOUND);
    }
}
