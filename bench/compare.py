#!/usr/bin/env python3
"""Runs digitnet's benchmarks and PyTorch's (and the blog recipe against the original
numpy program) side by side, and prints the ratios with the targets of issue 7.

  bench/compare.py [--threads 2] [--epochs 3] [--blog-runs 5] [--blog-dropout 0]
                   [--skip-torch] [--skip-blog] [--simd avx2|portable]

--simd restricts both sides' vector instructions: DIGITNET_SIMD for digitnet (its GEMM
crate's kernel is fixed when it is built: set DIGITNET to a build made with
MMTEST_FEATURE=avx2,fma to keep that off AVX-512 too), and ATEN_CPU_CAPABILITY,
MKL_ENABLE_INSTRUCTIONS and ONEDNN_MAX_CPU_ISA for PyTorch.

Needs a release build (cargo build --release; --digitnet or DIGITNET for another binary)
and two Python interpreters, each given by a flag or an environment variable, else the
one running this script:
  --torch-python PATH  or TORCH_PYTHON: has PyTorch and numpy (`pip install torch numpy`)
  --numpy-python PATH  or NUMPY_PYTHON: has numpy (`pip install numpy`)
For example:
  python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install torch numpy
  TORCH_PYTHON=/tmp/bench-venv/bin/python NUMPY_PYTHON=/tmp/bench-venv/bin/python \
      python3 bench/compare.py
Each interpreter is checked for its modules before anything is timed. Both benchmarks
train on the real MNIST (data/mnist/; digitnet's first layer skips the zero pixels of
the background, which is most of every digit, so random pixels would not time the same
work). Each tool runs under /usr/bin/time, which reports its peak resident memory.
On a shared machine, compare only figures from one run: they are measured minutes
apart, not seconds, so keep other work off the cores while this runs.
"""
import argparse
import json
import os
import resource
import statistics as st
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
DIGITNET = os.environ.get("DIGITNET", os.path.join(TARGET, "release", "digitnet"))
TORCH_PY = os.environ.get("TORCH_PYTHON", sys.executable)
NUMPY_PY = os.environ.get("NUMPY_PYTHON", sys.executable)


def require(python, modules, flag, variable):
    """Exits with a clear message unless `python` runs and imports every module."""
    probe = "; ".join(f"import {m}" for m in modules)
    try:
        ok = subprocess.run([python, "-c", probe], capture_output=True).returncode == 0
    except OSError:
        ok = False
    if not ok:
        sys.exit(f"{python} cannot import {', '.join(modules)}: give an interpreter that can "
                 f"with {flag} PATH or {variable}=PATH, or install them: "
                 f"{python} -m pip install {' '.join(modules)}")


def require_digitnet(path):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        sys.exit(f"{path} is not there: run `cargo build --release`, or give the binary "
                 "with --digitnet PATH or DIGITNET=PATH")


# The environment that restricts each side to a level of vector instructions.
SIMD_ENV = {
    "avx2": ({"DIGITNET_SIMD": "avx2"},
             {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
              "ONEDNN_MAX_CPU_ISA": "AVX2"}),
    "portable": ({"DIGITNET_SIMD": "portable"},
                 {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
                  "ONEDNN_MAX_CPU_ISA": "SSE41"}),
}


def run_json(cmd, env=None):
    """Runs `cmd` under /usr/bin/time; returns its last stdout line as JSON and peak RSS (MB)."""
    timed = ["/usr/bin/time", "-f", "maxrss_kb=%M"] + cmd
    p = subprocess.run(timed, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
    rss = [l for l in p.stderr.splitlines() if l.startswith("maxrss_kb=")]
    return json.loads(p.stdout.strip().splitlines()[-1]), int(rss[-1].split("=")[1]) / 1024


def wall_and_cpu(cmd):
    """Seconds the whole process `cmd` takes: wall clock, and CPU (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    global DIGITNET, TORCH_PY, NUMPY_PY
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--digits-epochs", type=int, default=20)
    ap.add_argument("--blog-runs", type=int, default=5)
    ap.add_argument("--blog-dropout", type=float, default=0.0,
                    help="the blog runs' dropout: 0 (every run stops at the same rule) or "
                         "the post's 0.5 (200 epochs: numpy takes about 35 s a run)")
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--skip-blog", action="store_true")
    ap.add_argument("--simd", choices=sorted(SIMD_ENV), help="restrict both sides")
    ap.add_argument("--digitnet", default=DIGITNET, help="the digitnet binary [DIGITNET]")
    ap.add_argument("--torch-python", default=TORCH_PY,
                    help="a Python with torch and numpy [TORCH_PYTHON, else this one]")
    ap.add_argument("--numpy-python", default=NUMPY_PY,
                    help="a Python with numpy [NUMPY_PYTHON, else this one]")
    args = ap.parse_args()
    DIGITNET, TORCH_PY, NUMPY_PY = args.digitnet, args.torch_python, args.numpy_python
    require_digitnet(DIGITNET)
    if not args.skip_torch:
        require(TORCH_PY, ["torch", "numpy"], "--torch-python", "TORCH_PYTHON")
    if not args.skip_blog:
        require(NUMPY_PY, ["numpy"], "--numpy-python", "NUMPY_PYTHON")
    ours_env, torch_env = SIMD_ENV.get(args.simd, ({}, {}))
    common = ["--threads", str(args.threads), "--epochs", str(args.epochs),
              "--digits-epochs", str(args.digits_epochs), "--json"]
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, threads {args.threads}")

    if not args.skip_torch:
        ours, our_rss = run_json([DIGITNET, "bench"] + common, ours_env)
        torch, torch_rss = run_json([TORCH_PY, os.path.join(HERE, "torch_reference.py")] + common,
                                    torch_env)
        if ours["mnist_source"] != torch["mnist_source"]:
            sys.exit(f"the two timed different data: digitnet {ours['mnist_source']}, "
                     f"PyTorch {torch['mnist_source']} (is data/mnist/ there?)")
        print(f"machine: {ours['machine']['model']}, peak {ours['peak_gflops']:.0f} GFLOP/s "
              f"({ours['threads']} threads); PyTorch {torch['version']}")
        print(f"digitnet kernels: {ours.get('simd')}, GEMM {ours.get('gemm_kernel')}; "
              f"PyTorch: {' '.join(f'{k}={v}' for k, v in torch_env.items()) or 'unrestricted'}\n")
        rows = [
            # (what, key, unit, scale, lower is better, target ratio digitnet/PyTorch)
            ("784-800-10 relu epoch", "mnist_relu800_epoch_s", "s", 1, True, 0.5),
            ("784-200-10 tanh epoch", "mnist_tanh200_epoch_s", "s", 1, True, 0.5),
            ("64-200-10 digits epoch", "digits_epoch_s", "ms", 1e3, True, 0.2),
            ("inference, batch 1000", "infer_b1000_images_per_s", "img/s", 1, False, 1.5),
            ("one image", "latency_b1_us", "us", 1, True, 0.25),
        ]
        print(f"{'':24} {'digitnet':>12} {'PyTorch':>12} {'ratio':>7} {'target':>8}")
        for what, key, unit, scale, lower, target in rows:
            a, b = ours[key] * scale, torch[key] * scale
            ratio = a / b
            ok = ratio <= target if lower else ratio >= target
            sign = "<=" if lower else ">="
            print(f"{what:24} {a:>9.3g} {unit:<2} {b:>9.3g} {unit:<2} {ratio:>6.2f}x "
                  f"{sign} {target:<4} {'ok' if ok else 'MISSED'}")
        print(f"{'peak memory (whole bench)':24} {our_rss:>9.0f} MB {torch_rss:>9.0f} MB "
              f"{our_rss / torch_rss:>6.2f}x")
        for name in ("mnist_relu800", "mnist_tanh200", "digits"):
            t = ours[name]
            print(f"  digitnet {name}: {t['gflops']:.1f} GFLOP/s, "
                  f"{t['images_per_s']:,.0f} images/s")

    if not args.skip_blog:
        blog_side_by_side(args.blog_runs, args.threads, args.blog_dropout)


def blog_side_by_side(runs, threads, dropout):
    """The blog recipe against the numpy programs, whole process, at `dropout` (0: every
    run stops at the same rule; 0.5: every run takes 200 epochs), seeds 0..runs-1, each
    seed alternating between the tools so that all see the same machine."""
    reference = os.path.join(HERE, "blog_reference.py")
    p = f"{dropout:g}"
    commands = {
        "digitnet": lambda s: [DIGITNET, "--recipe", "blog", "--dropout", p, "-q",
                               "--seed", str(s), "--threads", str(threads)],
        "numpy, as posted": lambda s: [NUMPY_PY, reference, "--as-posted", "--dropout", p,
                                       "--seed", str(s)],
        "numpy, vectorised": lambda s: [NUMPY_PY, reference, "--dropout", p, "--seed", str(s)],
    }
    times = {name: [] for name in commands}
    for seed in range(runs):
        for name, command in commands.items():
            times[name].append(wall_and_cpu(command(seed)))
    print(f"\nblog recipe, whole process, dropout {p}, median over seeds 0..{runs - 1} "
          "(targets: 100x the original in issue 2, 300x in issue 7):")
    for i, what in enumerate(("wall clock", "CPU time")):
        ours = st.median(t[i] for t in times["digitnet"])
        line = f"  {what:10} digitnet {ours * 1e3:6.1f} ms"
        for name in list(commands)[1:]:
            theirs = st.median(t[i] for t in times[name])
            line += f"; {name} {theirs * 1e3:5.0f} ms: {theirs / ours:4.0f}x"
        print(line)

if __name__ == "__main__":
    main()
