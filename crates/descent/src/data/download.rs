//! Downloading MNIST for users with a network: each file from the mirrors in
//! turn, with a progress bar, verified (structure and SHA-256) before it is
//! written, and written atomically (a temporary file in the destination,
//! then a rename), so an interrupted download never leaves a partial file.

use super::mnist::{gunzip, read_verified, verify, MNIST_FILES};
use crate::{Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// Public mirrors of the gzipped IDX files (those torchvision uses).
pub const MIRRORS: &[&str] =
    &["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"];

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// A verified copy was already there.
    AlreadyPresent,
    /// Downloaded from this URL.
    Downloaded(String),
}

/// Makes sure `dest` holds the four verified MNIST files, downloading the
/// missing or invalid ones from `mirrors` (tried in order). Returns what was
/// done for each file; the error for a file that no mirror served lists each
/// mirror's failure.
pub fn fetch_mnist(dest: &Path, mirrors: &[String]) -> Result<Vec<(&'static str, Fetched)>> {
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest.display(), e))?;
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(15))
        .timeout_read(Duration::from_secs(60))
        .build();
    let mut report = Vec::new();
    for file in &MNIST_FILES {
        if read_verified(dest, file).is_ok() {
            report.push((file.name, Fetched::AlreadyPresent));
            continue;
        }
        let mut failures = Vec::new();
        let mut fetched = None;
        for mirror in mirrors {
            let url = format!("{}/{}.gz", mirror.trim_end_matches('/'), file.name);
            match download(&agent, &url).and_then(|gz| {
                verify(&gunzip(&gz, &url)?, file, &url)?;
                Ok(gz)
            }) {
                Ok(gz) => {
                    crate::files::write_atomically(&dest.join(format!("{}.gz", file.name)), &gz)?;
                    fetched = Some(url);
                    break;
                }
                Err(e) => failures.push(format!("  - {e}")),
            }
        }
        match fetched {
            Some(url) => report.push((file.name, Fetched::Downloaded(url))),
            None => {
                return Err(Error::data(
                    file.name,
                    format!(
                        "no mirror served a valid copy:\n{}\nIf you already have the four MNIST files (gzipped or \
                         raw), point descent at their directory instead of downloading: set MNIST_DIR=/path/to/mnist, \
                         pass --mnist-dir /path/to/mnist to `report`, or copy them into data/mnist/.",
                        failures.join("\n")
                    ),
                ))
            }
        }
    }
    Ok(report)
}

/// GETs `url` into memory with a progress bar (drawn only on a terminal).
fn download(agent: &ureq::Agent, url: &str) -> Result<Vec<u8>> {
    let response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::Status(code, _) => Error::data(url, format!("HTTP {code}")),
        other => Error::Io { path: url.to_string(), message: other.to_string() },
    })?;
    let length = response.header("Content-Length").and_then(|l| l.parse::<u64>().ok());
    let bar = match length {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_message(url.rsplit('/').next().unwrap_or(url).to_string());
    let mut body = Vec::with_capacity(length.unwrap_or(0) as usize);
    let mut reader = response.into_reader();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut chunk).map_err(|e| Error::io(url, e))?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    if let Some(n) = length {
        if body.len() as u64 != n {
            return Err(Error::data(url, format!("connection closed after {} of {n} bytes", body.len())));
        }
    }
    Ok(body)
}
