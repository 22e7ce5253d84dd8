//! The regions of interest: each image's object proposal and background crop, sampled as the
//! Fast R-CNN paper does, resampled with context to `CROP x CROP` pixels, and their encoded
//! regression targets.

use losses::multitask::encode_boxes;
use rand::{Rng, RngExt};
use tape::Tensor;
use train::synth::{BOX_CLASSES, BoxScenes, iou};
use train::{Batches, Dataset, LabelledBatch};

/// Side of the resampled RoI, in pixels.
pub const CROP: usize = 16;
/// Context around a RoI: the crop spans the RoI grown by this fraction of its size per side.
const CONTEXT: f32 = 0.25;
/// Fast R-CNN divides the encoded targets by these (x, y, w, h) standard deviations so the
/// four regression outputs have comparable scales.
pub const TARGET_STD: [f32; 4] = [0.1, 0.1, 0.2, 0.2];

/// An `(x, y, w, h)` box with `(x, y)` the top-left corner, as the generator gives them.
pub type Box4 = [f32; 4];

/// The regions of interest of a set of images.
pub struct Rois {
    /// Resampled RoIs `[n, CROP * CROP]`, with their class labels (0 = background).
    pub crops: Dataset,
    /// Each RoI's proposal box.
    pub proposals: Vec<Box4>,
    /// The true box of each RoI's image.
    pub truth: Vec<Box4>,
    /// Regression targets `[n, 4]` (zeros for background RoIs, which have none).
    pub targets: Tensor<f32>,
    /// The image each RoI comes from.
    pub image: Vec<usize>,
}

/// A mini-batch of RoIs: their crops with class labels, and their regression targets.
pub struct RoiBatch {
    pub crops: LabelledBatch,
    pub targets: Tensor<f32>,
}

impl Default for RoiBatch {
    fn default() -> Self {
        RoiBatch {
            crops: LabelledBatch::default(),
            targets: Tensor::zeros([0, 4]),
        }
    }
}

/// What `fit` trains on: the RoIs, batched with their targets.
impl Batches for Rois {
    type Batch = RoiBatch;

    fn len(&self) -> usize {
        self.crops.len()
    }

    fn fill(&self, indices: &[usize], batch: &mut RoiBatch) {
        self.crops.fill(indices, &mut batch.crops);
        batch.targets = self.targets.index_select(0, indices);
    }
}

/// Converts a top-left box to the centre form `encode_boxes` and `decode_boxes` use.
pub fn to_centre(b: Box4) -> Box4 {
    [b[0] + b[2] / 2.0, b[1] + b[3] / 2.0, b[2], b[3]]
}

/// Converts a centre-form box back to the top-left form.
pub fn from_centre(b: Box4) -> Box4 {
    [b[0] - b[2] / 2.0, b[1] - b[3] / 2.0, b[2], b[3]]
}

/// A proposal around `truth`: its centre shifted by up to 20% of the size and its sides
/// scaled by 0.75-1.33, redrawn until it overlaps the object with IoU >= 0.5.
fn jittered_proposal(truth: Box4, rng: &mut impl Rng) -> Box4 {
    let [cx, cy, w, h] = to_centre(truth);
    loop {
        let (sw, sh) = (
            rng.random_range(-0.29f32..0.29).exp(),
            rng.random_range(-0.29f32..0.29).exp(),
        );
        let proposal = from_centre([
            cx + w * rng.random_range(-0.2f32..0.2),
            cy + h * rng.random_range(-0.2f32..0.2),
            w * sw,
            h * sh,
        ]);
        if iou(proposal, truth) >= 0.5 {
            return proposal;
        }
    }
}

/// A background RoI as Fast R-CNN samples them: a crop that overlaps the object with IoU in
/// `[0.1, 0.5)`, so the classifier must learn where an object ends, not just find ink.
fn background_crop(truth: Box4, rng: &mut impl Rng) -> Box4 {
    let [cx, cy, w, h] = to_centre(truth);
    loop {
        let crop = from_centre([
            cx + w * rng.random_range(-1.0f32..1.0),
            cy + h * rng.random_range(-1.0f32..1.0),
            w * rng.random_range(-0.7f32..0.7).exp(),
            h * rng.random_range(-0.7f32..0.7).exp(),
        ]);
        if (0.1..0.5).contains(&iou(crop, truth)) {
            return crop;
        }
    }
}

/// Resamples `region` of a `side x side` image to `CROP x CROP` pixels by bilinear
/// interpolation (zero outside the image).
fn resample(image: &[f32], side: usize, region: Box4, out: &mut [f32]) {
    let pixel = |x: isize, y: isize| {
        if x < 0 || y < 0 || x >= side as isize || y >= side as isize {
            0.0
        } else {
            image[y as usize * side + x as usize]
        }
    };
    for (k, o) in out.iter_mut().enumerate() {
        // The sample point in pixel-centre coordinates (pixel i covers [i, i + 1)).
        let sx = region[0] + ((k % CROP) as f32 + 0.5) / CROP as f32 * region[2] - 0.5;
        let sy = region[1] + ((k / CROP) as f32 + 0.5) / CROP as f32 * region[3] - 0.5;
        let (x0, y0) = (sx.floor(), sy.floor());
        let (fx, fy) = (sx - x0, sy - y0);
        let (x0, y0) = (x0 as isize, y0 as isize);
        *o = (1.0 - fy) * ((1.0 - fx) * pixel(x0, y0) + fx * pixel(x0 + 1, y0))
            + fy * ((1.0 - fx) * pixel(x0, y0 + 1) + fx * pixel(x0 + 1, y0 + 1));
    }
}

/// Two RoIs per image (its object proposal, then a background crop), resampled with context.
pub fn make_rois(scenes: &BoxScenes, side: usize, rng: &mut impl Rng) -> Result<Rois, String> {
    let n = scenes.labels.len();
    let mut crops = vec![0.0f32; 2 * n * CROP * CROP];
    let (mut proposals, mut truth, mut labels, mut image) = (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let b = &scenes.boxes.data()[4 * i..4 * i + 4];
        let t = [b[0], b[1], b[2], b[3]];
        let rois = [
            (jittered_proposal(t, rng), scenes.labels[i]),
            (background_crop(t, rng), 0),
        ];
        for (roi, label) in rois {
            proposals.push(roi);
            truth.push(t);
            labels.push(label);
            image.push(i);
        }
    }
    let pixels = side * side;
    for ((out, roi), &i) in crops
        .chunks_exact_mut(CROP * CROP)
        .zip(&proposals)
        .zip(&image)
    {
        let grown = [
            roi[0] - CONTEXT * roi[2],
            roi[1] - CONTEXT * roi[3],
            (1.0 + 2.0 * CONTEXT) * roi[2],
            (1.0 + 2.0 * CONTEXT) * roi[3],
        ];
        resample(
            &scenes.images.data()[i * pixels..(i + 1) * pixels],
            side,
            grown,
            out,
        );
    }
    let centred = |boxes: &[Box4]| {
        Tensor::from_vec(
            boxes.iter().flat_map(|&b| to_centre(b)).collect(),
            [boxes.len(), 4],
        )
    };
    let encoded =
        encode_boxes(&centred(&proposals), &centred(&truth)).map_err(|e| e.to_string())?;
    let targets = Tensor::from_fn([2 * n, 4], |k| {
        let (row, col) = (k / 4, k % 4);
        if labels[row] == 0 {
            0.0
        } else {
            encoded.data()[k] / TARGET_STD[col]
        }
    });
    Ok(Rois {
        crops: Dataset::new(
            Tensor::from_vec(crops, [2 * n, CROP * CROP]),
            labels,
            BOX_CLASSES.len(),
        ),
        proposals,
        truth,
        targets,
        image,
    })
}
