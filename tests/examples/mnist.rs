//! The MNIST examples on the reproductions: a learning rate that diverges stops with
//! the epoch, step and what to try, and leaves no checkpoint or plot; one that trains nothing
//! fails the accuracy requirement; bad output paths and sizes fail before any training; and a
//! checkpointed run resumes.

#[path = "../../examples/mnist_mlp.rs"]
#[allow(dead_code)]
mod mnist_mlp;
#[path = "../../examples/mnist_softmax.rs"]
#[allow(dead_code)]
mod mnist_softmax;

use std::path::PathBuf;

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("example_mnist_{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_diverging_learning_rate_stops_and_saves_nothing() {
    let dir = scratch("diverge");
    let (save, plot) = (dir.join("d.safetensors"), dir.join("d.svg"));
    let args = [
        "--lr",
        "1e20",
        "--epochs",
        "3",
        "--save",
        save.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ];
    let err = mnist_mlp::run(argv(&args)).unwrap_err();
    assert!(
        err.starts_with("training diverged at epoch 1, step "),
        "{err}"
    );
    assert!(
        err.contains("; try a lower learning rate (--lr 1e19) or gradient clipping (--clip 1)"),
        "{err}"
    );
    assert!(
        !save.exists() && !plot.exists(),
        "nothing is written for a diverged run"
    );
}

#[test]
fn runs_that_learn_nothing_fail_their_requirement() {
    // Adam's steps stay bounded, so these losses stay finite: the accuracy says they failed.
    for lr in ["1000", "100"] {
        let err = mnist_mlp::run(argv(&["--lr", lr, "--epochs", "1"])).unwrap_err();
        assert!(
            err.starts_with("validation accuracy 0.")
                && err.contains(
                    " is below the 0.5 required (a guess scores 0.1); the training loss went from "
                ),
            "{err}"
        );
        assert!(
            err.ends_with(&format!("try a lower --lr (now {lr}) or --clip 1")),
            "{err}"
        );
    }
}

#[test]
fn outputs_and_sizes_are_checked_before_training() {
    let dir = scratch("outputs");
    let folder = format!("{}/", dir.display());
    let err = mnist_mlp::run(argv(&["--save", &folder])).unwrap_err();
    assert!(
        err.starts_with(&format!("--save {folder}: is a folder; give a file name")),
        "{err}"
    );
    let file = dir.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let under_file = file.join("m.svg");
    let err = mnist_mlp::run(argv(&["--plot", under_file.to_str().unwrap()])).unwrap_err();
    assert!(err.contains(": cannot create the folder "), "{err}");
    let err = mnist_mlp::run(argv(&["--hidden", "100000000"])).unwrap_err();
    assert!(
        err.starts_with("--hidden 100000000 needs at least 1.5 TB of memory"),
        "{err}"
    );
    // A batch larger than the training set counts as the whole set, and is named when it
    // dominates the cost.
    let err = mnist_mlp::run(argv(&["--hidden", "10000000", "--batch-size", "100000000"]));
    assert!(
        err.as_ref().unwrap_err().starts_with(
            "--hidden 10000000 with --batch-size 100000000 needs at least 3.3 TB of memory"
        ),
        "{err:?}"
    );
    let err = mnist_softmax::run(argv(&["--lr", "inf"])).unwrap_err();
    assert_eq!(err, "--lr expects a finite number, got 'inf'");
}

#[test]
fn a_checkpointed_run_resumes_where_it_stopped() {
    let dir = scratch("resume");
    let save = dir.join("run.safetensors");
    let save = save.to_str().unwrap();
    let first = ["--epochs", "1", "--save", save, "--save-every", "1"];
    mnist_softmax::run(argv(&first)).unwrap();
    let more = ["--epochs", "2", "--resume", save, "--save", save];
    mnist_softmax::run(argv(&more)).unwrap();
    let mut store = train::ParamStore::<f32>::new();
    train::Linear::new(&mut store, "softmax", 784, 10, train::Init::Zeros, &mut {
        use rand::SeedableRng;
        rand::rngs::StdRng::seed_from_u64(0)
    });
    let state = train::checkpoint::load_training(save, &mut store, false).unwrap();
    assert_eq!(
        (state.epoch, state.optimizer.steps),
        (2, 2 * 10_000usize.div_ceil(64))
    );
    // Asking for fewer epochs than the checkpoint holds is refused.
    let err = mnist_softmax::run(argv(&["--epochs", "1", "--resume", save])).unwrap_err();
    assert!(
        err.contains("2 epochs into training, past the 1 asked for"),
        "{err}"
    );
}
