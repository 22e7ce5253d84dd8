//! Data that would train nothing, or crash later, is an error at load time naming the file:
//! no images, images of no pixels, train and test sets of different image sizes, too few
//! images to split, and gzip files that inflate past the size their header announces.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use train::idx::{IMAGES_MAGIC, MAX_GZIP_RATIO, decode_idx, encode_idx, read_idx};
use train::mnist::load_mnist;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn images(n: usize, rows: usize, cols: usize) -> Vec<u8> {
    encode_idx(&[n, rows, cols], &vec![7; n * rows * cols])
}

fn labels(n: usize) -> Vec<u8> {
    encode_idx(&[n], &(0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A folder holding a t10k pair of `n` images of `rows x cols`.
fn t10k(name: &str, n: usize, rows: usize, cols: usize) -> (crate::common::Scratch, PathBuf) {
    let dir = crate::common::scratch("data-checks", name);
    let path = write(
        &dir,
        "t10k-images-idx3-ubyte.gz",
        &gzip(&images(n, rows, cols)),
    );
    write(&dir, "t10k-labels-idx1-ubyte.gz", &gzip(&labels(n)));
    (dir, path)
}

#[test]
fn a_set_of_zero_images_is_an_error_naming_the_file() {
    let (dir, images) = t10k("zero", 0, 28, 28);
    let err = load_mnist(&dir).unwrap_err();
    assert_eq!(err.path, images);
    assert_eq!(
        err.message,
        "holds 0 images: nothing to train or validate on"
    );
}

#[test]
fn images_of_zero_pixels_are_an_error_naming_the_file() {
    let (dir, images) = t10k("zero-pixels", 5, 0, 0);
    let err = load_mnist(&dir).unwrap_err();
    assert_eq!(err.path, images);
    assert_eq!(
        err.message,
        "its images have 0 x 0 pixels: an image needs at least one"
    );
}

#[test]
fn one_image_cannot_be_split_into_training_and_validation() {
    let (dir, images) = t10k("one", 1, 28, 28);
    let err = load_mnist(&dir).unwrap_err();
    assert_eq!(err.path, images);
    assert!(err.message.starts_with("holds 1 image: "), "{err}");
    assert!(err.message.ends_with("needs at least 2 images"), "{err}");
    let (dir, _) = t10k("two", 2, 28, 28);
    let data = load_mnist(&dir).unwrap();
    assert_eq!((data.train.len(), data.validation.len()), (1, 1));
}

#[test]
fn train_and_test_images_of_different_sizes_name_both_files() {
    let (dir, test_images) = t10k("sizes", 3, 10, 10);
    let train_images = write(&dir, "train-images-idx3-ubyte", &images(4, 28, 28));
    write(&dir, "train-labels-idx1-ubyte", &labels(4));
    let err = load_mnist(&dir).unwrap_err();
    assert_eq!(err.path, test_images);
    assert_eq!(
        err.message,
        format!(
            "its images are 10 x 10 pixels but those of {} are 28 x 28: the train and t10k \
             sets must have images of one size",
            train_images.display()
        )
    );
}

#[test]
fn a_gzip_bomb_is_rejected_after_the_announced_size() {
    // A header announcing 10 images of 2 x 2 pixels (56 bytes in all), followed by 20 MB of
    // zeros: about 20 KB compressed.
    let mut bomb = images(10, 2, 2);
    bomb.resize(20_000_000, 0);
    let gz = gzip(&bomb);
    assert!(gz.len() < 100_000, "{} bytes", gz.len());
    let err = decode_idx(gz, IMAGES_MAGIC).unwrap_err();
    assert_eq!(
        err,
        "the gzip data decompresses to more than the 56 bytes its header announces (stopped \
         reading there): a corrupt file, or not an IDX file"
    );
}

#[test]
fn a_gzip_bomb_costs_no_more_memory_than_its_header_announces() {
    // The case: a gzip of about 500 KB inflating to 500 MB used to grow a buffer to
    // 580 MB before the header check. Here the header announces 10,000 images of 28 x 28
    // (7.8 MB), and 500 MB of zeros follow it.
    let header = images(10_000, 28, 28);
    let announced = header.len();
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&header).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..500 {
        enc.write_all(&zeros).unwrap();
    }
    let gz = enc.finish().unwrap();
    assert!(gz.len() < 600_000, "{} bytes", gz.len());
    let mut result = Ok(());
    let peak = crate::peak::peak_during(|| result = decode_idx(gz.clone(), IMAGES_MAGIC).map(drop));
    assert!(
        result
            .unwrap_err()
            .starts_with("the gzip data decompresses to more than the "),
        "rejected"
    );
    // The announced bytes, a copy of the input, and the decoder's own state.
    let bound = announced + gz.len() + (1 << 20);
    assert!(peak <= bound, "{peak} bytes at the peak, bound {bound}");
}

#[test]
fn a_header_announcing_more_than_the_gzip_data_can_hold_is_rejected_unread() {
    // 60,000 images of 28 x 28 announced by a file of a few dozen bytes.
    let header = &images(60_000, 28, 28)[..16];
    let gz = gzip(header);
    let err = decode_idx(gz.clone(), IMAGES_MAGIC).unwrap_err();
    assert_eq!(
        err,
        format!(
            "the header announces 47040016 bytes, more than {} bytes of gzip data can hold \
             (deflate expands at most {MAX_GZIP_RATIO} times): a corrupt header",
            gz.len()
        )
    );
    // Through a file, the error names it.
    let dir = crate::common::scratch("data-checks", "ratio");
    let path = write(&dir, "t10k-images-idx3-ubyte.gz", &gz);
    let err = read_idx(&path, IMAGES_MAGIC).unwrap_err();
    assert_eq!(err.path, path);
}
