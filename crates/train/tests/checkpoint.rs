//! safetensors checkpoints: round trips, atomic writes, and clear errors for files that do not
//! match the model or are corrupt.

use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::Tensor;
use train::{Activation, Mlp, ParamStore};

mod common;

fn scratch(name: &str) -> common::Scratch {
    common::scratch("ckpt", name)
}

fn mlp_store(seed: u64, widths: &[usize]) -> ParamStore {
    let mut store = ParamStore::new();
    Mlp::new(
        &mut store,
        "mlp",
        widths,
        Activation::Relu,
        &mut StdRng::seed_from_u64(seed),
    );
    store
}

fn values(store: &ParamStore) -> Vec<Vec<f32>> {
    store.ids().map(|id| store.value(id).to_vec()).collect()
}

#[test]
fn round_trip_restores_every_value_bit_for_bit() {
    let dir = scratch("roundtrip");
    let path = dir.join("model.safetensors");
    let saved = mlp_store(1, &[6, 5, 3]);
    saved.save(&path).unwrap();
    let mut restored = mlp_store(2, &[6, 5, 3]);
    assert_ne!(values(&saved), values(&restored));
    restored.load(&path).unwrap();
    assert_eq!(values(&saved), values(&restored));
    // Only the checkpoint remains: the temporary file was renamed, not left behind.
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(files, vec![std::ffi::OsString::from("model.safetensors")]);
    // Saving again replaces the file.
    mlp_store(3, &[6, 5, 3]).save(&path).unwrap();
    restored.load(&path).unwrap();
    assert_eq!(values(&restored), values(&mlp_store(3, &[6, 5, 3])));
}

#[test]
fn f64_stores_round_trip_too() {
    let dir = scratch("f64");
    let path = dir.join("w.safetensors");
    let mut store = ParamStore::<f64>::new();
    let w = store.add("w", Tensor::from_vec(vec![0.1, 1.0 / 3.0, -2.5e-300], [3]));
    store.save(&path).unwrap();
    let mut other = ParamStore::<f64>::new();
    let v = other.add("w", Tensor::zeros([3]));
    other.load(&path).unwrap();
    assert_eq!(store.value(w), other.value(v));
}

#[test]
fn the_file_is_standard_safetensors() {
    let dir = scratch("standard");
    let path = dir.join("m.safetensors");
    let store = mlp_store(1, &[4, 3, 2]);
    store.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names = file.names();
    names.sort();
    assert_eq!(
        names,
        ["mlp.0.bias", "mlp.0.weight", "mlp.1.bias", "mlp.1.weight"]
    );
    let w = file.tensor("mlp.0.weight").unwrap();
    assert_eq!(w.dtype(), safetensors::Dtype::F32);
    assert_eq!(w.shape(), &[4, 3]);
    let first = f32::from_le_bytes(w.data()[..4].try_into().unwrap());
    assert_eq!(
        first,
        store.value(store.id("mlp.0.weight").unwrap()).data()[0]
    );
}

#[test]
fn mismatched_models_are_refused_without_changing_the_store() {
    let dir = scratch("mismatch");
    let path = dir.join("small.safetensors");
    mlp_store(1, &[4, 3, 2]).save(&path).unwrap();

    let mut wider = mlp_store(2, &[4, 5, 2]);
    let before = values(&wider);
    let err = wider.load(&path).unwrap_err();
    assert_eq!(
        err.message,
        "parameter 'mlp.0.weight' has shape [4, 3] in the file, the model expects [4, 5]"
    );
    assert_eq!(values(&wider), before, "nothing was loaded");

    let mut deeper = mlp_store(2, &[4, 3, 3, 2]);
    let err = deeper.load(&path).unwrap_err();
    assert!(
        err.message
            .starts_with("parameter 'mlp.1.weight' has shape"),
        "{err}"
    );

    let mut other_names = ParamStore::<f32>::new();
    other_names.add("encoder.weight", Tensor::zeros([4, 3]));
    let err = other_names.load(&path).unwrap_err();
    assert!(
        err.message.starts_with(
            "missing parameter 'encoder.weight' (the file holds: mlp.0.bias, mlp.0.weight"
        ),
        "{err}"
    );

    let mut fewer = ParamStore::<f32>::new();
    fewer.add("mlp.0.weight", Tensor::zeros([4, 3]));
    let err = fewer.load(&path).unwrap_err();
    assert!(
        err.message.contains("is not a parameter of this model"),
        "{err}"
    );

    let mut doubles = ParamStore::<f64>::new();
    doubles.add("mlp.0.weight", Tensor::zeros([4, 3]));
    let err = doubles.load(&path).unwrap_err();
    assert_eq!(
        err.message,
        "parameter 'mlp.0.weight' is stored as F32, expected F64"
    );
    assert_eq!(err.path, path);
}

#[test]
fn corrupted_files_are_errors() {
    let dir = scratch("corrupt");
    let path = dir.join("m.safetensors");
    let store = mlp_store(1, &[4, 3, 2]);
    store.save(&path).unwrap();
    let good = std::fs::read(&path).unwrap();
    let bad = dir.join("bad.safetensors");
    let mut target = mlp_store(2, &[4, 3, 2]);
    let before = values(&target);
    let mut flipped = good.clone();
    flipped[10] ^= 0xFF; // inside the JSON header
    let cases = [
        vec![],
        good[..4].to_vec(),
        good[..good.len() / 2].to_vec(),
        good[..good.len() - 1].to_vec(),
        flipped,
        b"definitely not a checkpoint".to_vec(),
    ];
    for (i, bytes) in cases.iter().enumerate() {
        std::fs::write(&bad, bytes).unwrap();
        let err = target.load(&bad).unwrap_err();
        assert!(
            err.message.starts_with("not a valid safetensors file"),
            "case {i}: {err}"
        );
    }
    assert_eq!(values(&target), before);
    let err = target.load(dir.join("missing.safetensors")).unwrap_err();
    assert!(err.message.starts_with("cannot read"), "{err}");
    let err = store
        .save(dir.join("no-such-dir").join("m.safetensors"))
        .unwrap_err();
    assert!(err.message.starts_with("cannot write"), "{err}");
}
