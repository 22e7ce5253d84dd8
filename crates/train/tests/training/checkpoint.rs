//! safetensors checkpoints: round trips, atomic writes, and clear errors for files that do not
//! match the model or are corrupt.

use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::Tensor;
use train::{Activation, Mlp, ParamStore};

fn scratch(name: &str) -> crate::common::Scratch {
    crate::common::scratch("ckpt", name)
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

/// The names of the files in `dir`, sorted.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_save_removes_the_temporaries_of_killed_runs_but_not_of_live_ones() {
    let dir = scratch("stale");
    let path = dir.join("model.safetensors");
    // A process that has exited: its pid names a temporary a killed save left behind.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = dir.join(format!("model.safetensors.tmp{dead}"));
    std::fs::write(&stale, vec![0u8; 1 << 20]).unwrap();
    // One of a process that still runs (this one's parent) is another save in progress.
    let live = dir.join(format!(
        "model.safetensors.tmp{}",
        std::os::unix::process::parent_id()
    ));
    std::fs::write(&live, b"in progress").unwrap();
    // Temporaries of other files are not this save's business.
    let other = dir.join(format!("other.safetensors.tmp{dead}"));
    std::fs::write(&other, b"x").unwrap();
    mlp_store(1, &[3, 2]).save(&path).unwrap();
    let mut expected = vec![
        "model.safetensors".to_string(),
        format!(
            "model.safetensors.tmp{}",
            std::os::unix::process::parent_id()
        ),
        format!("other.safetensors.tmp{dead}"),
    ];
    expected.sort();
    assert_eq!(listing(&dir), expected);
}

#[test]
fn a_failed_save_leaves_no_temporary_and_the_old_file_intact() {
    let dir = scratch("failed");
    // The target is a folder: the final rename fails after the temporary was written.
    let target = dir.join("model.safetensors");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    let err = mlp_store(1, &[3, 2]).save(&target).unwrap_err();
    assert!(err.message.starts_with("cannot write"), "{err}");
    assert_eq!(listing(&dir), vec!["model.safetensors".to_string()]);
    assert_eq!(listing(&target), vec!["keep".to_string()]);
}

#[test]
fn non_finite_parameters_are_neither_saved_nor_loaded_unless_asked() {
    let dir = scratch("non-finite");
    let path = dir.join("w.safetensors");
    let mut store = ParamStore::<f32>::new();
    let w = store.add(
        "w",
        Tensor::from_vec(vec![1.0, f32::NAN, f32::INFINITY], [3]),
    );
    let err = store.save(&path).unwrap_err();
    assert_eq!(
        err.message,
        "not saved: 'w' holds 1 NaN and 1 infinite values (first at index 1); a diverged run \
         leaves nothing worth keeping"
    );
    assert!(!path.exists());

    // A file holding a NaN (written by another tool) is refused, then read on request.
    let bytes = safetensors::serialize(
        [(
            "w",
            safetensors::tensor::TensorView::new(
                safetensors::Dtype::F32,
                vec![3],
                &[1.0f32, f32::NAN, 3.0]
                    .iter()
                    .flat_map(|x| x.to_le_bytes())
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
        )],
        None,
    )
    .unwrap();
    std::fs::write(&path, bytes).unwrap();
    store
        .value_mut(w)
        .data_mut()
        .copy_from_slice(&[0.0, 0.0, 0.0]);
    let err = store.load(&path).unwrap_err();
    assert_eq!(
        err.message,
        "parameter 'w' holds 1 NaN and 0 infinite values (first at index 1): the run that \
         saved it had diverged (load it with load_allowing_non_finite to inspect it)"
    );
    assert_eq!(
        store.value(w).data(),
        &[0.0, 0.0, 0.0],
        "nothing was loaded"
    );
    store.load_allowing_non_finite(&path).unwrap();
    assert!(store.value(w).data()[1].is_nan());
}
