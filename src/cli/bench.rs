//! `digitnet bench`: time training epochs, inference and latency; print them with
//! the achieved GFLOP/s and the machine's peak (see `digitnet::bench`).

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use digitnet::bench::{self, EpochTiming, InferenceTiming, Machine};
use digitnet::data;
use digitnet::nn::Activation;
use digitnet::normalize::Normalizer;
use digitnet::simd::{self, Level};

use super::out::{errln, out, outln};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Timed MNIST-size epochs per net (after one warm-up epoch).
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    /// Timed epochs on the 8x8 digits (after one warm-up epoch).
    #[arg(long, default_value_t = 20)]
    digits_epochs: usize,
    /// Training rows of the MNIST-shaped set (60000 like MNIST; fewer for a quick
    /// look, which also caps the 10000 test images).
    #[arg(long, default_value_t = 60_000)]
    rows: usize,
    /// Seeded random pixels of MNIST's shape instead of the real (embedded) MNIST.
    /// Dense products take the same time on them, but real digits are mostly
    /// background, which the sparse first-layer products skip.
    #[arg(long)]
    synthetic: bool,
    /// Print exactly one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// Everything `digitnet bench` measures; the `*_epoch_s`, `infer_*` and `latency_*`
/// keys are those `bench/torch_reference.py` prints.
#[derive(Debug, Serialize)]
struct Report {
    tool: &'static str,
    threads: usize,
    /// The instructions our kernels ran (`DIGITNET_SIMD`, else the best here).
    simd: Level,
    /// The best this processor has.
    simd_best: Level,
    /// The instructions of the GEMM crate's kernel (fixed when it was built).
    gemm_kernel: Level,
    /// The machine at `simd`'s width, and its peak on `threads` cores.
    machine: Machine,
    peak_gflops: f64,
    mnist_source: &'static str,
    mnist_relu800_epoch_s: f64,
    mnist_tanh200_epoch_s: f64,
    digits_epoch_s: f64,
    infer_b1000_images_per_s: f64,
    latency_b1_us: f64,
    mnist_relu800: EpochTiming,
    mnist_tanh200: EpochTiming,
    digits: EpochTiming,
    inference_relu800: InferenceTiming,
}

/// Runs `digitnet bench` with GEMM on `threads` threads.
pub fn run(args: BenchArgs, threads: usize) -> Result<ExitCode> {
    if args.epochs == 0 || args.digits_epochs == 0 || args.rows < 128 {
        Err(digitnet::Error::config(
            "--epochs and --digits-epochs should be at least 1, --rows at least 128",
        ))?;
    }
    let level = simd::configured()?;
    let machine = Machine::detect().at_level(level);
    let scale = Normalizer::Scale { pixel_max: 255.0 };
    let (mnist, test, source) = mnist_sets(args.rows, args.synthetic)?;
    let progress = |what: &str| {
        if !args.json {
            errln!("timing {what}...");
        }
    };
    progress("784-800-10 relu epochs");
    let relu = bench::bench_config(800, Activation::Relu, 128, args.epochs);
    let (relu800, net) = bench::time_training(&relu, &mnist, scale.clone(), args.epochs)?;
    progress("784-200-10 tanh epochs");
    let tanh = bench::bench_config(200, Activation::Tanh, 128, args.epochs);
    let (tanh200, _) = bench::time_training(&tanh, &mnist, scale.clone(), args.epochs)?;
    progress("64-200-10 digits epochs");
    let digits = data::digits::load()?;
    let all: Vec<usize> = (0..digits.len()).collect();
    let standardize = Normalizer::fit_standardize(&digits, &all);
    let small = bench::bench_config(200, Activation::Tanh, 32, args.digits_epochs);
    let (digits, _) = bench::time_training(&small, &digits, standardize, args.digits_epochs)?;
    progress("inference");
    let inference = bench::time_inference(&net, &scale.transform(&test), 1000, 5, 2000);
    let report = Report {
        tool: "digitnet",
        threads,
        simd: level,
        simd_best: Level::best(),
        gemm_kernel: simd::gemm_kernel(),
        peak_gflops: machine.peak_gflops(threads.min(machine.cores)),
        machine,
        mnist_source: source,
        mnist_relu800_epoch_s: relu800.median_s,
        mnist_tanh200_epoch_s: tanh200.median_s,
        digits_epoch_s: digits.median_s,
        infer_b1000_images_per_s: inference.images_per_s,
        latency_b1_us: inference.latency_us,
        mnist_relu800: relu800,
        mnist_tanh200: tanh200,
        digits,
        inference_relu800: inference,
    };
    if args.json {
        outln!("{}", serde_json::to_string(&report)?);
    } else {
        out!("{}", render(&report));
    }
    Ok(ExitCode::SUCCESS)
}

/// The first `rows` training images and at most as many (and 10,000) test images:
/// MNIST's own, or synthetic ones of its shape. Returns them and the source's name.
fn mnist_sets(
    rows: usize,
    synthetic: bool,
) -> Result<(data::Dataset, data::Dataset, &'static str)> {
    let test_rows = rows.min(10_000);
    if synthetic {
        let train = bench::synthetic_mnist(rows, 1)?;
        return Ok((train, bench::synthetic_mnist(test_rows, 2)?, "synthetic"));
    }
    let (train, test) = data::mnist::load()?;
    let first = |d: &data::Dataset, n: usize| d.subset(&(0..n.min(d.len())).collect::<Vec<_>>());
    Ok((first(&train, rows), first(&test, test_rows), "mnist"))
}

fn render(r: &Report) -> String {
    let epoch = |name: &str, t: &EpochTiming| {
        format!(
            "{name:<28} {:>9.3} s/epoch {:>11.0} images/s {:>7.1} GFLOP/s*\n",
            t.median_s, t.images_per_s, t.gflops
        )
    };
    let i = &r.inference_relu800;
    format!(
        "{}\n{}\nthreads: {}, peak for them {:.0} GFLOP/s; MNIST-shaped data: {} ({} rows)\n\n\
         {}{}{}{:<28} {:>11.0} images/s (batch {}) {:>7.1} GFLOP/s*\n{:<28} {:>9.1} us\n\n\
         * the dense products' operations per second: sparse inputs need fewer, so this can \
         exceed the peak\n",
        r.machine,
        kernels_line(r),
        r.threads,
        r.peak_gflops,
        r.mnist_source,
        r.mnist_relu800.rows,
        epoch("784-800-10 relu, batch 128", &r.mnist_relu800),
        epoch("784-200-10 tanh, batch 128", &r.mnist_tanh200),
        epoch("64-200-10 digits, batch 32", &r.digits),
        "inference 784-800-10",
        i.images_per_s,
        i.batch,
        i.gflops,
        "one image, latency",
        i.latency_us,
    )
}

/// Which kernels ran: ours at the chosen level, and the GEMM crate's.
fn kernels_line(r: &Report) -> String {
    let chosen = if r.simd == r.simd_best {
        format!("the best here; {}=avx2|portable restricts them", simd::ENV)
    } else {
        format!(
            "{}={}; the best here is {}",
            simd::ENV,
            r.simd.setting(),
            r.simd_best.name()
        )
    };
    format!(
        "kernels: {} ({chosen}); GEMM: matrixmultiply's {} kernel on {} thread(s)",
        r.simd.name(),
        r.gemm_kernel.name(),
        r.threads
    )
}
