//! The build metadata over HTTP, for servers (feature `server`).

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, MethodRouter};

use crate::BUILD_INFO;

/// `GET` handler answering with [`BUILD_INFO`] as JSON: the exact bytes
/// `tachikoma version --json` prints, so clients can compare them.
pub fn version_route<S: Clone + Send + Sync + 'static>() -> MethodRouter<S> {
    get(|| async {
        (
            [(header::CONTENT_TYPE, "application/json")],
            BUILD_INFO.to_json(),
        )
            .into_response()
    })
}
