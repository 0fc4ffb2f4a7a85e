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

Usage: blog_reference.py [--seed N] [--dropout P] [--as-posted] [--json]
Reads ../data/digits.csv.gz (the same file digitnet embeds).

--as-posted does each sample's step the way the post's program does it, so that its
cost is the original's: the two derivatives become explicit diagonal matrices
(np.diag) multiplied in full, the update is built from matrix products rather than
broadcasts, and the script imports what the post imports for training and scoring
(scikit-learn's loader, splitter and confusion matrix). The numbers are the same
function of the inputs; only the work differs. Timed on this machine, that costs
about 0.12 s of CPU per epoch, near the issue's 0.16 s for the original.
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


def step_vectorised(l0, l1, l2, delta, mask, w01, w12, alpha):
    """One sample's update, with broadcasts (the cheap way)."""
    s = softmax(l2)
    d2 = delta * s * (1 - s)
    d1 = (d2 @ w12.T) * (1 - np.tanh(l1) ** 2) * mask
    w12 -= alpha * l1.T @ d2
    w01 -= alpha * l0.T @ d1


def step_as_posted(l0, l1, l2, delta, mask, w01, w12, alpha):
    """The same update as the post computes it: diagonal matrices multiplied in full."""
    s = softmax(l2)
    jac2 = np.diag((s * (1.0 - s)).ravel())
    jac1 = np.diag((1.0 - np.tanh(l1) ** 2).ravel())
    if not np.isscalar(mask):
        jac1 = jac1 * np.diag(mask.ravel())
    grad12 = np.outer(l1, np.matmul(delta, jac2))
    back = np.matmul(jac2, np.matmul(w12.T, jac1))
    grad01 = np.outer(l0, np.matmul(delta, back))
    w12 -= alpha * grad12
    w01 -= alpha * grad01


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--as-posted", action="store_true", help="the original's per-sample operations")
    args = ap.parse_args()
    start = time.process_time()
    if args.as_posted:
        # The post's training-time imports; their cost is part of its whole process.
        import sklearn.datasets  # noqa: F401
        import sklearn.metrics  # noqa: F401
        import sklearn.model_selection  # noqa: F401
    step = step_as_posted if args.as_posted else step_vectorised
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
            step(l0, l1, l2, delta, mask, w01, w12, alpha)
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
        if converged_at is not None:
            print("converged at iteration:", converged_at)
        else:
            print("failed to converge")
        print("average error:", err)
        print("percent correct:", 100 * strict)
        print("argmax accuracy:", 100 * argmax)


if __name__ == "__main__":
    main()
