//! Seeded mutation fuzzing of the two readers of untrusted files: the IDX reader
//! (`idx::decode_idx`, raw and gzip) and the checkpoint loaders (`ParamStore::load_bytes`,
//! `checkpoint::decode_training`). Each case mutates a valid file (byte flips, truncations,
//! inserted and deleted bytes, inflated header counts and dimensions, mutations of the gzip
//! stream, decompression bombs) and asserts that reading it returns (`Ok` or `Err`) without a
//! panic, and without allocating more than [`idx_bound`] or [`checkpoint_bound`] bytes at its
//! peak.
//!
//! CI runs a few thousand cases per reader. The full campaign (100,000 cases each; set
//! `LOSSGRAPH_FUZZ_CASES` for another count) is one command:
//!
//! ```text
//! cargo test --release -p lossgraph-train --test training fuzz:: -- --ignored --nocapture
//! ```

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use flate2::Compression;
use flate2::write::GzEncoder;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use train::checkpoint::{TrainingState, decode_training, save_training};
use train::idx::{IMAGES_MAGIC, LABELS_MAGIC, decode_idx, encode_idx};
use train::{Activation, Adam, History, Mlp, Optimizer, ParamStore};

use crate::peak::peak_during;

/// The most an IDX case may allocate: its decompression (deflate expands at most 1032 times;
/// the reader stops at the size the header announces), a copy or two of the input, and a
/// fixed 4 MiB for decoder state and messages.
fn idx_bound(input: usize) -> usize {
    1040 * input + (4 << 20)
}

/// The most a checkpoint case may allocate: a few copies of its input (the file, the parsed
/// header, the decoded tensors), the model it is loaded into, and a fixed 256 KiB. Nothing
/// may grow with the sizes or counts a header announces.
fn checkpoint_bound(input: usize, model_bytes: usize) -> usize {
    16 * input + 4 * model_bytes + (256 << 10)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// A 4-byte big-endian count that is absurd, large or slightly off.
fn inflated(rng: &mut StdRng, old: u32) -> u32 {
    match rng.random_range(0..4) {
        0 => u32::MAX,
        1 => rng.random(),
        2 => old.saturating_mul(rng.random_range(2..100_000)),
        _ => old.wrapping_add(rng.random_range(1..4)),
    }
}

/// One generic mutation of `bytes`.
fn mutate(rng: &mut StdRng, bytes: &mut Vec<u8>) {
    let len = bytes.len().max(1);
    match rng.random_range(0..5) {
        0 => {
            for _ in 0..rng.random_range(1..9) {
                let i = rng.random_range(0..len);
                if let Some(b) = bytes.get_mut(i) {
                    *b ^= rng.random_range(1..=255u8);
                }
            }
        }
        1 => bytes.truncate(rng.random_range(0..len)),
        2 => {
            let at = rng.random_range(0..=bytes.len());
            let extra: Vec<u8> = (0..rng.random_range(1..64)).map(|_| rng.random()).collect();
            bytes.splice(at..at, extra);
        }
        3 => {
            let at = rng.random_range(0..len);
            let end = (at + rng.random_range(1..32)).min(bytes.len());
            if at < end {
                bytes.drain(at..end);
            }
        }
        _ => {
            let extra = rng.random_range(1..256);
            bytes.extend((0..extra).map(|_| rng.random::<u8>()));
        }
    }
}

/// A valid IDX file: images `[n, rows, cols]` or labels `[n]`.
fn idx_seed(rng: &mut StdRng) -> Vec<u8> {
    let n = rng.random_range(0..24);
    if rng.random_bool(0.3) {
        let labels: Vec<u8> = (0..n).map(|_| rng.random_range(0..10)).collect();
        return encode_idx(&[n], &labels);
    }
    let (r, c) = (rng.random_range(1..9), rng.random_range(1..9));
    let pixels: Vec<u8> = (0..n * r * c).map(|_| rng.random()).collect();
    encode_idx(&[n, r, c], &pixels)
}

/// One IDX case: a valid file, mutated in its header, body or gzip stream.
fn idx_case(rng: &mut StdRng) -> Vec<u8> {
    let mut raw = idx_seed(rng);
    let ndim = raw[3] as usize;
    match rng.random_range(0..6) {
        // Inflate a count or a dimension of the header.
        0 => {
            let d = rng.random_range(0..ndim);
            let at = 4 + 4 * d;
            let old = u32::from_be_bytes(raw[at..at + 4].try_into().unwrap());
            raw[at..at + 4].copy_from_slice(&inflated(rng, old).to_be_bytes());
        }
        // The number of dimensions.
        1 => raw[3] = rng.random(),
        _ => mutate(rng, &mut raw),
    }
    if rng.random_bool(0.5) {
        return raw;
    }
    let mut gz = if rng.random_bool(0.1) {
        // A bomb: the header, then far more zeros than it announces.
        let mut bomb = raw[..raw.len().min(16)].to_vec();
        bomb.resize(rng.random_range(1 << 16..4 << 20), 0);
        gzip(&bomb)
    } else {
        gzip(&raw)
    };
    match rng.random_range(0..4) {
        0 => mutate(rng, &mut gz),
        // Two members back to back (legal gzip), or one and garbage.
        1 => {
            let tail = if rng.random_bool(0.5) {
                gzip(&raw)
            } else {
                vec![0x1f, 0x8b, 8]
            };
            gz.extend(tail);
        }
        _ => {}
    }
    gz
}

/// What a campaign saw.
#[derive(Debug, Default)]
struct Stats {
    cases: usize,
    accepted: usize,
    largest_input: usize,
    largest_peak: usize,
    /// The highest peak as a share of its case's bound.
    closest_to_bound: f64,
    seconds: f64,
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} cases in {:.1} s, {} accepted, none panicked; largest input {} bytes, largest \
             peak allocation {} bytes, highest peak {:.1}% of its bound",
            self.cases,
            self.seconds,
            self.accepted,
            self.largest_input,
            self.largest_peak,
            100.0 * self.closest_to_bound
        )
    }
}

/// Runs `cases` cases built by `case` through `read` (`true` when accepted), from `seed`;
/// panics naming the first case that panics or allocates more than `bound(input bytes)`.
fn campaign(
    seed: u64,
    cases: usize,
    mut case: impl FnMut(&mut StdRng) -> Vec<u8>,
    bound: impl Fn(usize) -> usize,
    mut read: impl FnMut(Vec<u8>) -> bool,
) -> Stats {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut stats = Stats::default();
    for i in 0..cases {
        let bytes = case(&mut rng);
        let len = bytes.len();
        let mut accepted = false;
        let peak = peak_during(|| {
            let outcome = catch_unwind(AssertUnwindSafe(|| read(bytes.clone())));
            match outcome {
                Ok(ok) => accepted = ok,
                Err(_) => panic!("case {i} of seed {seed} panicked ({len} bytes: {bytes:?})"),
            }
        });
        let limit = bound(len);
        assert!(
            peak <= limit,
            "case {i} of seed {seed}: {peak} bytes at the peak for {len} input bytes (bound {limit})"
        );
        stats.cases += 1;
        stats.accepted += usize::from(accepted);
        stats.largest_input = stats.largest_input.max(len);
        stats.largest_peak = stats.largest_peak.max(peak);
        stats.closest_to_bound = stats.closest_to_bound.max(peak as f64 / limit as f64);
    }
    stats.seconds = started.elapsed().as_secs_f64();
    stats
}

fn fuzz_idx(seed: u64, cases: usize) -> Stats {
    // Each input is read as both kinds of file: the right one and the wrong one.
    campaign(seed, cases, idx_case, idx_bound, |bytes| {
        let images = decode_idx(bytes.clone(), IMAGES_MAGIC).is_ok();
        let labels = decode_idx(bytes, LABELS_MAGIC).is_ok();
        images | labels
    })
}

/// A small model, a trained optimiser state and metrics: the checkpoint the fuzzer mutates.
fn checkpoint_seed(campaign: u64) -> (Vec<u8>, Vec<u8>) {
    let dir = crate::common::scratch("fuzz", &format!("seed-{campaign}"));
    let mut rng = StdRng::seed_from_u64(0);
    let (mut store, _) = model(&mut rng);
    let mut opt = Adam::new(0.01);
    let mut tape = tape::Tape::new();
    store.compute_grads(&mut tape, |p| {
        let squares = p.vars().iter().map(|v| v.square().sum());
        squares.fold(p.tape().scalar(0.0), |a, b| a + b)
    });
    opt.step(&mut store);
    let history = History::from_csv(
        "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,\
         train_seconds,skipped_batches\n1,0.5,0.8,0.6,0.75,0.01,0.1,0.05,0\n",
    )
    .unwrap();
    let state = TrainingState {
        epoch: 1,
        optimizer: opt.state().unwrap(),
        shuffles: 1,
        order_fingerprint: 42,
        batch_size: 8,
        examples: 80,
        history,
    };
    let training = dir.join("training.safetensors");
    save_training(&training, &store, &state).unwrap();
    let plain = dir.join("plain.safetensors");
    store.save(&plain).unwrap();
    (
        canonical(std::fs::read(training).unwrap()),
        canonical(std::fs::read(plain).unwrap()),
    )
}

/// The same safetensors file with its JSON header's keys sorted. safetensors writes the
/// metadata in a `HashMap`'s order, which changes from process to process; sorted, the seed
/// files and so every mutated case are the same in every run.
fn canonical(bytes: Vec<u8>) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let mut json = serde_json::to_vec(&header).unwrap(); // objects are sorted maps
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend(json);
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

fn model(rng: &mut StdRng) -> (ParamStore, usize) {
    let mut store = ParamStore::new();
    Mlp::new(&mut store, "mlp", &[6, 5, 3], Activation::Tanh, rng);
    let bytes = 4 * store.num_scalars();
    (store, bytes)
}

/// Mutations that target safetensors: the 8-byte header length, numbers in the JSON header
/// (shapes, offsets, metadata counts), and dtype names.
fn checkpoint_case(rng: &mut StdRng, seeds: &(Vec<u8>, Vec<u8>)) -> Vec<u8> {
    let mut bytes = if rng.random_bool(0.7) {
        seeds.0.clone()
    } else {
        seeds.1.clone()
    };
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    match rng.random_range(0..6) {
        0 => {
            let old = header_len as u32;
            let new = u64::from(inflated(rng, old));
            bytes[..8].copy_from_slice(&new.to_le_bytes());
        }
        1 | 2 => {
            // Replace one digit of the JSON header (a shape, an offset, a metadata count) by a
            // huge number; the length field then disagrees too, as in a corrupt file.
            let header = &bytes[8..(8 + header_len).min(bytes.len())];
            let digits: Vec<usize> = (0..header.len())
                .filter(|&i| header[i].is_ascii_digit())
                .collect();
            if !digits.is_empty() {
                let at = 8 + digits[rng.random_range(0..digits.len())];
                let number = match rng.random_range(0..3) {
                    0 => u64::MAX.to_string(),
                    1 => rng.random::<u32>().to_string(),
                    _ => "18446744073709551616".to_string(),
                };
                bytes.splice(at..at + 1, number.bytes());
            }
        }
        3 => {
            // Another element type of the same name length.
            let other = ["F16", "I32", "U32", "I64"][rng.random_range(0..4)];
            bytes = String::from_utf8_lossy(&bytes)
                .replace("F32", other)
                .into_bytes();
        }
        _ => mutate(rng, &mut bytes),
    }
    bytes
}

fn fuzz_checkpoints(seed: u64, cases: usize) -> Stats {
    let seeds = checkpoint_seed(seed);
    let (_, model_bytes) = model(&mut StdRng::seed_from_u64(0));
    campaign(
        seed,
        cases,
        |rng| checkpoint_case(rng, &seeds),
        |input| checkpoint_bound(input, model_bytes),
        |bytes| {
            // Both loaders, with the non-finite check on and off.
            let (mut store, _) = model(&mut StdRng::seed_from_u64(1));
            let allow = bytes.len() % 2 == 0;
            let plain = store.load_bytes(&bytes, allow).is_ok();
            let training = decode_training(&bytes, &mut store, !allow).is_ok();
            plain | training
        },
    )
}

#[test]
fn the_idx_reader_survives_seeded_mutations() {
    let stats = fuzz_idx(18, 3000);
    assert_eq!(stats.cases, 3000);
    // Some mutations leave a valid file (a flipped pixel), most do not.
    assert!(
        0 < stats.accepted && stats.accepted < stats.cases,
        "{stats:?}"
    );
}

#[test]
fn the_checkpoint_loaders_survive_seeded_mutations() {
    let stats = fuzz_checkpoints(18, 3000);
    assert_eq!(stats.cases, 3000);
    assert!(
        0 < stats.accepted && stats.accepted < stats.cases,
        "{stats:?}"
    );
}

/// The case count of the long campaigns.
fn long_cases() -> usize {
    std::env::var("LOSSGRAPH_FUZZ_CASES")
        .map(|v| v.parse().expect("LOSSGRAPH_FUZZ_CASES must be a count"))
        .unwrap_or(100_000)
}

#[test]
#[ignore = "the long campaign: cargo test --release -p lossgraph-train --test training fuzz:: -- --ignored --nocapture"]
fn long_idx_campaign() {
    let stats = fuzz_idx(2026, long_cases());
    println!("IDX reader (raw and gzip, read as images and as labels): {stats}");
}

#[test]
#[ignore = "the long campaign: cargo test --release -p lossgraph-train --test training fuzz:: -- --ignored --nocapture"]
fn long_checkpoint_campaign() {
    let stats = fuzz_checkpoints(2026, long_cases());
    println!("checkpoint loaders (ParamStore::load_bytes, decode_training): {stats}");
}
