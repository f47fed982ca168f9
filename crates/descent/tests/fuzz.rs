//! Property-based tests: random and mutated inputs thrown at everything in
//! the core that reads outside data (the IDX reader and gzip, optimizer
//! checkpoints). Each must answer with a value or a typed error: never a
//! panic, and never an allocation sized by a number the input declares. The
//! lab's readers (saved sections, `summary.json`, the report's command line)
//! have theirs in the lab's `tests/fuzz.rs`.
//!
//! `cargo test --release --test fuzz` runs a bounded number of cases per
//! property (`PROPTEST_CASES`, default 256); a longer campaign is the same
//! command with, say, `PROPTEST_CASES=100000`.

mod common;

use common::mutate::{json_value, replace_node};
use descent::data::mnist::{gunzip, parse_images, parse_labels, MAX_DECOMPRESSED};
use descent::optim::{by_name, OPTIMIZER_NAMES};
use ndarray::ArrayD;
use proptest::prelude::*;

const IMAGES_MAGIC: u32 = 2051;
const LABELS_MAGIC: u32 = 2049;

fn header(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// A small well-formed IDX3 file: `count` images of `rows x cols`.
fn images(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut raw = header(&[IMAGES_MAGIC, count, rows, cols]);
    raw.extend((0..count * rows * cols).map(|i| (i % 251) as u8));
    raw
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(raw).unwrap();
    enc.finish().unwrap()
}

/// A mutation of a byte string: flip, truncate, insert, or overwrite a
/// header word with an extreme value.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Word(usize, u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (0usize..4, prop_oneof![Just(0u32), Just(1), Just(u32::MAX), Just(1_000_000_000), any::<u32>()])
            .prop_map(|(w, v)| Mutation::Word(w, v)),
    ]
}

fn apply(mut raw: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let n = raw.len().max(1);
    match m {
        Mutation::Flip(i, b) => {
            if !raw.is_empty() {
                raw[i % n] ^= b | 1;
            }
        }
        Mutation::Truncate(i) => raw.truncate(i % n),
        Mutation::Insert(i, bytes) => {
            let at = i % (raw.len() + 1);
            raw.splice(at..at, bytes.iter().copied());
        }
        Mutation::Word(w, v) => {
            if raw.len() >= 4 * (w + 1) {
                raw[4 * w..4 * w + 4].copy_from_slice(&v.to_be_bytes());
            }
        }
    }
    raw
}

proptest! {
    #[test]
    fn the_idx_reader_answers_every_mutated_file_without_panicking(
        mutations in prop::collection::vec(mutation(), 1..4),
        count in 1u32..6, rows in 1u32..5, cols in 1u32..5,
    ) {
        let mut raw = images(count, rows, cols);
        for m in &mutations {
            raw = apply(raw, m);
        }
        // Whatever the bytes say, an answer and no panic; an accepted file
        // has exactly the pixels its header declares.
        if let Ok((pixels, r, c)) = parse_images(&raw, "fuzz") {
            prop_assert_eq!(pixels.len() + 16, raw.len());
            prop_assert_eq!(pixels.ncols(), r * c);
        }
        let _ = parse_labels(&raw, "fuzz");
        // The same bytes gzipped and then damaged.
        let gz = apply(gzip(&raw), &mutations[0]);
        if let Ok(inflated) = gunzip(&gz, "fuzz.gz") {
            let _ = parse_images(&inflated, "fuzz.gz");
        }
    }

    #[test]
    fn random_bytes_are_refused_by_the_idx_reader(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_images(&bytes, "random");
        let _ = parse_labels(&bytes, "random");
        prop_assert!(gunzip(&bytes, "random").is_err() || bytes.starts_with(&[0x1f, 0x8b]));
    }
}

#[test]
fn a_header_claiming_huge_counts_is_an_error_not_an_allocation() {
    // 10^12 images would need 784 TB; 4 billion labels 4 GB: refused from the
    // header, before anything is allocated.
    let huge = header(&[IMAGES_MAGIC, u32::MAX, 28, 28]);
    let err = parse_images(&huge, "huge").unwrap_err().to_string();
    assert!(err.contains("truncated"), "{err}");
    let err = parse_images(&header(&[IMAGES_MAGIC, u32::MAX, u32::MAX, u32::MAX]), "huge").unwrap_err();
    assert!(err.to_string().contains("huge"), "{err}");
    assert!(parse_labels(&header(&[LABELS_MAGIC, u32::MAX]), "huge").is_err());
    // A gzip bomb: 65 MB of zeros compress to about 64 KB and are refused.
    let bomb = gzip(&vec![0u8; (MAX_DECOMPRESSED + (1 << 20)) as usize]);
    let err = gunzip(&bomb, "bomb.gz").unwrap_err().to_string();
    assert!(err.contains("more than"), "{err}");
}

fn two_params() -> (ArrayD<f64>, ArrayD<f64>) {
    (
        ArrayD::from_shape_vec(vec![3], vec![1.0, -0.5, 2.0]).unwrap(),
        ArrayD::from_shape_vec(vec![2], vec![0.3, 0.7]).unwrap(),
    )
}

proptest! {
    #[test]
    fn optimizer_checkpoints_survive_any_mutation(
        which in 0usize..OPTIMIZER_NAMES.len(),
        node in any::<usize>(),
        with in json_value(),
    ) {
        let name = OPTIMIZER_NAMES[which].0;
        let mut original = by_name::<f64>(name, Some(0.05)).unwrap();
        let (mut a, mut b) = two_params();
        for _ in 0..2 {
            let grads = [a.mapv(|v| v - 0.1), b.mapv(|v| 2.0 * v)];
            original.step(&mut [&mut a, &mut b], &grads).unwrap();
        }
        let mut checkpoint = original.save().unwrap();
        replace_node(&mut checkpoint, node, &with);
        let mut target = by_name::<f64>(name, Some(0.05)).unwrap();
        let before = target.save().unwrap();
        match target.load(&checkpoint) {
            Err(_) => prop_assert_eq!(target.save().unwrap(), before, "a refused load changed the optimizer"),
            // Accepted: stepping answers (a value or an error), never a panic.
            Ok(()) => {
                let (mut a, mut b) = two_params();
                for _ in 0..2 {
                    let grads = [a.mapv(|v| v - 0.1), b.mapv(|v| 2.0 * v)];
                    let _ = target.step(&mut [&mut a, &mut b], &grads);
                }
            }
        }
    }
}
