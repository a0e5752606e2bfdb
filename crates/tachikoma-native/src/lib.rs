//! `tachikoma.node`: the Node.js addon. `buildInfo()` returns the same object as
//! `tachikoma version --json`, field names included.

// napi-derive's generated registration code is `unsafe` FFI; ours is not.
#![allow(unsafe_code)]

use napi_derive::napi;
use tachikoma_common_core::js::BuildInfoObject;
use tachikoma_common_core::BUILD_INFO;

/// This addon's build metadata.
#[napi(js_name = "buildInfo")]
pub fn build_info() -> BuildInfoObject {
    BUILD_INFO.into()
}
