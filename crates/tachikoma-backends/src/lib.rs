//! The LLM backends compiled into this build, and an HTTP client for each.
//!
//! What a backend does with the client (the requests, the agent loop) is specified elsewhere;
//! this crate decides which backends exist in a binary (one cargo feature each) and sets up the
//! rustls-based HTTP stack they share.

use tachikoma_primitives::BackendId;

/// The fixed facts about one backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backend {
    pub id: BackendId,
    /// Base URL of the backend's API.
    pub endpoint: &'static str,
    /// The environment variable holding the API key, if the backend needs one.
    pub credential_var: Option<&'static str>,
}

/// Every backend this binary was compiled with, in [`BackendId::ALL`] order.
pub const COMPILED_IN: &[Backend] = &[
    #[cfg(feature = "claude")]
    Backend {
        id: BackendId::Claude,
        endpoint: "https://api.anthropic.com/v1",
        credential_var: Some("ANTHROPIC_API_KEY"),
    },
    #[cfg(feature = "openai")]
    Backend {
        id: BackendId::OpenAi,
        endpoint: "https://api.openai.com/v1",
        credential_var: Some("OPENAI_API_KEY"),
    },
    #[cfg(feature = "gemini")]
    Backend {
        id: BackendId::Gemini,
        endpoint: "https://generativelanguage.googleapis.com/v1beta",
        credential_var: Some("GEMINI_API_KEY"),
    },
    #[cfg(feature = "ollama")]
    Backend {
        id: BackendId::Ollama,
        endpoint: "http://127.0.0.1:11434/api",
        credential_var: None,
    },
];

/// Why a backend client could not be had.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("backend {0} is not compiled into this build (rebuild with `--features {0}`)")]
    NotCompiledIn(BackendId),
    #[cfg(any(
        feature = "claude",
        feature = "openai",
        feature = "gemini",
        feature = "ollama"
    ))]
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// The backend `id`, if compiled in.
pub fn backend(id: BackendId) -> Result<&'static Backend, Error> {
    COMPILED_IN
        .iter()
        .find(|b| b.id == id)
        .ok_or(Error::NotCompiledIn(id))
}

#[cfg(any(
    feature = "claude",
    feature = "openai",
    feature = "gemini",
    feature = "ollama"
))]
impl Backend {
    /// An HTTP client for this backend: rustls (no OpenSSL, so musl builds stay static),
    /// identifying itself with the build's version and commit.
    pub fn client(&self) -> Result<reqwest::Client, Error> {
        let info = tachikoma_common_core::BUILD_INFO;
        let client = reqwest::Client::builder()
            .user_agent(format!("tachikoma/{} ({})", info.version, info.git_hash))
            .use_rustls_tls()
            .https_only(self.endpoint.starts_with("https://"))
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_in_follows_the_features() {
        let names: Vec<&str> = COMPILED_IN.iter().map(|b| b.id.name()).collect();
        let expected: Vec<&str> = BackendId::ALL
            .into_iter()
            .filter(|id| match id {
                BackendId::Claude => cfg!(feature = "claude"),
                BackendId::OpenAi => cfg!(feature = "openai"),
                BackendId::Gemini => cfg!(feature = "gemini"),
                BackendId::Ollama => cfg!(feature = "ollama"),
            })
            .map(BackendId::name)
            .collect();
        assert_eq!(names, expected);
        for id in BackendId::ALL {
            assert_eq!(backend(id).is_ok(), expected.contains(&id.name()), "{id}");
            assert_eq!(
                tachikoma_common_core::BUILD_INFO.has_feature(id.name()),
                expected.contains(&id.name()),
                "{id}"
            );
        }
    }

    #[test]
    fn missing_backend_error_says_how_to_get_it() {
        if let Some(id) = BackendId::ALL.into_iter().find(|id| backend(*id).is_err()) {
            let message = backend(id).unwrap_err().to_string();
            assert!(message.contains(&format!("--features {id}")), "{message}");
        }
    }

    #[cfg(any(
        feature = "claude",
        feature = "openai",
        feature = "gemini",
        feature = "ollama"
    ))]
    #[test]
    fn every_compiled_in_backend_gets_a_client() {
        for backend in COMPILED_IN {
            assert!(backend.endpoint.starts_with("http"), "{backend:?}");
            backend
                .client()
                .unwrap_or_else(|e| panic!("{}: {e}", backend.id));
        }
    }
}
