//! The IDX reader and the MNIST folder loader on good, truncated, mislabelled and garbage
//! files: every bad file is an error that says what is wrong, never a panic.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use train::idx::{
    IMAGES_MAGIC, LABELS_MAGIC, encode_idx, parse_idx, read_idx, read_images, read_labels,
};
use train::mnist::{load_mnist, read_mnist_set};

fn scratch(name: &str) -> crate::common::Scratch {
    crate::common::scratch("idx", name)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// `n` 2x2 images with pixel values `i * 4 + k` and labels `i % 10`.
fn tiny_images(n: usize) -> Vec<u8> {
    encode_idx(&[n, 2, 2], &(0..n * 4).map(|v| v as u8).collect::<Vec<_>>())
}

fn tiny_labels(n: usize) -> Vec<u8> {
    encode_idx(&[n], &(0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn reads_raw_and_gzip_files_alike() {
    let dir = scratch("roundtrip");
    let raw = write(&dir, "images-raw", &tiny_images(3));
    let gz = write(&dir, "images.gz", &gzip(&tiny_images(3)));
    let a = read_idx(&raw, IMAGES_MAGIC).unwrap();
    let b = read_idx(&gz, IMAGES_MAGIC).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.dims, vec![3, 2, 2]);
    assert_eq!(a.data, (0..12).collect::<Vec<u8>>());
    let pixels = read_images(&gz).unwrap();
    assert_eq!(pixels.dims(), &[3, 2, 2]);
    assert_eq!(pixels.data()[11], 11.0 / 255.0);
    let labels = write(&dir, "labels", &tiny_labels(3));
    assert_eq!(read_labels(&labels).unwrap(), vec![0, 1, 2]);
    assert_eq!(read_idx(&labels, LABELS_MAGIC).unwrap().dims, vec![3]);
}

#[test]
fn a_label_file_read_as_images_says_so() {
    let dir = scratch("magic");
    let path = write(&dir, "train-images-idx3-ubyte.gz", &gzip(&tiny_labels(5)));
    let err = read_images(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: expected magic 2051, found 2049 (is this a label file?)",
            path.display()
        )
    );
    let images = write(&dir, "labels-that-are-images", &tiny_images(2));
    let err = read_labels(&images).unwrap_err();
    assert!(
        err.message
            .ends_with("expected magic 2049, found 2051 (is this an image file?)"),
        "{err}"
    );
}

#[test]
fn empty_truncated_and_garbage_files_are_errors() {
    let good = tiny_images(4);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", vec![], "the file is empty"),
        (
            "short magic",
            good[..3].to_vec(),
            "the 4-byte magic number is cut short after 3 bytes",
        ),
        (
            "short header",
            good[..9].to_vec(),
            "the header of 3 dimensions needs 16 bytes, the file has 9",
        ),
        (
            "short data",
            good[..20].to_vec(),
            "truncated: the header promises 4 x 2 x 2 = 16 data bytes, found 4",
        ),
        (
            "trailing bytes",
            [good.clone(), vec![1, 2]].concat(),
            "2 unexpected bytes after the 4 x 2 x 2 = 16 data bytes",
        ),
        (
            "html",
            b"<html>404 not found</html>".to_vec(),
            "(not an IDX file: IDX files start with two zero bytes)",
        ),
        (
            "float type",
            vec![0, 0, 0x0D, 3, 0, 0, 0, 1],
            "element type 0x0D is not supported",
        ),
    ];
    for (what, bytes, expected) in cases {
        let err = parse_idx(&bytes, IMAGES_MAGIC).unwrap_err();
        assert!(
            err.contains(expected),
            "{what}: got '{err}', expected '{expected}'"
        );
    }
}

#[test]
fn every_truncation_of_a_valid_file_is_an_error_not_a_panic() {
    let dir = scratch("truncations");
    let raw = tiny_images(3);
    let gz = gzip(&raw);
    for cut in 0..raw.len() {
        assert!(
            parse_idx(&raw[..cut], IMAGES_MAGIC).is_err(),
            "raw cut at {cut}"
        );
    }
    for cut in 0..gz.len() {
        let path = write(&dir, "cut.gz", &gz[..cut]);
        let result = read_idx(&path, IMAGES_MAGIC);
        assert!(
            result.is_err(),
            "gzip cut at {cut} of {} was accepted",
            gz.len()
        );
    }
}

#[test]
fn corrupt_gzip_and_missing_files_are_reported() {
    let dir = scratch("corrupt");
    let mut gz = gzip(&tiny_images(50));
    let middle = gz.len() / 2;
    for b in &mut gz[12..middle] {
        *b ^= 0x5A;
    }
    let path = write(&dir, "bad.gz", &gz);
    let err = read_idx(&path, IMAGES_MAGIC).unwrap_err();
    assert!(err.message.starts_with("corrupt gzip data"), "{err}");
    let missing = dir.join("nope");
    let err = read_idx(&missing, IMAGES_MAGIC).unwrap_err();
    assert!(err.message.starts_with("cannot read"), "{err}");
    assert_eq!(err.path, missing);
}

#[test]
fn mnist_folder_with_only_t10k_is_split_80_20() {
    let dir = scratch("t10k-only");
    write(&dir, "t10k-images-idx3-ubyte.gz", &gzip(&tiny_images(10)));
    write(&dir, "t10k-labels-idx1-ubyte", &tiny_labels(10));
    let data = load_mnist(&dir).unwrap();
    assert_eq!((data.train.len(), data.validation.len()), (8, 2));
    assert_eq!(data.train.inputs.dims(), &[8, 4]);
    assert_eq!(
        data.validation.labels,
        vec![8, 9],
        "the last examples validate"
    );
    assert!(
        data.source.contains("first 8 train, last 2 validate"),
        "{}",
        data.source
    );
}

#[test]
fn mnist_folder_with_four_files_trains_on_train() {
    let dir = scratch("four");
    write(&dir, "train-images-idx3-ubyte", &tiny_images(6));
    write(&dir, "train-labels-idx1-ubyte", &tiny_labels(6));
    write(&dir, "t10k-images.idx3-ubyte", &tiny_images(3));
    write(&dir, "t10k-labels.idx1-ubyte", &tiny_labels(3));
    let data = load_mnist(&dir).unwrap();
    assert_eq!((data.train.len(), data.validation.len()), (6, 3));
}

#[test]
fn mnist_folder_problems_are_explained() {
    let dir = scratch("problems");
    let err = load_mnist(&dir).unwrap_err();
    assert!(err.message.contains("no MNIST files"), "{err}");
    assert!(err.message.ends_with("the folder is empty"), "{err}");

    write(&dir, "t10k-images-idx3-ubyte", &tiny_images(4));
    let err = load_mnist(&dir).unwrap_err();
    assert!(
        err.message.contains("missing t10k-labels-idx1-ubyte"),
        "{err}"
    );
    assert!(
        err.message
            .contains("the folder contains: t10k-images-idx3-ubyte"),
        "{err}"
    );

    write(&dir, "t10k-labels-idx1-ubyte", &tiny_labels(5));
    let err = read_mnist_set(&dir, "t10k").unwrap_err();
    assert!(err.message.contains("5 labels for the 4 images"), "{err}");

    write(
        &dir,
        "t10k-labels-idx1-ubyte",
        &encode_idx(&[4], &[1, 2, 12, 3]),
    );
    let err = read_mnist_set(&dir, "t10k").unwrap_err();
    assert!(
        err.message
            .contains("label 12 at position 2 is not a digit"),
        "{err}"
    );

    let file = write(&dir, "plain-file", b"x");
    let err = load_mnist(&file).unwrap_err();
    assert!(err.message.starts_with("not a folder"), "{err}");
}
