//! The Rust toolchain that compiles submissions: its folder and its own
//! `rustc`, found once per process. The cell ([`crate::sandbox`]) shows the
//! compiler its folder, [`crate::compile`] runs it, and a record names its
//! version ([`crate::model`]).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The toolchain's folder (`rustc --print sysroot`), asked once (without
/// `LD_LIBRARY_PATH`, which `cargo test` points at its own toolchain, and
/// from which rustc would take its sysroot).
pub(crate) fn sysroot() -> &'static Path {
    static SYSROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    SYSROOT.get_or_init(|| {
        Command::new("rustc")
            .env_remove("LD_LIBRARY_PATH")
            .args(["--print", "sysroot"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            .unwrap_or_default()
    })
}

/// The real `rustc` (not rustup's proxy, which needs `HOME` and the
/// environment the cell clears): the toolchain's own binary.
pub(crate) fn rustc() -> &'static Path {
    static RUSTC: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    RUSTC.get_or_init(|| {
        Some(sysroot().join("bin/rustc")).filter(|p| p.is_file()).unwrap_or_else(|| PathBuf::from("rustc"))
    })
}
