//! The autoencoder (U3): 784-k-784 with a linear code and a sigmoid output, trained with Adam
//! on the reconstruction error, in f32 (its comparison with PCA needs no more precision).

use losses::Reduction;
use losses::unsupervised::autoencoder_reconstruction;
use rand::rngs::StdRng;
use tape::{Tape, Tensor};
use train::{Activation, Adam, BatchLoader, Dataset, Divergence, LrSchedule, Mlp, Module};
use train::{Optimizer, ParamStore};

use super::FIXED_STEPS;

/// What the autoencoder reached.
pub struct Autoencoded {
    /// The reconstruction error per training digit after each epoch.
    pub curve: Vec<f64>,
    /// The reconstruction error per held-out digit.
    pub held_out_error: f64,
    /// The held-out digits' reconstructions.
    pub held_out_images: Tensor<f32>,
}

/// Trains the autoencoder through `k` dimensions on `train` for `epochs` epochs, and measures
/// it on the `held_out` images; prints the error along the way.
pub fn autoencoder(
    train: &Dataset,
    held_out: &Tensor<f32>,
    k: usize,
    epochs: usize,
    rng: &mut StdRng,
) -> Result<Autoencoded, String> {
    println!("autoencoder: 784-{k}-784, linear code, sigmoid output, Adam lr 0.01, batch 64");
    let mut store = ParamStore::<f32>::new();
    let autoencoder = Mlp::new(&mut store, "ae", &[784, k, 784], Activation::Identity, rng);
    let mut loader = BatchLoader::new(64);
    let total = epochs * loader.batches_per_epoch(train.len());
    let mut optimizer = Adam::new(0.01).schedule(LrSchedule::Cosine {
        warmup: 0,
        total,
        min_factor: 0.05,
    });
    let mut tape = Tape::new();
    let mut curve = Vec::with_capacity(epochs);
    let error_on = |store: &ParamStore<f32>, images: &Tensor<f32>| {
        let tape = Tape::new();
        let params = store.bind_frozen(&tape);
        let x = tape.constant(images.clone());
        let reconstruction = autoencoder.forward(&params, x).sigmoid();
        let error = autoencoder_reconstruction(x, reconstruction, Reduction::Mean).item();
        (f64::from(error), reconstruction.value())
    };
    for epoch in 1..=epochs {
        loader.shuffle(train.len(), rng);
        let mut step = 0;
        while let Some(batch) = loader.next_batch(train) {
            step += 1;
            let loss = store.compute_grads(&mut tape, |p| {
                let x = p.tape().constant(batch.inputs.clone());
                autoencoder_reconstruction(x, autoencoder.forward(p, x).sigmoid(), Reduction::Mean)
            });
            let lr = optimizer.learning_rate();
            Divergence::check(&store, loss.into(), Some(epoch), step, lr)
                .map_err(|d| d.advice(FIXED_STEPS))?;
            optimizer.step(&mut store);
        }
        let (error, _) = error_on(&store, &train.inputs);
        curve.push(error);
        if epoch % (epochs / 5).max(1) == 0 {
            println!("autoencoder epoch {epoch:4}  reconstruction error {error:.4}");
        }
    }
    let (held_out_error, held_out_images) = error_on(&store, held_out);
    Ok(Autoencoded {
        curve,
        held_out_error,
        held_out_images,
    })
}
