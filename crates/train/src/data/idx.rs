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
/// its header. Errors name the file.
pub fn read_idx(path: impl AsRef<Path>, expected_magic: u32) -> Result<IdxArray, DataError> {
    let path = path.as_ref();
    let raw = std::fs::read(path).map_err(|e| DataError::new(path, format!("cannot read: {e}")))?;
    decode_idx(raw, expected_magic).map_err(|message| DataError::new(path, message))
}

/// Decodes the bytes of an IDX file as stored, raw or gzip-compressed (see [`read_idx`]); the
/// error names the problem without the file name.
///
/// Decompression stops one byte past the size the header announces, so a small file that
/// inflates to far more (a decompression bomb) costs at most that much memory before it is
/// rejected; and a header announcing more than its compressed bytes could hold (deflate
/// expands at most [`MAX_GZIP_RATIO`] times) is rejected before decompressing the data.
pub fn decode_idx(raw: Vec<u8>, expected_magic: u32) -> Result<IdxArray, String> {
    let bytes = if raw.starts_with(&GZIP_MAGIC) {
        gunzip_bounded(&raw, expected_magic)?
    } else {
        raw
    };
    parse_idx_owned(bytes, expected_magic)
}

/// The most a deflate stream expands: 258 bytes from about 2 bits, so 1032 times.
pub const MAX_GZIP_RATIO: usize = 1032;

/// Decompresses `gz` up to one byte past the size its IDX header announces.
fn gunzip_bounded(gz: &[u8], expected_magic: u32) -> Result<Vec<u8>, String> {
    let mut decoder = MultiGzDecoder::new(gz);
    let corrupt =
        |e: std::io::Error| format!("corrupt gzip data ({e}); the download may be incomplete");
    // The header first: magic number, then one 4-byte size per dimension.
    let mut out = Vec::new();
    read_up_to(&mut decoder, &mut out, 4).map_err(corrupt)?;
    let magic_fits =
        out.len() == 4 && u32::from_be_bytes([out[0], out[1], out[2], out[3]]) == expected_magic;
    if !magic_fits {
        // Too short or the wrong kind of file: `parse_idx` says which.
        return Ok(out);
    }
    let header_len = 4 + 4 * out[3] as usize;
    read_up_to(&mut decoder, &mut out, header_len).map_err(corrupt)?;
    let Some(payload) = announced_payload(&out, header_len) else {
        return Ok(out);
    };
    let limit = header_len.saturating_add(payload);
    let most = gz.len().saturating_mul(MAX_GZIP_RATIO).saturating_add(64);
    if limit > most {
        return Err(format!(
            "the header announces {limit} bytes, more than {} bytes of gzip data can hold \
             (deflate expands at most {MAX_GZIP_RATIO} times): a corrupt header",
            gz.len()
        ));
    }
    out.reserve_exact(limit + 1 - out.len());
    let rest = (limit + 1 - out.len()) as u64;
    decoder.take(rest).read_to_end(&mut out).map_err(corrupt)?;
    if out.len() > limit {
        return Err(format!(
            "the gzip data decompresses to more than the {limit} bytes its header announces \
             (stopped reading there): a corrupt file, or not an IDX file"
        ));
    }
    Ok(out)
}

/// Reads from `r` until `out` holds `len` bytes or the stream ends.
fn read_up_to(r: &mut impl Read, out: &mut Vec<u8>, len: usize) -> std::io::Result<()> {
    let missing = len.saturating_sub(out.len()) as u64;
    r.take(missing).read_to_end(out).map(|_| ())
}

/// The data bytes a complete header announces, or `None` if the header is cut short or its
/// dimensions overflow (`parse_idx` reports both).
fn announced_payload(bytes: &[u8], header_len: usize) -> Option<usize> {
    let dims = bytes.get(4..header_len)?;
    dims.chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .try_fold(1usize, |acc, d| acc.checked_mul(d))
}

/// Parses the bytes of an uncompressed IDX file (see [`read_idx`]); the error names the
/// problem without the file name.
pub fn parse_idx(bytes: &[u8], expected_magic: u32) -> Result<IdxArray, String> {
    parse_idx_owned(bytes.to_vec(), expected_magic)
}

/// [`parse_idx`] on bytes it may keep: the header is cut off in place, the data not copied.
fn parse_idx_owned(mut bytes: Vec<u8>, expected_magic: u32) -> Result<IdxArray, String> {
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
    bytes.drain(..header_len);
    Ok(IdxArray { dims, data: bytes })
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
