//! A 784-256-10 ReLU multi-layer perceptron trained with Adam on handwritten digits.
//!
//! ```text
//! cargo run --release --example mnist_mlp                           # built-in digits, offline
//! cargo run --release --example mnist_mlp -- --data DIR             # real MNIST IDX files
//! cargo run --release --example mnist_mlp -- --save m.safetensors --save-every 2
//! cargo run --release --example mnist_mlp -- --resume m.safetensors # continue that run
//! cargo run --release --example mnist_mlp -- --help                 # every flag
//! ```
//!
//! `logits = relu(x W1 + b1) W2 + b2`, He-initialised, trained on the mean softmax
//! cross-entropy with Adam.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use gallery::cli::{self, TrainingFlags, check};
use rand::SeedableRng;
use rand::rngs::StdRng;
use train::{Activation, Adam, Mlp, ParamStore, fit_classifier, mnist};

/// The flags: those every training example shares, and the width of the hidden layer.
#[derive(Parser)]
#[command(
    name = "mnist_mlp",
    about = "A 784-256-10 ReLU MLP trained with Adam on MNIST-style digits, or on MNIST with --data."
)]
struct Flags {
    #[command(flatten)]
    training: TrainingFlags,
    /// Hidden units
    #[arg(long, value_name = "N", default_value_t = 256)]
    hidden: usize,
}

fn main() -> ExitCode {
    cli::exit_code(run(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, trains, reports; `Err` is what `main` prints before exiting
/// with a failure code.
pub fn run(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let command = TrainingFlags::with_defaults(Flags::command(), 10, 64, 1e-3);
    let Some(Flags {
        training: flags,
        hidden,
    }) = cli::parse_with(command, argv)?
    else {
        return Ok(());
    };
    flags.check()?;
    if hidden == 0 {
        return Err("--hidden must be at least 1".into());
    }
    let mut rng = StdRng::seed_from_u64(flags.seed);
    let data = mnist::load_digits(flags.data.as_deref(), &mut rng).map_err(|e| e.to_string())?;
    println!("data: {}", data.source);
    // Parameters, gradients and Adam's two moments of the first layer, and its activations
    // and their gradients for a batch (at most the whole training set), all f32: what
    // --hidden costs, checked before the model is allocated.
    let (features, batch) = (
        data.train.features() as u128,
        flags.batch_size.min(data.train.len()) as u128,
    );
    let first_layer = (features + batch * 2) * hidden as u128;
    let what = if batch * 2 > features {
        format!("--hidden {hidden} with --batch-size {}", flags.batch_size)
    } else {
        format!("--hidden {hidden}")
    };
    check::memory(&what, 4 * 4 * first_layer)?;

    let mut store = ParamStore::new();
    let widths = [data.train.features(), hidden, 10];
    let model = Mlp::new(&mut store, "mlp", &widths, Activation::Relu, &mut rng);
    let mut optimizer = Adam::new(flags.lr);
    println!(
        "model: MLP {}-{hidden}-10 ReLU ({} parameters), Adam lr {}, batch {}, {} epochs",
        widths[0],
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
