//! The main job: softmax regression (784-10) trained with SGD on handwritten digits.
//!
//! ```text
//! cargo run --release --example mnist_softmax                       # built-in digits, offline
//! cargo run --release --example mnist_softmax -- --data DIR         # real MNIST IDX files
//! cargo run --release --example mnist_softmax -- --save m.safetensors --save-every 5
//! cargo run --release --example mnist_softmax -- --resume m.safetensors
//! cargo run --release --example mnist_softmax -- --help             # every flag
//! ```
//!
//! The model is one linear layer `logits = x W + b` trained on the mean softmax
//! cross-entropy `-(1/n) sum_i log softmax(x_i W + b)[y_i]`, whose gradient the tape derives.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use gallery::cli::{self, TrainingFlags};
use rand::SeedableRng;
use rand::rngs::StdRng;
use train::{Init, Linear, ParamStore, Sgd, fit_classifier, mnist};

/// The flags: those every training example shares.
#[derive(Parser)]
#[command(
    name = "mnist_softmax",
    about = "Softmax regression (784-10) trained with SGD on MNIST-style digits, or on MNIST with --data."
)]
struct Flags {
    #[command(flatten)]
    training: TrainingFlags,
}

fn main() -> ExitCode {
    cli::exit_code(run(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, trains, reports; `Err` is what `main` prints before exiting
/// with a failure code.
pub fn run(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let command = TrainingFlags::with_defaults(Flags::command(), 10, 64, 0.1);
    let Some(Flags { training: flags }) = cli::parse_with(command, argv)? else {
        return Ok(());
    };
    flags.check()?;
    let mut rng = StdRng::seed_from_u64(flags.seed);
    let data = mnist::load_digits(flags.data.as_deref(), &mut rng).map_err(|e| e.to_string())?;
    println!("data: {}", data.source);

    // A convex problem: zero weights are a fine start.
    let mut store = ParamStore::new();
    let model = Linear::new(
        &mut store,
        "softmax",
        data.train.features(),
        10,
        Init::Zeros,
        &mut rng,
    );
    let mut optimizer = Sgd::new(flags.lr);
    println!(
        "model: softmax regression {}-10 ({} parameters), SGD lr {}, batch {}, {} epochs",
        data.train.features(),
        store.num_scalars(),
        train::fit::readable(flags.lr),
        flags.batch_size,
        flags.epochs
    );
    let config = flags.fit_config();
    let history = fit_classifier(
        &model,
        &mut store,
        &mut optimizer,
        &data.train,
        &data.validation,
        &config,
        &mut rng,
    )
    .map_err(|e| e.to_string())?;

    flags.report(&history)
}
