//! Shape mismatches and bad arguments fail with a message naming the operation and the shapes
//! involved; fallible constructors return `Err` with both sizes.

use crate::common::panic_message;
use tape::{Cmp, Shape, Tape, Tensor, concat, stack, where_};

fn t(shape: &[usize]) -> Tensor<f64> {
    Tensor::from_fn(shape, |i| i as f64 + 1.0)
}

/// Records an operation on the given tape (expected to panic).
type RecordOn = fn(&Tape<f64>);

/// A boxed call expected to panic.
type Call<'a> = Box<dyn Fn() + 'a>;

/// Asserts that `message` contains every one of `parts`.
fn assert_mentions(message: &str, parts: &[&str]) {
    for p in parts {
        assert!(
            message.contains(p),
            "message {message:?} does not mention {p:?}"
        );
    }
}

#[test]
#[should_panic(expected = "matmul: [2, 3] x [4, 5]: inner dimensions 3 and 4 differ")]
fn matmul_inner_mismatch_tensor() {
    let _ = t(&[2, 3]).matmul(&t(&[4, 5]));
}

#[test]
fn linear_mismatches_name_every_shape() {
    let msg = panic_message(|| t(&[2, 3]).linear(&t(&[3, 4]), &t(&[5])));
    assert_eq!(
        msg,
        "linear: [2, 3] x [3, 4] + [5]: the bias must be [4] (or [1, 4]), one value per column of the product"
    );
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let x = tape.var(t(&[2, 3]));
        let _ = x.linear(tape.var(t(&[4, 5])), tape.var(t(&[5])));
    });
    assert_eq!(
        msg,
        "linear: [2, 3] x [4, 5]: inner dimensions 3 and 4 differ"
    );
    let msg = panic_message(|| t(&[2, 3]).linear(&t(&[3, 4]), &t(&[2, 4])));
    assert_mentions(&msg, &["linear", "[2, 4]", "must be [4]"]);
}

#[test]
fn matmul_mismatches_on_the_tape() {
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = tape.var(t(&[2, 3])).matmul(tape.var(t(&[4, 5])));
    });
    assert_eq!(
        msg,
        "matmul: [2, 3] x [4, 5]: inner dimensions 3 and 4 differ"
    );
    // The documented example shape.
    let msg = panic_message(|| t(&[128, 784]).matmul(&t(&[512, 10])));
    assert_eq!(
        msg,
        "matmul: [128, 784] x [512, 10]: inner dimensions 784 and 512 differ"
    );
    // Transposed operands report the dimensions actually contracted.
    let msg = panic_message(|| t(&[2, 3]).matmul_t(&t(&[2, 3]), false, false));
    assert_eq!(
        msg,
        "matmul: [2, 3] x [2, 3]: inner dimensions 3 and 2 differ"
    );
    let msg = panic_message(|| t(&[2, 3, 4]).matmul(&t(&[3, 4, 5])));
    assert_mentions(
        &msg,
        &[
            "matmul",
            "[2, 3, 4]",
            "[3, 4, 5]",
            "batch sizes 2 and 3 differ",
        ],
    );
    let msg = panic_message(|| t(&[3, 4]).matmul(&t(&[2, 4, 5])));
    assert_mentions(&msg, &["matmul", "[3, 4]", "[2, 4, 5]", "ranks 2 and 3"]);
    let msg = panic_message(|| t(&[4]).matmul(&t(&[4])));
    assert_mentions(&msg, &["matmul", "[4] x [4]"]);
}

#[test]
fn broadcast_failures_name_the_op_and_both_shapes() {
    let cases: [(&str, RecordOn); 7] = [
        ("add", |tp| {
            let _ = tp.var(t(&[2, 3])) + tp.var(t(&[4]));
        }),
        ("sub", |tp| {
            let _ = tp.var(t(&[2, 3])) - tp.var(t(&[4]));
        }),
        ("mul", |tp| {
            let _ = tp.var(t(&[2, 3])) * tp.var(t(&[4]));
        }),
        ("div", |tp| {
            let _ = tp.var(t(&[2, 3])) / tp.var(t(&[4]));
        }),
        ("maximum", |tp| {
            let _ = tp.var(t(&[2, 3])).maximum(tp.var(t(&[4])));
        }),
        ("minimum", |tp| {
            let _ = tp.var(t(&[2, 3])).minimum(tp.var(t(&[4])));
        }),
        ("compare", |tp| {
            let _ = tp.var(t(&[2, 3])).compare(tp.var(t(&[4])), Cmp::Lt);
        }),
    ];
    for (op, f) in cases {
        let msg = panic_message(|| f(&Tape::new()));
        assert!(
            msg.starts_with(&format!("{op}: ")),
            "{msg:?} does not start with {op}"
        );
        assert_mentions(&msg, &["[2, 3]", "[4]", "do not broadcast"]);
    }
}

#[test]
#[should_panic(expected = "mul: [2, 3] and [3, 2] do not broadcast")]
fn mul_broadcast_failure_on_tensors() {
    let _ = &t(&[2, 3]) * &t(&[3, 2]);
}

#[test]
fn higher_rank_broadcast_failure() {
    let msg = panic_message(|| &t(&[2, 3, 4]) + &t(&[2, 4]));
    assert_mentions(&msg, &["add: [2, 3, 4] and [2, 4] do not broadcast"]);
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let m = tape.constant(t(&[3]));
        let _ = where_(m, tape.var(t(&[2, 3])), tape.var(t(&[2])));
    });
    assert_mentions(&msg, &["where_", "[2, 3]", "[2]"]);
}

#[test]
fn reshape_count_mismatch() {
    let msg = panic_message(|| t(&[2, 3]).reshape([4]));
    assert_eq!(msg, "reshape: [2, 3] to [4]: element counts 6 and 4 differ");
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = tape.var(t(&[2, 3])).reshape([7, 1]);
    });
    assert_mentions(&msg, &["reshape", "[2, 3]", "[7, 1]"]);
}

#[test]
fn concat_and_stack_mismatch() {
    let msg = panic_message(|| Tensor::concat(&[&t(&[2, 3]), &t(&[2, 4])], 0));
    assert_eq!(msg, "concat: [2, 3] and [2, 4] differ outside axis 0");
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let parts = [
            tape.var(t(&[2, 3])),
            tape.var(t(&[2, 3])),
            tape.var(t(&[3, 3])),
        ];
        let _ = concat(&parts, 1);
    });
    assert_mentions(&msg, &["concat", "[2, 3]", "[3, 3]", "axis 1"]);
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = concat(&[tape.var(t(&[2, 3])), tape.var(t(&[2, 3, 1]))], 0);
    });
    assert_mentions(&msg, &["concat", "[2, 3]", "[2, 3, 1]"]);
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = stack(&[tape.var(t(&[2, 3])), tape.var(t(&[3, 2]))], 0);
    });
    assert_mentions(&msg, &["concat", "[1, 2, 3]", "[1, 3, 2]"]);
    let msg = panic_message(|| Tensor::concat(&[&t(&[2, 3]), &t(&[2, 3])], 2));
    assert_mentions(&msg, &["concat", "axis 2", "[2, 3]"]);
}

#[test]
fn narrow_out_of_range() {
    let msg = panic_message(|| t(&[2, 4]).narrow(1, 2, 3));
    assert_eq!(
        msg,
        "narrow: [2, 5) along axis 1 is out of range for shape [2, 4]"
    );
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = tape.var(t(&[2, 4])).narrow(2, 0, 1);
    });
    assert_eq!(msg, "narrow: axis 2 out of range for shape [2, 4]");
}

#[test]
fn gather_and_index_out_of_range() {
    let msg = panic_message(|| t(&[2, 3]).gather(1, &[0, 5]));
    assert_eq!(
        msg,
        "gather: index 5 out of range for axis 1 of length 3 (shape [2, 3])"
    );
    let msg = panic_message(|| t(&[2, 3]).gather(1, &[0, 1, 2]));
    assert_mentions(&msg, &["gather", "3 indices", "[2, 3]"]);
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = tape.var(t(&[2, 3])).index_select(0, &[1, 2]);
    });
    assert_eq!(
        msg,
        "index_select: index 2 out of range for axis 0 of length 2 (shape [2, 3])"
    );
    let msg = panic_message(|| t(&[2, 3]).index_add(0, &[0, 4], 3));
    assert_eq!(
        msg,
        "index_add: index 4 out of range for axis 0 of length 3 (shape [3, 3])"
    );
    let msg = panic_message(|| t(&[2, 3]).index_add(0, &[0], 3));
    assert_eq!(msg, "index_add: 1 indices for axis 0 of [2, 3]");
    let msg = panic_message(|| t(&[2, 2]).scatter_add(1, &[0, 1, 2, 3], 3));
    assert_eq!(
        msg,
        "scatter_add: index 3 out of range for axis 1 of length 3 (shape [2, 3])"
    );
    let msg = panic_message(|| t(&[2, 2]).scatter_add(1, &[0, 1], 3));
    assert_eq!(msg, "scatter_add: 2 indices for 4 values (shape [2, 2])");
    let msg = panic_message(|| Tensor::<f64>::one_hot(&[0, 3], 3));
    assert_eq!(
        msg,
        "one_hot: index 3 out of range for axis 1 of length 3 (shape [2, 3])"
    );
}

#[test]
fn permute_invalid() {
    let msg = panic_message(|| t(&[2, 3]).permute(&[0, 0]));
    assert_eq!(
        msg,
        "permute: [0, 0] is not a permutation of the axes of [2, 3]"
    );
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = tape.var(t(&[2, 3, 4])).permute(&[0, 1]);
    });
    assert_mentions(&msg, &["permute", "[0, 1]", "[2, 3, 4]"]);
    let msg = panic_message(|| t(&[2, 3]).permute(&[0, 2]));
    assert_mentions(&msg, &["permute", "[0, 2]", "[2, 3]"]);
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = tape.var(t(&[2, 3, 4])).t();
    });
    assert_eq!(msg, "t: expects a matrix, found rank 3 ([2, 3, 4])");
}

#[test]
#[should_panic(expected = "backward: the loss must have one element, found shape [2, 3]")]
fn backward_on_a_non_scalar() {
    let tape = Tape::<f64>::new();
    tape.var(t(&[2, 3])).exp().backward();
}

#[test]
fn backward_with_a_wrong_seed_shape() {
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        tape.var(t(&[2, 3])).exp().backward_with(t(&[3, 2]));
    });
    assert_mentions(&msg, &["backward_with", "[3, 2]", "[2, 3]"]);
}

#[test]
fn from_vec_length_mismatch() {
    let err = Tensor::<f64>::try_from_vec(vec![1.0; 5], [2, 3]).unwrap_err();
    assert_eq!(
        err,
        "from_vec: 5 elements cannot fill shape [2, 3] (6 elements)"
    );
    assert!(Tensor::<f64>::try_from_vec(vec![1.0; 6], [2, 3]).is_ok());
    let msg = panic_message(|| Tensor::<f32>::from_vec(vec![1.0; 7], [2, 2]));
    assert_eq!(
        msg,
        "from_vec: 7 elements cannot fill shape [2, 2] (4 elements)"
    );
    let msg = panic_message(|| Tensor::<f64>::from_slice(&[1.0, 2.0], [3]));
    assert_eq!(msg, "from_slice: 2 elements cannot fill shape [3]");
}

#[test]
fn log_softmax_gather_errors_name_the_op() {
    let msg = panic_message(|| t(&[2, 3]).log_softmax_gather(&[0, 3]));
    assert_eq!(
        msg,
        "log_softmax_gather: label 3 out of range for 3 classes (shape [2, 3])"
    );
    let msg = panic_message(|| t(&[2, 3]).log_softmax_gather(&[0]));
    assert_mentions(&msg, &["log_softmax_gather", "[2, 3]", "1 labels"]);
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = tape.var(t(&[2, 3, 1])).log_softmax_gather(&[0, 1]);
    });
    assert_mentions(&msg, &["log_softmax_gather", "[2, 3, 1]"]);
}

#[test]
fn reduction_and_broadcast_to_errors() {
    let msg = panic_message(|| t(&[2, 3]).sum_axis(2, false));
    assert_eq!(msg, "sum: axis 2 out of range for shape [2, 3]");
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = tape.var(t(&[2, 3])).logsumexp_axis(5, true);
    });
    assert_mentions(&msg, &["logsumexp", "axis 5", "[2, 3]"]);
    let msg = panic_message(|| t(&[3]).broadcast_to(&Shape::new(&[2, 4])));
    assert_eq!(msg, "broadcast_to: [3] does not broadcast to [2, 4]");
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = tape.var(t(&[2, 3])).sum_to([4]);
    });
    assert_mentions(&msg, &["sum_to", "[2, 3]", "[4]"]);
    let msg = panic_message(|| t(&[2, 3]).item());
    assert_eq!(msg, "item: tensor of shape [2, 3] has 6 elements, not 1");
}

#[test]
fn axis_out_of_range_names_the_op() {
    // Every axis argument is checked against the shape before any indexing.
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[2, 3]));
    let cases: [(&str, Call); 10] = [
        (
            "pad",
            Box::new(move || {
                let _ = x.pad(2, 1, 1);
            }),
        ),
        (
            "softmax",
            Box::new(move || {
                let _ = x.softmax(2);
            }),
        ),
        (
            "log_softmax",
            Box::new(move || {
                let _ = x.log_softmax(3);
            }),
        ),
        (
            "index_select",
            Box::new(move || {
                let _ = x.index_select(2, &[0]);
            }),
        ),
        (
            "gather",
            Box::new(move || {
                let _ = x.gather(2, &[0]);
            }),
        ),
        (
            "argmax",
            Box::new(move || {
                let _ = x.argmax(2);
            }),
        ),
        (
            "transpose",
            Box::new(move || {
                let _ = x.transpose(0, 2);
            }),
        ),
        (
            "scatter_add",
            Box::new(move || {
                let _ = x.scatter_add(4, &[0], 2);
            }),
        ),
        (
            "index_add",
            Box::new(move || {
                let _ = x.index_add(2, &[0], 2);
            }),
        ),
        (
            "unsqueeze",
            Box::new(move || {
                let _ = x.unsqueeze(3);
            }),
        ),
    ];
    for (op, f) in cases {
        let msg = panic_message(f);
        assert!(
            msg.starts_with(&format!("{op}: ")),
            "{op}: unhelpful message {msg:?}"
        );
        assert_mentions(&msg, &["[2, 3]"]);
    }
}

#[test]
fn operands_from_different_tapes() {
    let msg = panic_message(|| {
        let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
        let _ = t1.var(t(&[2])) + t2.var(t(&[2]));
    });
    assert_eq!(msg, "add: operands are recorded on different tapes");
}

#[test]
fn pairwise_sq_dists_mismatch() {
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        let _ = tape.var(t(&[4, 3])).pairwise_sq_dists(tape.var(t(&[5, 2])));
    });
    assert_mentions(&msg, &["pairwise_sq_dists", "[4, 3]", "[5, 2]"]);
}

#[test]
fn backward_messages_start_with_the_op_name() {
    // Like every other shape error, the message leads with the operation, not with
    // "assertion `left == right` failed" (tape.rs uses assert_eq!, which adds that prefix).
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        tape.var(t(&[2, 3])).exp().backward()
    });
    assert!(
        msg.starts_with("backward: the loss must have one element, found shape [2, 3]"),
        "{msg:?}"
    );
    let msg = panic_message(|| {
        let tape = Tape::<f64>::new();
        tape.var(t(&[2, 3])).backward_with(t(&[3]))
    });
    assert!(
        msg.starts_with("backward_with: seed of shape [3] for a node of shape [2, 3]"),
        "{msg:?}"
    );
}
