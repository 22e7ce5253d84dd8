//! Fast R-CNN's multi-task loss on a toy detection task (catalogue M1, with R3 inside it).
//!
//! ```text
//! cargo run --release --example fast_rcnn
//! ```
//!
//! Each built-in image holds one rectangle, ellipse or triangle. Every image gives two regions
//! of interest (RoIs): a proposal jittered around the object (intersection over union >= 0.5,
//! labelled with the shape's class) and a background crop (IoU in [0.1, 0.5), class 0), as the
//! Fast R-CNN paper samples them. Each RoI, with some context around it, is resampled to 16 x
//! 16 pixels (what RoI pooling does to a feature map) and fed to a small network with two
//! heads: class scores over the 4 classes and 4 box offsets per class. The loss is `L_cls + lambda [u >= 1] L_loc`
//! (`losses::multitask::fast_rcnn`), `L_loc` the smooth L1 (R3) between the true class's
//! offsets and the encoded true box (`encode_boxes`, scaled by Fast R-CNN's target standard
//! deviations). On held-out images the result is the classification accuracy over all RoIs and
//! the mean IoU between the true boxes and the boxes decoded (`decode_boxes`) from the
//! object proposals.

mod rois;

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use gallery::cli::{self, Requirement, check};
use gallery::plot::{self, PREDICTION, TRUTH, Tile};
use losses::Reduction;
use losses::multitask::{decode_boxes, fast_rcnn};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tape::{Tape, Tensor, Var};
use train::fit::{Fit, FitConfig};
use train::synth::{self, BOX_CLASSES, BoxScenes, iou};
use train::{Activation, Adam, Init, Linear, Mlp, Module, ParamStore, Params};

use rois::{Box4, CROP, RoiBatch, Rois, TARGET_STD, from_centre, make_rois, to_centre};

/// The settings of one run; `Config::default()` is the run without arguments.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "fast_rcnn",
    about = "Classify and localise shapes with the Fast R-CNN multi-task loss (M1, R3)."
)]
pub struct Config {
    /// Training images (two RoIs each).
    #[arg(long = "train", value_name = "N", default_value_t = 4000)]
    pub train_images: usize,
    /// Held-out images (two RoIs each).
    #[arg(long = "test", value_name = "N", default_value_t = 1000)]
    pub test_images: usize,
    /// Side of the images in pixels.
    #[arg(long = "size", value_name = "PIXELS", default_value_t = 32)]
    pub image_size: usize,
    /// Passes over the training RoIs.
    #[arg(long, value_name = "N", default_value_t = 15)]
    pub epochs: usize,
    /// RoIs per step.
    #[arg(long, value_name = "N", default_value_t = 128)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[arg(long, value_name = "RATE", default_value_t = 1e-3, value_parser = cli::finite::<f64>)]
    pub lr: f64,
    /// Weight `lambda` of the localisation term.
    #[arg(long, value_name = "W", default_value_t = 1.0, value_parser = cli::finite::<f64>)]
    pub lambda: f64,
    /// Seed of every random choice.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,
    /// Where the SVG goes.
    #[arg(long, value_name = "DIR", default_value = cli::OUT_DIR, value_parser = cli::path)]
    pub out: PathBuf,
}

impl Default for Config {
    /// The run without flags: every flag at its default.
    fn default() -> Self {
        cli::defaults()
    }
}

/// What a run measured on the held-out images.
#[derive(Clone, Debug)]
pub struct Report {
    /// Fraction of held-out RoIs (objects and background) classified correctly.
    pub accuracy: f64,
    /// Mean IoU between each held-out object's true box and the box decoded from its
    /// proposal with the offsets of the object's class.
    pub mean_iou: f64,
    /// Mean IoU between the true boxes and the proposals themselves, before regression.
    pub proposal_iou: f64,
}

/// A shared trunk with a classification head and a box-regression head.
struct Detector {
    trunk: Mlp,
    classify: Linear,
    regress: Linear,
}

impl Detector {
    fn new(store: &mut ParamStore, rng: &mut impl Rng) -> Self {
        let classes = BOX_CLASSES.len();
        let widths = [CROP * CROP, 256, 128];
        Detector {
            trunk: Mlp::new(store, "trunk", &widths, Activation::Relu, rng),
            classify: Linear::new(store, "cls", 128, classes, Init::XavierUniform, rng),
            regress: Linear::new(store, "bbox", 128, 4 * classes, Init::XavierUniform, rng),
        }
    }

    /// Class logits `[n, 4]` and per-class box offsets `[n, 16]`.
    fn forward<'t>(&self, p: &Params<'t>, crops: Var<'t>) -> (Var<'t>, Var<'t>) {
        let h = self.trunk.forward(p, crops).relu();
        (self.classify.forward(p, h), self.regress.forward(p, h))
    }
}

/// The boxes the detector predicts for the objects' own classes: its offsets for that class,
/// scaled back by the target statistics and decoded from each proposal.
fn decode_object_boxes(test: &Rois, deltas: &Tensor<f32>, objects: &[usize]) -> Vec<Box4> {
    let own_offsets: Vec<f32> = objects
        .iter()
        .flat_map(|&r| {
            let u = test.crops.labels[r];
            (0..4).map(move |c| (r, 4 * u + c, c))
        })
        .map(|(r, col, c)| deltas.at(&[r, col]) * TARGET_STD[c])
        .collect();
    let proposals: Vec<f32> = objects
        .iter()
        .flat_map(|&r| to_centre(test.proposals[r]))
        .collect();
    let decoded = decode_boxes(
        &Tensor::from_vec(proposals, [objects.len(), 4]),
        &Tensor::from_vec(own_offsets, [objects.len(), 4]),
    );
    decoded
        .data()
        .chunks_exact(4)
        .map(|b| from_centre([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Draws a dozen test objects with their proposal, true and decoded boxes.
fn draw_boxes(
    config: &Config,
    test: &Rois,
    test_scenes: &BoxScenes,
    objects: &[usize],
    boxes: &[Box4],
    predicted: &[usize],
) -> Result<(), String> {
    let side = config.image_size;
    let tiles: Vec<Tile> = objects
        .iter()
        .zip(boxes)
        .take(12)
        .map(|(&r, &b)| {
            let i = test.image[r];
            // Drawn without the faint background noise (below 0.1), which would only make the
            // SVG large.
            let pixels: Vec<f32> = test_scenes.images.data()
                [i * side * side..(i + 1) * side * side]
                .iter()
                .map(|&p| if p < 0.1 { 0.0 } else { p })
                .collect();
            let as_f64 = |b: Box4| b.map(f64::from);
            Tile::new(&pixels, side, side)
                .caption(format!(
                    "{}: IoU {:.2}",
                    BOX_CLASSES[predicted[r]],
                    iou(b, test.truth[r])
                ))
                .outline(as_f64(test.proposals[r]), plot::class_color(0))
                .outline(as_f64(test.truth[r]), TRUTH)
                .outline(as_f64(b), PREDICTION)
        })
        .collect();
    plot::image_grid(
        config.out.join("fast_rcnn_boxes.svg"),
        "proposal (blue), true box (green), decoded prediction (red); caption: predicted class",
        &tiles,
        6,
    )?;
    Ok(())
}

/// Trains the detector and measures it on held-out images.
pub fn run(config: &Config) -> Result<Report, String> {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let side = config.image_size;
    let train_scenes = synth::boxes(config.train_images, side, &mut rng);
    let test_scenes = synth::boxes(config.test_images, side, &mut rng);
    let train = make_rois(&train_scenes, side, &mut rng)?;
    let test = make_rois(&test_scenes, side, &mut rng)?;
    let mut store = ParamStore::new();
    let detector = Detector::new(&mut store, &mut rng);
    println!(
        "{} training and {} held-out {side}x{side} images, 2 RoIs each (object proposal, \
         background); RoIs resampled to {CROP}x{CROP}; trunk {}-256-128 (ReLU), heads 128-4 \
         and 128-16; Adam lr {}, batch {}, {} epochs, lambda {}",
        config.train_images,
        config.test_images,
        CROP * CROP,
        config.lr,
        config.batch_size,
        config.epochs,
        config.lambda
    );
    let fit_config = FitConfig {
        epochs: config.epochs,
        batch_size: config.batch_size,
        verbose: false,
        ..FitConfig::default()
    };
    Fit::new(&fit_config)
        .on_epoch(|m, _| {
            if m.epoch % 3 == 0 || m.epoch == config.epochs {
                println!("epoch {:2}  loss {:.4}", m.epoch, m.train_loss);
            }
            ControlFlow::Continue(())
        })
        .run(
            &mut store,
            &mut Adam::new(config.lr),
            &train,
            |p, batch: &RoiBatch| {
                let crops = p.tape().constant(batch.crops.inputs.clone());
                let (logits, deltas) = detector.forward(p, crops);
                let targets = p.tape().constant(batch.targets.clone());
                let labels = &batch.crops.labels;
                fast_rcnn(
                    logits,
                    deltas,
                    labels,
                    targets,
                    config.lambda,
                    Reduction::Mean,
                )
            },
            &mut rng,
        )
        .map_err(|e| e.advice("try a lower --lr or --lambda").to_string())?;

    let mut tape = Tape::new();
    // Held-out RoIs: classify all, decode the object proposals with their class's offsets.
    let (logits, deltas) = {
        let p = store.bind_frozen(&tape);
        let (logits, deltas) = detector.forward(&p, tape.constant(test.crops.inputs.clone()));
        (logits.value(), deltas.value())
    };
    tape.reset();
    let predicted = logits.argmax(1);
    let correct = predicted
        .iter()
        .zip(&test.crops.labels)
        .filter(|(p, l)| p == l)
        .count();
    let accuracy = correct as f64 / predicted.len() as f64;
    let objects: Vec<usize> = (0..test.crops.len())
        .filter(|&r| test.crops.labels[r] > 0)
        .collect();
    let boxes = decode_object_boxes(&test, &deltas, &objects);
    let mean = |v: Vec<f32>| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
    let mean_iou = mean(
        objects
            .iter()
            .zip(&boxes)
            .map(|(&r, &b)| iou(b, test.truth[r]))
            .collect(),
    );
    let proposal_iou = mean(
        objects
            .iter()
            .map(|&r| iou(test.proposals[r], test.truth[r]))
            .collect(),
    );

    draw_boxes(config, &test, &test_scenes, &objects, &boxes, &predicted)?;
    Ok(Report {
        accuracy,
        mean_iou,
        proposal_iou,
    })
}

/// Reads the flags in `argv`; `None` when `--help` was asked for.
pub fn parse_flags(argv: impl IntoIterator<Item = String>) -> Result<Option<Config>, String> {
    let Some(config) = cli::parse::<Config>(argv)? else {
        return Ok(None);
    };
    check::output_dir("--out", &config.out)?;
    if config.train_images == 0 || config.test_images == 0 || config.epochs == 0 {
        return Err("--train, --test and --epochs must be at least 1".into());
    }
    if config.image_size < 16 || config.batch_size == 0 {
        return Err("--size must be at least 16 and --batch-size at least 1".into());
    }
    if config.lr <= 0.0 || config.lambda < 0.0 {
        return Err("--lr must be positive and --lambda at least 0".into());
    }
    // The images, f32, with a working copy of one of them.
    let side = config.image_size as u128;
    let images = config.train_images as u128 + config.test_images as u128 + 1;
    let flags = format!(
        "--size {} with --train {} and --test {}",
        config.image_size, config.train_images, config.test_images
    );
    check::memory(&flags, 4 * side * side * images)?;
    Ok(Some(config))
}

fn main() -> ExitCode {
    cli::exit_code(run_main(std::env::args().skip(1)))
}

/// Reads the flags in `argv`, runs, prints the results; `Err` when a flag is bad, the run
/// fails, or the accuracy or the boxes' IoU misses its requirement.
pub fn run_main(argv: impl IntoIterator<Item = String>) -> Result<(), String> {
    let started = Instant::now();
    let Some(config) = parse_flags(argv)? else {
        return Ok(());
    };
    let report = run(&config)?;
    println!(
        "mean IoU of the proposals before regression: {:.3}",
        report.proposal_iou
    );
    println!("wrote fast_rcnn_boxes.svg to {}", config.out.display());
    let required = [
        Requirement::at_least("the classification accuracy", report.accuracy, 0.9),
        Requirement::at_least("the decoded boxes' mean IoU", report.mean_iou, 0.7),
    ];
    println!(
        "held-out RoIs: classification accuracy {:.3} ({}), mean IoU of the decoded boxes \
         {:.3} ({}; {:.1} s)",
        report.accuracy,
        required[0].label(),
        report.mean_iou,
        required[1].label(),
        started.elapsed().as_secs_f64()
    );
    Requirement::check_all(&required)
}
