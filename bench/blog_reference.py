#!/usr/bin/env python3
"""The original post's program, rewritten in numpy from its description, for measuring
digitnet's `blog` recipe against (speed ratio and the distribution of its results).

Faithful to the post's algorithm: (x - mean)/var over the whole set, a seeded 75/25
shuffle split, a 64-200-10 net without biases, weights uniform in [-1, 1), per-sample
SGD at rate 0.1 in the same order every epoch, tanh hidden layer with a 0/1 dropout
mask scaled by 1/(1-p), softmax output; the output derivative s(1-s) with
s = softmax(out) (softmax applied again), the hidden derivative 1 - tanh(h)^2 at the
already activated values; epoch error = sum of squared residuals / 1797; stop at
<= 0.01 or after 200 epochs. Softmax is computed stably (the post's exp/sum overflows).

Usage: blog_reference.py [--seed N] [--dropout P] [--json]
Reads ../data/digits.csv.gz (the same file digitnet embeds).
"""
import argparse
import gzip
import json
import os
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    start = time.process_time()
    with gzip.open(os.path.join(HERE, "..", "data", "digits.csv.gz"), "rt") as f:
        raw = np.loadtxt(f, delimiter=",")
    X, labels = raw[:, :64], raw[:, 64].astype(int)
    y = np.eye(10)[labels]
    X = (X - X.mean()) / X.var()
    rng = np.random.RandomState(args.seed)
    order = rng.permutation(len(X))
    n_test = int(np.ceil(0.25 * len(X)))
    test, train = order[:n_test], order[n_test:]
    Xtr, ytr, Xte, yte = X[train], y[train], X[test], y[test]

    w01 = 2.0 * rng.random_sample((64, 200)) - 1.0
    w12 = 2.0 * rng.random_sample((200, 10)) - 1.0
    p, alpha = args.dropout, 0.1
    converged_at, err = None, float("nan")
    for it in range(200):
        err = 0.0
        for i in range(len(Xtr)):
            l0 = Xtr[i : i + 1]
            l1 = np.tanh(l0 @ w01)
            if p > 0:
                l1 *= rng.binomial(1, 1 - p, size=l1.shape) * (1.0 / (1 - p))
                mask = (l1 != 0).astype(float)
            else:
                mask = 1.0
            l2 = softmax(l1 @ w12)
            delta = l2 - ytr[i : i + 1]
            err += float(np.sum(delta**2))
            s = softmax(l2)
            d2 = delta * s * (1 - s)
            d1 = (d2 @ w12.T) * (1 - np.tanh(l1) ** 2) * mask
            w12 -= alpha * l1.T @ d2
            w01 -= alpha * l0.T @ d1
        err /= len(X)
        if not np.isfinite(err):
            break
        if err <= 0.01:
            converged_at = it
            break
    out = softmax(np.tanh(Xte @ w01) @ w12)
    strict = float(np.mean(np.all(np.round(out) == yte, axis=1)))
    argmax = float(np.mean(np.argmax(out, axis=1) == np.argmax(yte, axis=1)))
    result = {
        "seed": args.seed,
        "dropout": p,
        "converged_epoch": converged_at,
        "epochs_run": it + 1,
        "train_error": err,
        "strict_accuracy": strict,
        "test_accuracy": argmax,
        "cpu_seconds": time.process_time() - start,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print("converged at iteration:", converged_at) if converged_at is not None else print("failed to converge")
        print("average error:", err)
        print("percent correct:", 100 * strict)
        print("argmax accuracy:", 100 * argmax)


if __name__ == "__main__":
    main()
