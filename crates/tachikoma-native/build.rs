fn main() {
    napi_build::setup();
    // A macOS dylib names itself (LC_ID_DYLIB) by its output path unless told otherwise: the
    // build machine's path, in the shipped addon. Node loads it by file, so any name does.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("macos") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/tachikoma.node");
    }
}
