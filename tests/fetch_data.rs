//! The MNIST download, against a local HTTP server on 127.0.0.1 that serves
//! good files, corrupt files and 404s (CI has no internet and must not try
//! the real mirrors). Needs the real files (MNIST_DIR, as `.ci/run` sets it)
//! to serve as the good copies.

use descent::data::download::{fetch_mnist, Fetched};
use descent::data::mnist::{locate, MNIST_FILES};
use descent::data::Mnist;
use flate2::write::GzEncoder;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

/// Serves `routes` (path -> gzipped body) on an ephemeral port; anything
/// else is a 404. Returns the base URL.
fn serve(routes: HashMap<String, Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let routes = Arc::clone(&routes);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, body) = match routes.get(&path) {
                    Some(body) => ("200 OK", body.clone()),
                    None => ("404 Not Found", b"not here".to_vec()),
                };
                let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body));
            });
        }
    });
    base
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(raw).unwrap();
    encoder.finish().unwrap()
}

/// `/good/<file>.gz` (the real files) and `/corrupt/<file>.gz` (one data byte
/// changed: well-formed, wrong checksum).
fn routes() -> HashMap<String, Vec<u8>> {
    let dir = locate(None).unwrap_or_else(|e| panic!("this test serves the real MNIST files: {e}"));
    let mut routes = HashMap::new();
    for file in &MNIST_FILES {
        let gz_path = dir.join(format!("{}.gz", file.name));
        let raw = if gz_path.is_file() {
            let gz = std::fs::read(&gz_path).unwrap();
            routes.insert(format!("/good/{}.gz", file.name), gz.clone());
            let mut raw = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut raw).unwrap();
            raw
        } else {
            let raw = std::fs::read(dir.join(file.name)).unwrap();
            routes.insert(format!("/good/{}.gz", file.name), gzip(&raw));
            raw
        };
        let mut corrupt = raw;
        let last = corrupt.len() - 1;
        corrupt[last] = corrupt[last].wrapping_add(1) % 10; // still a valid label / pixel
        routes.insert(format!("/corrupt/{}.gz", file.name), gzip(&corrupt));
    }
    routes
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn downloads_from_the_first_mirror_with_valid_files_and_skips_verified_ones() {
    let base = serve(routes());
    let dest = tempfile::tempdir().unwrap();
    let mirrors = vec![format!("{base}/missing/"), format!("{base}/corrupt"), format!("{base}/good/")];
    let report = fetch_mnist(dest.path(), &mirrors).unwrap();
    for (name, fetched) in &report {
        assert_eq!(fetched, &Fetched::Downloaded(format!("{base}/good/{name}.gz")));
    }
    let mnist = Mnist::load_dir(dest.path()).unwrap();
    assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
    assert_eq!(files_in(dest.path()).len(), 4, "no temporary files left: {:?}", files_in(dest.path()));
    // A second run finds everything in place and downloads nothing.
    let again = fetch_mnist(dest.path(), &[format!("{base}/missing/")]).unwrap();
    assert!(again.iter().all(|(_, f)| *f == Fetched::AlreadyPresent));
}

#[test]
fn when_no_mirror_has_a_valid_file_the_error_lists_every_failure_and_nothing_is_written() {
    let base = serve(routes());
    let dest = tempfile::tempdir().unwrap();
    let mirrors = vec![format!("{base}/missing"), format!("{base}/corrupt")];
    let err = fetch_mnist(dest.path(), &mirrors).unwrap_err().to_string();
    assert!(err.contains("train-images-idx3-ubyte: no mirror served a valid copy"), "{err}");
    assert!(err.contains("HTTP 404"), "{err}");
    assert!(err.contains("SHA-256 mismatch"), "{err}");
    assert!(err.contains("MNIST_DIR") && err.contains("--mnist-dir"), "says how to use files you have: {err}");
    assert!(files_in(dest.path()).is_empty(), "left behind: {:?}", files_in(dest.path()));
}

#[test]
fn the_fetch_data_binary_reports_success_and_failure() {
    let base = serve(routes());
    let dest = tempfile::tempdir().unwrap();
    let run = |mirror: String| {
        std::process::Command::new(env!("CARGO_BIN_EXE_fetch-data"))
            .args(["--dir", dest.path().to_str().unwrap(), "--mirror", &mirror])
            .output()
            .unwrap()
    };
    let failed = run(format!("{base}/missing"));
    assert!(!failed.status.success());
    assert!(String::from_utf8_lossy(&failed.stderr).contains("HTTP 404"));
    let ok = run(format!("{base}/good"));
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("downloaded from"));
}
