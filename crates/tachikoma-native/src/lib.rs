//! `tachikoma.node`: the Node.js addon. `buildInfo()` returns the same object as
//! `tachikoma version --json`, field names included (no camelCase renaming).

// napi-derive's generated registration code is `unsafe` FFI; ours is not.
#![allow(unsafe_code)]

use napi_derive::napi;
use tachikoma_common_core::BUILD_INFO;

/// The build metadata as a plain JS object.
#[napi(object)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
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

/// This addon's build metadata.
#[napi(js_name = "buildInfo")]
pub fn build_info() -> BuildInfo {
    let info = BUILD_INFO;
    BuildInfo {
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
