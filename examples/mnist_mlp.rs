//! A 784-256-10 ReLU multi-layer perceptron trained with Adam on handwritten digits.
//!
//! ```text
//! cargo run --release --example mnist_mlp                           # built-in digits, offline
//! cargo run --release --example mnist_mlp -- --data DIR             # real MNIST IDX files
//! cargo run --release --example mnist_mlp -- --help                 # every flag
//! ```
//!
//! `logits = relu(x W1 + b1) W2 + b2`, He-initialised, trained on the mean softmax
//! cross-entropy with Adam.

use std::process::ExitCode;

use rand::SeedableRng;
use rand::rngs::StdRng;
use train::cli::{Args, TrainingFlags};
use train::{Activation, Adam, Mlp, ParamStore, fit, mnist};

fn main() -> ExitCode {
    train::cli::exit_code(run())
}

fn run() -> Result<(), String> {
    let mut args = Args::from_env(
        "mnist_mlp",
        "A 784-256-10 ReLU MLP trained with Adam on MNIST-style digits, or on MNIST with --data.",
    );
    let flags = TrainingFlags::parse(&mut args, 10, 64, 1e-3)?;
    let hidden: usize = args.value("--hidden", "N", 256, "hidden units")?;
    if !args.finish()? {
        return Ok(());
    }
    if hidden == 0 {
        return Err("--hidden must be at least 1".into());
    }
    let mut rng = StdRng::seed_from_u64(flags.seed);
    let data = mnist::load_digits(flags.data.as_deref(), &mut rng).map_err(|e| e.to_string())?;
    println!("data: {}", data.source);

    let mut store = ParamStore::new();
    let widths = [data.train.features(), hidden, 10];
    let model = Mlp::new(&mut store, "mlp", &widths, Activation::Relu, &mut rng);
    let mut optimizer = Adam::new(flags.lr);
    println!(
        "model: MLP {}-{hidden}-10 ReLU ({} parameters), Adam lr {}, batch {}, {} epochs",
        widths[0],
        store.num_scalars(),
        flags.lr,
        flags.batch_size,
        flags.epochs
    );
    let config = flags.fit_config();
    let history = fit(
        &model,
        &mut store,
        &mut optimizer,
        &data.train,
        &data.validation,
        &config,
        &mut rng,
    )
    .map_err(|e| e.to_string())?;

    flags.report(&store, &history)
}
