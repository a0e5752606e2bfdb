//! Types shared across the Tachikoma crates.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An LLM backend Tachikoma can be built with; each is a cargo feature of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendId {
    Claude,
    OpenAi,
    Gemini,
    Ollama,
}

impl BackendId {
    /// Every backend, in a stable order.
    pub const ALL: [Self; 4] = [Self::Claude, Self::OpenAi, Self::Gemini, Self::Ollama];

    /// The names of [`BackendId::ALL`], in that order.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|b| b.name()).collect()
    }

    /// The name used in configuration, cargo features and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Claude => "claude",
            Self::OpenAi => "openai",
            Self::Gemini => "gemini",
            Self::Ollama => "ollama",
        }
    }
}

impl fmt::Display for BackendId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A backend name that is not one of [`BackendId::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend {0:?}: expected one of {names}", names = BackendId::names().join(", "))]
pub struct UnknownBackend(pub String);

impl FromStr for BackendId {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| UnknownBackend(s.to_owned()))
    }
}

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One message of a conversation with a backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for backend in BackendId::ALL {
            assert_eq!(backend.name().parse::<BackendId>(), Ok(backend));
            assert_eq!(
                serde_json::to_string(&backend).unwrap(),
                format!("\"{backend}\"")
            );
        }
    }

    #[test]
    fn unknown_backend_is_an_error_naming_the_choices() {
        let err = "gpt".parse::<BackendId>().unwrap_err();
        assert_eq!(err, UnknownBackend("gpt".into()));
        assert!(err.to_string().ends_with("claude, openai, gemini, ollama"));
    }

    #[test]
    fn message_json_shape() {
        let json = serde_json::to_string(&Message::new(Role::User, "hi")).unwrap();
        assert_eq!(json, r#"{"role":"user","content":"hi"}"#);
    }

    proptest! {
        #[test]
        fn messages_round_trip_through_json(content in ".*", role in prop_oneof![
            Just(Role::System), Just(Role::User), Just(Role::Assistant)
        ]) {
            let message = Message::new(role, content);
            let back: Message = serde_json::from_str(&serde_json::to_string(&message).unwrap()).unwrap();
            prop_assert_eq!(back, message);
        }
    }
}
