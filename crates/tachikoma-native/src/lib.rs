//! `tachikoma.node`: the Node.js addon. `buildInfo()` returns the same object as
//! `tachikoma version --json`, field names included.

// napi-derive's generated conversion and registration code is `unsafe` FFI; ours is not.
#![allow(unsafe_code)]

use napi_derive::napi;
use tachikoma_common_core::{BuildInfo, BUILD_INFO};

/// [`BuildInfo`] as a plain JS object, with the same field names as its JSON (no camelCase).
#[napi(object, js_name = "BuildInfo")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfoObject {
    pub version: String,
    #[napi(js_name = "git_hash")]
    pub git_hash: String,
    #[napi(js_name = "git_branch")]
    pub git_branch: String,
    #[napi(js_name = "build_time")]
    pub build_time: String,
    pub target: String,
    pub profile: String,
    pub ci: bool,
    pub features: Vec<String>,
    pub rustc: String,
}

impl From<BuildInfo> for BuildInfoObject {
    fn from(info: BuildInfo) -> Self {
        Self {
            version: info.version.into(),
            git_hash: info.git_hash.into(),
            git_branch: info.git_branch.into(),
            build_time: info.build_time.into(),
            target: info.target.into(),
            profile: info.profile.into(),
            ci: info.ci,
            features: info.features.iter().map(|f| (*f).to_owned()).collect(),
            rustc: info.rustc.into(),
        }
    }
}

/// This addon's build metadata.
#[napi(js_name = "buildInfo")]
pub fn build_info() -> BuildInfoObject {
    BUILD_INFO.into()
}
