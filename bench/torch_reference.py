#!/usr/bin/env python3
"""PyTorch on the CPU doing exactly what `digitnet bench` measures, for side-by-side ratios.

Figures (all printed as one JSON object on the last line, `--json` prints only that):

  mnist_relu800   784-800-10, ReLU, dropout 0.5 on the hidden layer, biases, Adam 1e-3,
                  batch 128, cross-entropy on softmax: seconds per epoch over 60,000 rows
  mnist_tanh200   784-200-10, tanh, otherwise the same: seconds per epoch
  digits          64-200-10, tanh, dropout 0.5, Adam 1e-3, batch 32, on the 1797 8x8 digits
                  standardised per feature: seconds per epoch
  infer_b1000     the 784-800-10 net in eval mode under inference_mode, the 10,000 test
                  images in batches of 1000: images per second
  latency_b1      the same net, one image at a time: median microseconds per image

An epoch is what digitnet's trainer does: a fresh permutation, then for every batch gather
the rows, forward, cross-entropy, backward, Adam step. Times are medians over `--epochs`
epochs after one warm-up epoch. MNIST is read from data/mnist (IDX, gzip) when present;
`--synthetic` uses seeded random pixels of MNIST's shape instead (the timing of dense
layers does not depend on the pixel values), which is what `digitnet bench` uses until
it reads IDX files itself.

Usage: torch_reference.py [--threads 2] [--epochs 3] [--digits-epochs 20] [--synthetic] [--json]
Needs: torch, numpy (install them outside the project, e.g. in /tmp/torch-venv).
"""
import argparse
import gzip
import json
import os
import statistics as st
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = struct.unpack(">I", data[:4])[0] & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(synthetic):
    """Train and test images scaled to [0, 1] and labels, as float32/int64 tensors."""
    d = os.path.join(DATA, "mnist")
    if synthetic or not os.path.exists(os.path.join(d, "train-images-idx3-ubyte.gz")):
        rng = np.random.RandomState(0)
        xtr = rng.randint(0, 256, size=(60000, 784)).astype(np.uint8)
        ytr = rng.randint(0, 10, size=60000).astype(np.uint8)
        xte = rng.randint(0, 256, size=(10000, 784)).astype(np.uint8)
        yte = rng.randint(0, 10, size=10000).astype(np.uint8)
        source = "synthetic"
    else:
        xtr = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz"))
        ytr = read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz"))
        xte = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))
        yte = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz"))
        source = "mnist"
    f = lambda x: torch.from_numpy(x.reshape(x.shape[0], -1).astype(np.float32) / 255.0)
    g = lambda y: torch.from_numpy(y.astype(np.int64))
    return f(xtr), g(ytr), f(xte), g(yte), source


def load_digits():
    """The 1797 8x8 digits, standardised per feature as digitnet's standard recipe does."""
    with gzip.open(os.path.join(DATA, "digits.csv.gz"), "rt") as f:
        raw = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x, y = raw[:, :64], raw[:, 64].astype(np.int64)
    std = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y)


def mlp(inputs, hidden, act):
    return nn.Sequential(nn.Linear(inputs, hidden), act(), nn.Dropout(0.5), nn.Linear(hidden, 10))


def epoch_times(model, x, y, batch, epochs):
    """Median seconds per training epoch (after one warm-up epoch)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = x.shape[0]
    times = []
    for _ in range(epochs + 1):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for i in range(0, n, batch):
            idx = perm[i : i + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    return st.median(times[1:])


@torch.inference_mode()
def inference(model, x, reps=5, lat_n=2000):
    """Images/s at batch 1000 over `x`, and median microseconds for one image."""
    model.eval()
    for i in range(0, x.shape[0], 1000):
        model(x[i : i + 1000])
    runs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for i in range(0, x.shape[0], 1000):
            model(x[i : i + 1000]).argmax(1)
        runs.append(time.perf_counter() - t0)
    for i in range(100):
        model(x[i : i + 1])
    lat = []
    for i in range(lat_n):
        t0 = time.perf_counter()
        model(x[i : i + 1]).argmax(1)
        lat.append(time.perf_counter() - t0)
    return x.shape[0] / st.median(runs), 1e6 * st.median(lat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3, help="timed MNIST epochs (after a warm-up)")
    ap.add_argument("--digits-epochs", type=int, default=20)
    ap.add_argument("--synthetic", action="store_true", help="random pixels of MNIST's shape")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    xtr, ytr, xte, yte, source = load_mnist(args.synthetic)
    dx, dy = load_digits()
    say = (lambda *a: None) if args.json else print

    res = dict(tool="pytorch", version=torch.__version__, threads=args.threads, mnist_source=source)
    relu800 = mlp(784, 800, nn.ReLU)
    res["mnist_relu800_epoch_s"] = epoch_times(relu800, xtr, ytr, 128, args.epochs)
    say(f"784-800-10 relu epoch   {res['mnist_relu800_epoch_s']:.3f} s")
    res["mnist_tanh200_epoch_s"] = epoch_times(mlp(784, 200, nn.Tanh), xtr, ytr, 128, args.epochs)
    say(f"784-200-10 tanh epoch   {res['mnist_tanh200_epoch_s']:.3f} s")
    res["digits_epoch_s"] = epoch_times(mlp(64, 200, nn.Tanh), dx, dy, 32, args.digits_epochs)
    say(f"64-200-10 digits epoch  {res['digits_epoch_s'] * 1e3:.2f} ms")
    thr, lat = inference(relu800, xte)
    res["infer_b1000_images_per_s"] = thr
    res["latency_b1_us"] = lat
    say(f"inference, batch 1000   {thr:,.0f} images/s")
    say(f"one image               {lat:.1f} us")
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
