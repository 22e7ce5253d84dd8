#!/usr/bin/env bash
# lossgraph vs PyTorch (eager, 2 threads) vs JAX (jit) on the project's benchmark workloads.
#
#   benches/compare/run.sh               # 3 rounds; prints the Markdown table on stdout
#   ROUNDS=1 benches/compare/run.sh      # a quicker, noisier look
#
# Each round runs one lossgraph process per criterion bench file, the same workloads from
# benches/downstream (a crate that depends on lossgraph as a user's would, default flags), the
# two MNIST examples, one PyTorch process, one JAX process and NumPy's floor for mlp_step (its
# eight products alone), in an order that rotates from round to round; every cell of the
# table is the median over the rounds. Then one process per engine runs only mlp_step under
# /usr/bin/time -v for its peak RSS. Progress goes to stderr; the table, the raw results
# (results.tsv) and the logs are also kept in target/compare/.
#
# After the rounds, the solver rows (issue 20): benches/solvers.rs (lossgraph's L-BFGS on L2
# softmax regression and the Hessian-vector product of mlp_step's loss) and solvers.py (SciPy's
# L-BFGS-B on a JAX value-and-gradient, scikit-learn, JAX's and PyTorch's HVPs), one process
# each, every engine to the same GTOL.
#
# Environment: GTOL (1e-8), ROUNDS (3), MNIST_DIR (../shared/data/mnist from the repository root), PYTHON
# (python3), PEER_TIMEOUT (seconds per Python process, 600), QUICK=1 (short sampling, to test
# this script).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in the source tree

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${ROUNDS:-3}
mnist_dir=${MNIST_DIR:-$root/../shared/data/mnist}
python=${PYTHON:-python3}
peer_timeout=${PEER_TIMEOUT:-600}
# The same sampling for criterion and for the Python harness (common.median_seconds).
warm_up=1 measurement=2 samples=20
if [[ ${QUICK:-} == 1 ]]; then # a smoke test of this script, not a measurement
    warm_up=0.2 measurement=0.3 samples=10
fi
timing=(--warm-up-time "$warm_up" --measurement-time "$measurement" --sample-size "$samples")

say() { echo "[compare] $*" >&2; }
die() {
    echo "error: $*" >&2
    exit 1
}

command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs) and rerun"
[[ -d $mnist_dir ]] || die "no MNIST folder at $mnist_dir: set MNIST_DIR to the folder with t10k-images-idx3-ubyte.gz"
mnist_dir=$(cd "$mnist_dir" && pwd)
cd "$root"

# --- which peers can run ---
have_python=false
if command -v "$python" >/dev/null; then
    have_python=true
else
    say "$python not found: only lossgraph is measured (for the peers: Python 3, then pip install torch jax numpy scipy scikit-learn)"
fi
peer_available() { $have_python && "$python" -c "import numpy, $1" 2>/dev/null; }
peers=()
peer_labels=()
if peer_available numpy; then
    peers+=(numpy)
    peer_labels+=("numpy=NumPy $("$python" -c 'import numpy; print(numpy.__version__)') + OpenBLAS, 2 threads")
else
    say "NumPy not installed: pip install numpy (for the floor row)"
    peer_labels+=(numpy=missing)
fi
if peer_available torch; then
    peers+=(pytorch)
    peer_labels+=("pytorch=PyTorch $("$python" -c 'import torch; print(torch.__version__)') eager")
else
    say "PyTorch not installed: pip install torch jax"
    peer_labels+=(pytorch=missing)
fi
if peer_available jax; then
    peers+=(jax)
    peer_labels+=("jax=JAX $("$python" -c 'import jax; print(jax.__version__)') jit")
else
    say "JAX not installed: pip install torch jax"
    peer_labels+=(jax=missing)
fi

# Before the build, whose compiler jobs would show in the load average themselves.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- build lossgraph's bench binaries and MNIST examples ---
say "building the criterion benches and the MNIST examples (release)"
executables() { grep -o '"executable":"[^"]*"' | sed 's/"executable":"\(.*\)"/\1/'; }
bench_bins=$(cargo bench --bench tape --bench losses --bench solvers --no-run --message-format=json | executables)
example_bins=$(cargo build --release --example mnist_softmax --example mnist_mlp --message-format=json | executables)
tape_bin=$(grep '/deps/tape-' <<<"$bench_bins")
losses_bin=$(grep '/deps/losses-' <<<"$bench_bins")
solvers_bin=$(grep '/deps/solvers-' <<<"$bench_bins")
softmax_bin=$(grep '/mnist_softmax$' <<<"$example_bins")
mlp_bin=$(grep '/mnist_mlp$' <<<"$example_bins")
# The user's view: a crate outside the workspace, built with its own (default) flags and
# target folder. RUSTFLAGS from the caller would apply to it too: clear them.
say "building benches/downstream (lossgraph as a dependency, default flags)"
downstream_bin=$(env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_TARGET_DIR cargo bench \
    --manifest-path "$root/benches/downstream/Cargo.toml" --no-run --message-format=json |
    executables | grep '/deps/downstream-')
cpu_features=$("$tape_bin" --list 2>&1 >/dev/null | sed -n 's/^lossgraph kernel path/kernel path/p' | head -1)
say "lossgraph: $cpu_features"
target_dir=$(cargo metadata --format-version 1 --no-deps | grep -o '"target_directory":"[^"]*"' | sed 's/.*:"\(.*\)"/\1/')
out="$target_dir/compare"
rm -rf "$out"
mkdir -p "$out/logs"
results="$out/results.tsv"
: >"$results"

# --- the engines, one process per call; each appends `engine round workload metric value` ---
criterion_median_seconds() { # estimates.json -> the median point estimate in seconds
    grep -o '"median":{"confidence_interval":{[^}]*},"point_estimate":[0-9.eE+-]*' "$1" |
        sed 's/.*"point_estimate":\(.*\)/\1/' | awk '{ printf "%.9g\n", $1 / 1e9 }'
}

record() { # engine round workload metric value: one line of results, unless value is empty
    [[ -n $5 ]] && printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"
    return 0
}

criterion_workloads=(mlp_step mlp_step_b1 scalar_chain scalar_chain_tensor softmax_ce fast_rcnn
    deepid2 center_loss gan_step)

run_lossgraph() {
    local round=$1 home="$out/criterion-$1" bench bin name log
    for bench in tape losses; do
        bin=$tape_bin
        [[ $bench == losses ]] && bin=$losses_bin
        log="$out/logs/lossgraph-$bench-$round.log"
        CRITERION_HOME=$home "$bin" --bench --noplot "${timing[@]}" >"$log" 2>&1 ||
            die "lossgraph bench $bench failed; see $log"
    done
    for name in "${criterion_workloads[@]}"; do
        record lossgraph "$round" "$name" seconds \
            "$(criterion_median_seconds "$home/$name/new/estimates.json")"
    done
    for name in mnist_softmax mnist_mlp; do
        bin=$softmax_bin
        [[ $name == mnist_mlp ]] && bin=$mlp_bin
        log="$out/logs/lossgraph-$name-$round.log"
        "$bin" --data "$mnist_dir" >"$log" 2>&1 || die "$name failed; see $log"
        record lossgraph "$round" "$name" seconds \
            "$(sed -n 's/^training time: \([0-9.]*\) s$/\1/p' "$log")"
        record lossgraph "$round" "$name" accuracy \
            "$(sed -n 's/^validation accuracy: \([0-9.]*\)$/\1/p' "$log")"
    done
}

run_downstream() { # round: the same workloads, timed from the user's crate
    local round=$1 home="$out/criterion-dep-$1" log="$out/logs/lossgraph-dep-$1.log" name
    CRITERION_HOME=$home "$downstream_bin" --bench --noplot "${timing[@]}" >"$log" 2>&1 ||
        die "benches/downstream failed; see $log"
    for name in "${criterion_workloads[@]}"; do
        record lossgraph_dep "$round" "$name" seconds \
            "$(criterion_median_seconds "$home/$name/new/estimates.json")"
    done
}

run_peer() { # engine round: every workload in one process; its RESULT lines go to results
    local engine=$1 round=$2 script log
    script="$here/torch_workloads.py"
    [[ $engine == jax ]] && script="$here/jax_workloads.py"
    log="$out/logs/$engine-$round.log"
    local args=(--round "$round" --mnist "$mnist_dir")
    if [[ $engine == numpy ]]; then
        script="$here/numpy_floor.py"
        args=(--round "$round")
    fi
    timeout "$peer_timeout" "$python" "$script" "${args[@]}" "${timing[@]}" >"$log" 2>&1 ||
        say "$engine round $round failed or exceeded ${peer_timeout} s (its results so far are kept); see $log"
    sed -n 's/^RESULT\t//p' "$log" >>"$results"
}

run_engine() {
    case $1 in
        lossgraph) run_lossgraph "$2" ;;
        lossgraph_dep) run_downstream "$2" ;;
        *) run_peer "$1" "$2" ;;
    esac
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
busy_note=""
if awk -v load="${load_before%% *}" -v cores="$(nproc)" 'BEGIN { exit !(load > cores / 2) }'; then
    busy_note="the machine was busy (load $load_before on $(nproc) cores before the build): every engine is slowed, and PyTorch's spin-waiting OpenMP threads most of all (README.md); rerun on an idle machine"
    say "warning: $busy_note"
fi
started=$SECONDS
engines=(lossgraph lossgraph_dep "${peers[@]}")
for ((round = 1; round <= rounds; round++)); do
    # Rotating the order keeps any drift in the machine's load from favouring one engine.
    shift_by=$(((round - 1) % ${#engines[@]}))
    order=("${engines[@]:shift_by}" "${engines[@]:0:shift_by}")
    for engine in "${order[@]}"; do
        say "round $round/$rounds: $engine (load $(cut -d' ' -f1 /proc/loadavg), $((SECONDS - started)) s so far)"
        run_engine "$engine" "$round"
    done
done

# --- the solvers: one process per engine, after the rounds ---
gtol=${GTOL:-1e-8}
say "solvers: lossgraph (L-BFGS to max |grad| $gtol, HVP)"
log="$out/logs/lossgraph-solvers.log"
home="$out/criterion-solvers"
if MNIST_DIR=$mnist_dir LOSSGRAPH_GTOL=$gtol CRITERION_HOME=$home "$solvers_bin" --bench --noplot "${timing[@]}" >"$log" 2>&1; then
    sed -n 's/^RESULT\t//p' "$log" >>"$results"
    for name in hvp_mlp hvp_mlp_at_point grad_mlp; do
        record lossgraph 0 "$name" seconds "$(criterion_median_seconds "$home/$name/new/estimates.json")"
    done
else
    say "benches/solvers failed; see $log"
fi
if $have_python && "$python" -c "import scipy, sklearn" 2>/dev/null; then
    say "solvers: SciPy + JAX, scikit-learn, JAX and PyTorch HVPs"
    log="$out/logs/peers-solvers.log"
    timeout "$((3 * peer_timeout))" "$python" "$here/solvers.py" --mnist "$mnist_dir" --gtol "$gtol" "${timing[@]}" >"$log" 2>&1 ||
        say "solvers.py failed or timed out (its results so far are kept); see $log"
    sed -n 's/^RESULT\t//p' "$log" >>"$results"
else
    say "SciPy or scikit-learn not installed: pip install scipy scikit-learn (for the solver rows)"
fi

# --- peak RSS: one process per engine that runs only mlp_step ---
if [[ -x /usr/bin/time ]]; then
    for engine in lossgraph "${peers[@]}"; do
        [[ $engine == numpy ]] && continue
        say "peak RSS: $engine mlp_step"
        log="$out/logs/rss-$engine.log"
        case $engine in
            lossgraph) cmd=(env CRITERION_HOME="$out/criterion-rss" "$tape_bin" --bench --noplot --exact mlp_step "${timing[@]}") ;;
            pytorch) cmd=("$python" "$here/torch_workloads.py" --only mlp_step "${timing[@]}") ;;
            jax) cmd=("$python" "$here/jax_workloads.py" --only mlp_step "${timing[@]}") ;;
        esac
        if /usr/bin/time -v "${cmd[@]}" >"$log" 2>&1; then
            kb=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$log")
            record "$engine" 0 mlp_step rss_kb "$kb"
        else
            say "the peak-RSS run of $engine failed; see $log"
        fi
    done
    # The engine's own footprint: the same bench binary running mlp_step in a plain loop,
    # without criterion's statistics and reports.
    say "peak RSS: lossgraph mlp_step, bare loop"
    log="$out/logs/rss-lossgraph-bare.log"
    if LOSSGRAPH_BARE_STEPS=500 /usr/bin/time -v "$tape_bin" >"$log" 2>&1; then
        kb=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$log")
        record lossgraph 0 mlp_step rss_bare_kb "$kb"
    else
        say "the bare-loop peak-RSS run of lossgraph failed; see $log"
    fi
else
    say "/usr/bin/time not found (apt-get install time): no peak RSS row"
fi

# --- the table ---
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
    echo "## lossgraph vs PyTorch vs JAX (benches/compare/run.sh)"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $cpu, $(nproc) cores, $(uname -sr)"
    echo "- load average (1, 5, 15 min): $load_before before the build, $load_start when measuring started, $(cut -d' ' -f1-3 /proc/loadavg) at the end; $((SECONDS - started)) s of measuring"
    echo "- $(rustc --version); lossgraph's $cpu_features (chosen at run time: the workspace and the downstream crate build with default flags)"
    if $have_python; then
        "$python" - <<'EOF'
import importlib, platform, sys
found = []
for module in ["numpy", "torch", "jax", "jaxlib"]:
    try:
        found.append(f"{module} {importlib.import_module(module).__version__}")
    except ImportError:
        pass
print(f"- Python {platform.python_version()}: " + ", ".join(found))
EOF
    fi
    echo "- each cell: the median over $rounds round(s), one process per engine per round, engines alternating; per workload a $warm_up s warm-up, then $samples samples over about $measurement s (criterion for lossgraph, the same scheme in common.py for the peers); MNIST: one training run per process"
    echo "- f32; PyTorch eager with torch.set_num_threads(2); JAX jit on CPU (XLA's own thread pool, 2 cores); NumPy's products on OpenBLAS with OPENBLAS_NUM_THREADS=2; lossgraph with its default 2 threads"
    [[ -z ${OMP_WAIT_POLICY:-} ]] || echo "- OMP_WAIT_POLICY=$OMP_WAIT_POLICY (set by the caller)"
    [[ -z $busy_note ]] || echo "- warning: $busy_note"
} >"$out/header.md"

if $have_python; then
    "$python" "$here/report.py" "$results" "$out/header.md" "${peer_labels[@]}" | tee "$out/table.md"
else
    # No Python: lossgraph's medians only, in seconds (accuracy rows are fractions).
    cat "$out/header.md"
    sort -t$'\t' -k3,3 -k4,4 -k5,5g "$results" | awk -F'\t' '
        { key = $3 " " $4; v[key, ++n[key]] = $5 }
        END { for (k in n) { m = n[k]; mid = int((m + 1) / 2); print k ": " v[k, mid] } }' |
        sort | tee "$out/table.md"
fi
say "done in $((SECONDS - started)) s; table and raw results in $out"
