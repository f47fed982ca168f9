//! MNIST in the standard IDX format, gzipped or raw, verified by SHA-256.
//!
//! Where it looks, in order: an explicit directory, the `MNIST_DIR`
//! environment variable, `data/mnist/` under the current directory and under
//! this crate's directory. A directory qualifies when it holds all four files
//! (`train-images-idx3-ubyte[.gz]` and the three others). When none does, the
//! error lists each place and what was missing there, and how to get the data
//! (`cargo run --release --bin fetch-data`).
//!
//! Each file is checked for structure first (magic number, dimensions, count,
//! exact length), so a truncated or mislabelled file gets a precise message;
//! then the SHA-256 of its decompressed bytes must equal the standard
//! distribution's.

use crate::{Error, Result};
use flate2::read::GzDecoder;
use ndarray::{s, Array2};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// One of the four standard files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MnistFile {
    /// File name without `.gz`.
    pub name: &'static str,
    /// SHA-256 of the decompressed bytes (the standard distribution's).
    pub sha256: &'static str,
    /// Raw length in bytes.
    pub len: usize,
}

/// The four files, with the SHA-256 of their raw bytes.
pub const MNIST_FILES: [MnistFile; 4] = [
    MnistFile {
        name: "train-images-idx3-ubyte",
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        len: 47_040_016,
    },
    MnistFile {
        name: "train-labels-idx1-ubyte",
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        len: 60_008,
    },
    MnistFile {
        name: "t10k-images-idx3-ubyte",
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        len: 7_840_016,
    },
    MnistFile {
        name: "t10k-labels-idx1-ubyte",
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        len: 10_008,
    },
];

const IMAGES_MAGIC: u32 = 2051;
const LABELS_MAGIC: u32 = 2049;

/// How to get MNIST, for error messages.
pub const HOW_TO_GET_MNIST: &str = "fix: set MNIST_DIR to a directory with the four IDX files (gzipped or raw), \
     or download them into data/mnist/ with `cargo run --bin fetch-data`";

/// Images and labels of one split.
#[derive(Debug, Clone)]
pub struct MnistSplit {
    /// One row of `rows * cols` grey levels (0-255) per image.
    pub images: Array2<u8>,
    /// The digit of each image.
    pub labels: Vec<u8>,
    /// Image height (28).
    pub rows: usize,
    /// Image width (28).
    pub cols: usize,
}

impl MnistSplit {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the split has no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The last `n` examples (all if `n` is larger).
    pub fn tail(&self, n: usize) -> MnistSplit {
        let from = self.len() - n.min(self.len());
        MnistSplit {
            images: self.images.slice(s![from.., ..]).to_owned(),
            labels: self.labels[from..].to_vec(),
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// The first `n` examples (all if `n` is larger).
    pub fn head(&self, n: usize) -> MnistSplit {
        let n = n.min(self.len());
        MnistSplit {
            images: self.images.slice(s![..n, ..]).to_owned(),
            labels: self.labels[..n].to_vec(),
            rows: self.rows,
            cols: self.cols,
        }
    }
}

/// The MNIST training and test sets.
#[derive(Debug, Clone)]
pub struct Mnist {
    /// 60,000 training examples.
    pub train: MnistSplit,
    /// 10,000 test examples.
    pub test: MnistSplit,
    /// The directory the files were read from.
    pub dir: PathBuf,
}

impl Mnist {
    /// Finds (see the [module docs](self)) and reads MNIST, verifying every file.
    pub fn load(explicit: Option<&Path>) -> Result<Mnist> {
        Mnist::load_dir(&locate(explicit)?)
    }

    /// Reads and verifies MNIST from `dir`.
    pub fn load_dir(dir: &Path) -> Result<Mnist> {
        let read = |i: usize| read_verified(dir, &MNIST_FILES[i]);
        let (train_images, train_labels, test_images, test_labels) = (read(0)?, read(1)?, read(2)?, read(3)?);
        let split = |images: (Vec<u8>, &MnistFile), labels: (Vec<u8>, &MnistFile)| -> Result<MnistSplit> {
            let (images, rows, cols) = parse_images(&images.0, images.1.name)?;
            let labels = parse_labels(&labels.0, labels.1.name)?;
            if images.nrows() != labels.len() {
                return Err(Error::data(
                    dir.display(),
                    format!("{} images but {} labels", images.nrows(), labels.len()),
                ));
            }
            Ok(MnistSplit { images, labels, rows, cols })
        };
        Ok(Mnist {
            train: split((train_images, &MNIST_FILES[0]), (train_labels, &MNIST_FILES[1]))?,
            test: split((test_images, &MNIST_FILES[2]), (test_labels, &MNIST_FILES[3]))?,
            dir: dir.to_path_buf(),
        })
    }
}

/// The directory MNIST will be read from: the first candidate that holds all
/// four files, or an error listing every candidate and what it lacked.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    let mut candidates: Vec<(String, PathBuf)> = Vec::new();
    if let Some(dir) = explicit {
        // An explicit path is the only candidate: silently using another would surprise.
        candidates.push(("the given path".into(), dir.to_path_buf()));
    } else {
        if let Some(dir) = std::env::var_os("MNIST_DIR") {
            candidates.push(("MNIST_DIR".into(), PathBuf::from(dir)));
        }
        candidates.push(("data/mnist in the current directory".into(), PathBuf::from("data/mnist")));
        candidates.push((
            "data/mnist in the descent project".into(),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist"),
        ));
    }
    let mut looked = Vec::new();
    for (label, dir) in candidates {
        let missing: Vec<&str> =
            MNIST_FILES.iter().filter(|f| find_file_in(&dir, f.name).is_none()).map(|f| f.name).collect();
        if missing.is_empty() {
            return Ok(dir);
        }
        looked.push(format!("{} ({label}): missing {}", dir.display(), missing.join(", ")));
    }
    if explicit.is_none() && std::env::var_os("MNIST_DIR").is_none() {
        looked.insert(0, "MNIST_DIR: not set".into());
    }
    Err(Error::NotFound { what: "MNIST".into(), looked, fix: HOW_TO_GET_MNIST.into() })
}

/// `dir/name.gz` if it exists, else `dir/name`, else `None`.
fn find_file_in(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(format!("{name}.gz")), dir.join(name)].into_iter().find(|p| p.is_file())
}

/// The raw bytes of `file` in `dir` (decompressed when gzipped), with their
/// structure and SHA-256 checked.
pub(crate) fn read_verified(dir: &Path, file: &MnistFile) -> Result<Vec<u8>> {
    let path = find_file_in(dir, file.name).ok_or_else(|| Error::data(dir.join(file.name).display(), "missing"))?;
    let bytes = std::fs::read(&path).map_err(|e| Error::io(path.display(), e))?;
    let raw =
        if path.extension().is_some_and(|e| e == "gz") { gunzip(&bytes, &path.display().to_string())? } else { bytes };
    verify(&raw, file, &path.display().to_string())?;
    Ok(raw)
}

/// Most bytes a gzipped MNIST file may decompress to: the largest
/// standard file (the training images, 47,040,016 bytes) with room to spare.
/// A stream that inflates past it (a gzip bomb, or not MNIST) is refused
/// before it can take the machine's memory.
pub const MAX_DECOMPRESSED: u64 = 64 << 20;

/// Decompresses a gzip stream of at most [`MAX_DECOMPRESSED`] bytes.
pub fn gunzip(bytes: &[u8], file: &str) -> Result<Vec<u8>> {
    let mut raw = Vec::new();
    GzDecoder::new(bytes)
        .take(MAX_DECOMPRESSED + 1)
        .read_to_end(&mut raw)
        .map_err(|e| Error::data(file, format!("not a valid gzip stream (truncated or corrupt?): {e}")))?;
    if raw.len() as u64 > MAX_DECOMPRESSED {
        return Err(Error::data(
            file,
            format!("decompresses to more than {MAX_DECOMPRESSED} bytes, more than any MNIST file: not MNIST"),
        ));
    }
    Ok(raw)
}

/// Checks the structure of `raw` as `file`, then its SHA-256.
pub(crate) fn verify(raw: &[u8], file: &MnistFile, shown_as: &str) -> Result<()> {
    let structure = if file.name.contains("images") {
        parse_images(raw, shown_as).map(|_| ())
    } else {
        parse_labels(raw, shown_as).map(|_| ())
    };
    structure?;
    if raw.len() != file.len {
        return Err(Error::data(
            shown_as,
            format!("well-formed but {} bytes where the standard {} has {}", raw.len(), file.name, file.len),
        ));
    }
    let digest = hex::encode(Sha256::digest(raw));
    if digest != file.sha256 {
        return Err(Error::data(
            shown_as,
            format!(
                "SHA-256 mismatch: got {digest}, the standard {} has {}; the file is corrupt or not MNIST, \
                 delete it and download it again",
                file.name, file.sha256
            ),
        ));
    }
    Ok(())
}

fn be_u32(raw: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]])
}

/// Checks the magic number first, so that a swapped file is named as such.
fn check_magic(raw: &[u8], expected: u32, file: &str) -> Result<()> {
    if raw.len() < 4 {
        return Err(Error::data(file, format!("truncated: {} bytes, not even a magic number", raw.len())));
    }
    let magic = be_u32(raw, 0);
    if magic == expected {
        return Ok(());
    }
    let hint = match magic {
        IMAGES_MAGIC => " (this is an image file)",
        LABELS_MAGIC => " (this is a label file)",
        _ => "",
    };
    let kind = if expected == IMAGES_MAGIC { "images" } else { "labels" };
    Err(Error::data(file, format!("magic number {magic}, expected {expected} for {kind}{hint}")))
}

/// Parses an IDX3 image file: `(images, rows, cols)`.
pub fn parse_images(raw: &[u8], file: &str) -> Result<(Array2<u8>, usize, usize)> {
    check_magic(raw, IMAGES_MAGIC, file)?;
    if raw.len() < 16 {
        return Err(Error::data(file, format!("truncated: {} bytes, shorter than the 16-byte IDX3 header", raw.len())));
    }
    let (count, rows, cols) = (be_u32(raw, 4) as usize, be_u32(raw, 8) as usize, be_u32(raw, 12) as usize);
    if rows == 0 || cols == 0 {
        return Err(Error::data(file, format!("image size {rows}x{cols}")));
    }
    let expected = count
        .checked_mul(rows * cols)
        .and_then(|n| n.checked_add(16))
        .ok_or_else(|| Error::data(file, format!("header claims {count} images of {rows}x{cols}: too large")))?;
    if raw.len() != expected {
        let what = if raw.len() < expected { "truncated" } else { "trailing bytes" };
        return Err(Error::data(
            file,
            format!("{what}: {count} images of {rows}x{cols} need {expected} bytes, the file has {}", raw.len()),
        ));
    }
    let images = Array2::from_shape_vec((count, rows * cols), raw[16..].to_vec()).expect("length checked above");
    Ok((images, rows, cols))
}

/// Parses an IDX1 label file (labels must be digits 0-9).
pub fn parse_labels(raw: &[u8], file: &str) -> Result<Vec<u8>> {
    check_magic(raw, LABELS_MAGIC, file)?;
    if raw.len() < 8 {
        return Err(Error::data(file, format!("truncated: {} bytes, shorter than the 8-byte IDX1 header", raw.len())));
    }
    let count = be_u32(raw, 4) as usize;
    if raw.len() != 8 + count {
        let what = if raw.len() < 8 + count { "truncated" } else { "trailing bytes" };
        return Err(Error::data(
            file,
            format!("{what}: {count} labels need {} bytes, the file has {}", 8 + count, raw.len()),
        ));
    }
    let labels = raw[8..].to_vec();
    if let Some(i) = labels.iter().position(|&l| l > 9) {
        return Err(Error::data(file, format!("label {i} is {}, not a digit 0-9", labels[i])));
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx_images(count: u32, rows: u32, cols: u32, pixels: usize) -> Vec<u8> {
        let mut raw = Vec::new();
        for v in [IMAGES_MAGIC, count, rows, cols] {
            raw.extend_from_slice(&v.to_be_bytes());
        }
        raw.extend((0..pixels).map(|i| (i % 256) as u8));
        raw
    }

    fn idx_labels(labels: &[u8]) -> Vec<u8> {
        let mut raw = Vec::new();
        raw.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
        raw.extend_from_slice(&(labels.len() as u32).to_be_bytes());
        raw.extend_from_slice(labels);
        raw
    }

    #[test]
    fn well_formed_files_parse() {
        let (images, rows, cols) = parse_images(&idx_images(3, 2, 2, 12), "x").unwrap();
        assert_eq!((images.shape(), rows, cols), (&[3, 4][..], 2, 2));
        assert_eq!(images[[2, 3]], 11);
        assert_eq!(parse_labels(&idx_labels(&[7, 0, 9]), "y").unwrap(), vec![7, 0, 9]);
    }

    #[test]
    fn truncated_mislabelled_and_corrupt_files_are_typed_errors_naming_the_file() {
        let cases: Vec<(Result<()>, &str)> = vec![
            (parse_images(&idx_images(3, 2, 2, 11), "imgs").map(|_| ()), "truncated: 3 images of 2x2 need 28 bytes"),
            (parse_images(&idx_images(3, 2, 2, 13), "imgs").map(|_| ()), "trailing bytes"),
            (parse_images(&[0, 0, 8], "imgs").map(|_| ()), "not even a magic number"),
            (parse_images(&idx_images(1, 1, 1, 1)[..10], "imgs").map(|_| ()), "shorter than the 16-byte IDX3 header"),
            (parse_images(&idx_labels(&[1, 2]), "imgs").map(|_| ()), "(this is a label file)"),
            (parse_labels(&idx_images(1, 1, 1, 1), "lbls").map(|_| ()), "(this is an image file)"),
            (parse_labels(&idx_labels(&[1, 12]), "lbls").map(|_| ()), "label 1 is 12"),
            (parse_labels(&idx_labels(&[1, 2])[..9], "lbls").map(|_| ()), "truncated"),
            (parse_images(&idx_images(u32::MAX, 65535, 65535, 0), "imgs").map(|_| ()), "truncated"),
            (gunzip(b"\x1f\x8b\x08\x00garbage", "g.gz").map(|_| ()), "not a valid gzip stream"),
        ];
        for (result, message) in cases {
            let err = result.unwrap_err();
            assert!(matches!(err, Error::Data { .. }), "{err}");
            assert!(err.to_string().contains(message), "{err:?} lacks {message:?}");
        }
        // Well-formed, right size, wrong bytes: the checksum catches it.
        let file = MnistFile { name: "t10k-labels-idx1-ubyte", sha256: MNIST_FILES[3].sha256, len: 10 };
        let err = verify(&idx_labels(&[1, 2]), &file, "lbls").unwrap_err().to_string();
        assert!(err.contains("SHA-256 mismatch"), "{err}");
    }

    #[test]
    fn a_missing_dataset_says_where_it_looked_and_how_to_fix_it() {
        let empty = tempfile::tempdir().unwrap();
        std::fs::write(empty.path().join("train-images-idx3-ubyte.gz"), b"").unwrap();
        let err = locate(Some(empty.path())).unwrap_err().to_string();
        assert!(err.contains("MNIST not found"), "{err}");
        assert!(err.contains(&empty.path().display().to_string()), "{err}");
        assert!(err.contains("missing train-labels-idx1-ubyte, t10k-images"), "{err}");
        assert!(err.contains("MNIST_DIR") && err.contains("fetch-data"), "{err}");
    }
}
