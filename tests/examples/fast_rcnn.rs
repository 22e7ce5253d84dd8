//! The Fast R-CNN example: on held-out images the detector classifies RoIs with accuracy
//! >= 0.9 and its decoded boxes reach a mean IoU >= 0.7, well above the proposals'.

#[path = "../../examples/fast_rcnn/main.rs"]
#[allow(dead_code)]
mod fast_rcnn;

#[test]
fn the_detector_classifies_and_localises_held_out_shapes() {
    let out = std::env::temp_dir().join(format!("lossgraph-fast-rcnn-{}", std::process::id()));
    let config = fast_rcnn::Config {
        out: out.clone(),
        ..fast_rcnn::Config::default()
    };
    let report = fast_rcnn::run(&config).unwrap();
    assert!(report.accuracy >= 0.9, "{report:?}");
    assert!(report.mean_iou >= 0.7, "{report:?}");
    // Proposals overlap their object with IoU >= 0.5; the box regression must improve on them.
    assert!(report.proposal_iou >= 0.5, "{report:?}");
    assert!(report.mean_iou > report.proposal_iou + 0.1, "{report:?}");
    let size = std::fs::metadata(out.join("fast_rcnn_boxes.svg"))
        .unwrap()
        .len();
    assert!(size > 1000, "fast_rcnn_boxes.svg has {size} bytes");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn an_image_size_that_cannot_be_allocated_is_refused_before_allocating() {
    let err = fast_rcnn::run_main(["--size", "100000"].map(String::from)).unwrap_err();
    assert!(
        err.starts_with("--size 100000 with --train 4000 and --test 1000 needs at least 200.0 TB"),
        "{err}"
    );
}
