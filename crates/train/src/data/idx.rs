//! The IDX file format, in which MNIST is distributed, raw or gzip-compressed.
//!
//! Layout (big-endian): a 4-byte magic number `0x00 0x00 <type> <ndim>`, then `ndim` 4-byte
//! dimension sizes, then the elements in row-major order. MNIST images are magic 2051
//! (`0x00000803`: unsigned bytes, 3 dimensions `[n, 28, 28]`); labels are 2049 (`0x00000801`:
//! unsigned bytes, `[n]`). Every check below turns a malformed file into an error that says
//! what is wrong and, where it can, what the file probably is.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;
use tape::Tensor;

use super::DataError;

/// The magic number of an IDX file of unsigned-byte images `[n, rows, cols]`.
pub const IMAGES_MAGIC: u32 = 0x0803;
/// The magic number of an IDX file of unsigned-byte labels `[n]`.
pub const LABELS_MAGIC: u32 = 0x0801;

/// The two bytes every gzip stream starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The IDX element type code for unsigned bytes (the only type MNIST uses).
const UBYTE: u8 = 0x08;

/// The contents of an unsigned-byte IDX file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimension sizes from the header.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

/// Reads an IDX file (raw, or gzip-compressed: detected by its first two bytes, whatever the
/// file name) and checks that its magic number is `expected_magic` and that its length matches
/// its header.
pub fn read_idx(path: impl AsRef<Path>, expected_magic: u32) -> Result<IdxArray, DataError> {
    let path = path.as_ref();
    let raw = std::fs::read(path).map_err(|e| DataError::new(path, format!("cannot read: {e}")))?;
    let bytes = if raw.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| {
                DataError::new(
                    path,
                    format!("corrupt gzip data ({e}); the download may be incomplete"),
                )
            })?;
        out
    } else {
        raw
    };
    parse_idx(&bytes, expected_magic).map_err(|message| DataError::new(path, message))
}

/// Parses the bytes of an uncompressed IDX file (see [`read_idx`]); the error names the
/// problem without the file name.
pub fn parse_idx(bytes: &[u8], expected_magic: u32) -> Result<IdxArray, String> {
    if bytes.is_empty() {
        return Err("the file is empty (an interrupted download?)".into());
    }
    let Some(magic_bytes) = bytes.first_chunk::<4>() else {
        return Err(format!(
            "truncated: the 4-byte magic number is cut short after {} bytes",
            bytes.len()
        ));
    };
    let magic = u32::from_be_bytes(*magic_bytes);
    if magic != expected_magic {
        return Err(format!(
            "expected magic {expected_magic}, found {magic}{}",
            magic_hint(expected_magic, *magic_bytes)
        ));
    }
    let ndim = magic_bytes[3] as usize;
    let header_len = 4 + 4 * ndim;
    if bytes.len() < header_len {
        return Err(format!(
            "truncated: the header of {ndim} dimensions needs {header_len} bytes, the file has {}",
            bytes.len()
        ));
    }
    let dims: Vec<usize> = bytes[4..header_len]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let shown = dims
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" x ");
    let Some(expected) = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) else {
        return Err(format!(
            "dimensions {shown} overflow: not a valid IDX header"
        ));
    };
    let payload = bytes.len() - header_len;
    if payload < expected {
        return Err(format!(
            "truncated: the header promises {shown} = {expected} data bytes, found {payload} \
             (an interrupted download?)"
        ));
    }
    if payload > expected {
        return Err(format!(
            "{} unexpected bytes after the {shown} = {expected} data bytes \
             (a corrupt or concatenated file?)",
            payload - expected
        ));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header_len..].to_vec(),
    })
}

/// A hint about what a file with the wrong magic number probably is.
fn magic_hint(expected: u32, found: [u8; 4]) -> String {
    let found_magic = u32::from_be_bytes(found);
    match (expected, found_magic) {
        (IMAGES_MAGIC, LABELS_MAGIC) => " (is this a label file?)".into(),
        (LABELS_MAGIC, IMAGES_MAGIC) => " (is this an image file?)".into(),
        _ if found[..2] == GZIP_MAGIC => " (gzip data inside gzip: decompress it once)".into(),
        _ if found[0] != 0 || found[1] != 0 => {
            " (not an IDX file: IDX files start with two zero bytes)".into()
        }
        _ if found[2] != UBYTE => format!(
            " (element type 0x{:02X} is not supported: MNIST files hold unsigned bytes, 0x08)",
            found[2]
        ),
        _ => format!(" (an IDX file with {} dimensions)", found[3]),
    }
}

/// The bytes of an uncompressed unsigned-byte IDX file with the given dimensions (the inverse
/// of [`parse_idx`]; useful to write test fixtures).
pub fn encode_idx(dims: &[usize], data: &[u8]) -> Vec<u8> {
    assert_eq!(
        dims.iter().product::<usize>(),
        data.len(),
        "encode_idx: dims {dims:?} for {} bytes",
        data.len()
    );
    let mut out = vec![0, 0, UBYTE, dims.len() as u8];
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

/// Reads an IDX image file into a tensor `[n, rows, cols]` with pixels scaled to `[0, 1]`.
pub fn read_images(path: impl AsRef<Path>) -> Result<Tensor<f32>, DataError> {
    let path = path.as_ref();
    let array = read_idx(path, IMAGES_MAGIC)?;
    let pixels = array.data.iter().map(|&p| p as f32 / 255.0).collect();
    Ok(Tensor::from_vec(pixels, array.dims))
}

/// Reads an IDX label file.
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<usize>, DataError> {
    let array = read_idx(path, LABELS_MAGIC)?;
    Ok(array.data.iter().map(|&l| l as usize).collect())
}
