#!/usr/bin/env python3
"""digitnet and PyTorch read each other's models, both ways, on the 10,000 MNIST test images.

  python bench/torch_interop.py [--model M.safetensors] [--digitnet PATH] [--out DIR]

1. digitnet -> PyTorch: loads a digitnet model file (with --model, else one trained here
   with `digitnet train --dataset mnist --hidden 128 --epochs 2`) into an nn.Sequential of
   nn.Linear layers with `load_state_dict(strict=True)`, normalises the test images as the
   file's metadata says, and checks that every one of the 10,000 predictions equals
   digitnet's (`digitnet eval --json --predictions`).
2. PyTorch -> digitnet: trains a 784-128-10 ReLU MLP in PyTorch (2 epochs, Adam), saves its
   state_dict with safetensors plus digitnet's metadata, then checks that `digitnet eval`
   predicts exactly what PyTorch does, that `digitnet predict` reads a test digit, and that
   `digitnet serve` answers with it.

Needs a Python with torch, numpy and safetensors (`pip install torch numpy safetensors`),
a release build (`cargo build --release`, or --digitnet / DIGITNET) and data/mnist/.
"""
import argparse
import gzip
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zlib

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}


def read_idx(name):
    with gzip.open(os.path.join(ROOT, "data", "mnist", name)) as f:
        data = f.read()
    if name.endswith("idx1-ubyte.gz"):
        return np.frombuffer(data, np.uint8, offset=8)
    return np.frombuffer(data, np.uint8, offset=16).reshape(-1, 784).astype(np.float32)


def sequential(meta):
    """The nn.Sequential a digitnet model's metadata describes (the last softmax left out:
    the net gives logits)."""
    modules = []
    for i, layer in enumerate(meta["layers"]):
        modules.append(torch.nn.Linear(layer["inputs"], layer["outputs"], bias=layer["bias"]))
        if i + 1 < len(meta["layers"]):
            modules.append(ACTIVATIONS[layer["activation"]]())
    return torch.nn.Sequential(*modules)


def normalise(meta, pixels):
    """The model's input normalisation, as digitnet's Normalizer::apply does it."""
    n = meta["normalizer"]
    if n["kind"] == "scale":
        return pixels / np.float32(n["pixel_max"])
    if n["kind"] == "standardize":
        mean = np.asarray(n["mean"], np.float32)
        std = np.asarray(n["std"], np.float32)
        return np.where(std > 0, (pixels - mean) / np.where(std > 0, std, 1), pixels - mean)
    if n["kind"] == "blog_mean_var":
        return (pixels - np.float32(n["mean"])) / np.float32(n["var"])
    sys.exit(f"unknown normalizer {n['kind']}")


def load_digitnet_model(path):
    with safe_open(path, framework="pt") as f:
        header = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    if header.get("format") != "digitnet-model" or int(header["format_version"]) < 2:
        sys.exit(f"{path}: not a digitnet model file of format version 2 or later "
                 "(save it again with this digitnet)")
    meta = json.loads(header["model"])
    net = sequential(meta)
    net.load_state_dict(tensors, strict=True)
    return net.eval(), meta


def torch_predictions(net, meta, pixels):
    with torch.no_grad():
        return net(torch.from_numpy(normalise(meta, pixels))).argmax(1).numpy()


def digitnet_predictions(digitnet, model):
    out = subprocess.run([digitnet, "eval", "--model", model, "--dataset", "mnist", "--json",
                          "--predictions"], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    return np.asarray(report["predicted"]), report["accuracy"]


def compare(what, ours, theirs, labels):
    same = int((ours == theirs).sum())
    print(f"{what}: {same} of {len(labels)} predictions identical; accuracy digitnet "
          f"{(ours == labels).mean():.4f}, PyTorch {(theirs == labels).mean():.4f}")
    if same != len(labels):
        sys.exit(f"{what}: {len(labels) - same} predictions differ")


def digitnet_to_torch(args, test_x, test_y):
    model = args.model
    if model is None:
        model = os.path.join(args.out, "digitnet-784-128-10.safetensors")
        subprocess.run([args.digitnet, "train", "--dataset", "mnist", "--hidden", "128",
                        "--epochs", "2", "-q", "--save", model], check=True,
                       stdout=subprocess.DEVNULL)
    net, meta = load_digitnet_model(model)
    print(f"digitnet -> PyTorch: {model} loaded into {net}")
    ours, _ = digitnet_predictions(args.digitnet, model)
    compare("digitnet -> PyTorch", ours, torch_predictions(net, meta, test_x), test_y)
    return meta


def checksum(meta_json, named_tensors):
    """digitnet's crc32 key: CRC-32 of the metadata JSON, then each tensor's name and
    little-endian bytes, in layer order."""
    crc = zlib.crc32(meta_json.encode())
    for name, t in named_tensors:
        crc = zlib.crc32(name.encode(), crc)
        crc = zlib.crc32(t.contiguous().numpy().astype("<f4").tobytes(), crc)
    return f"{crc:08x}"


def train_torch_mlp(train_x, train_y, seed=0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    x, y = torch.from_numpy(train_x / np.float32(255)), torch.from_numpy(train_y.astype(np.int64))
    for _ in range(2):
        for idx in torch.randperm(len(x)).split(128):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
    return net.eval()


def save_for_digitnet(net, path, test_accuracy):
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    acts = {torch.nn.Tanh: "tanh", torch.nn.ReLU: "relu", torch.nn.Sigmoid: "sigmoid"}
    act = next(acts[type(m)] for m in net if type(m) in acts)
    layers = [{"inputs": m.in_features, "outputs": m.out_features,
               "activation": act if i + 1 < len(linears) else "softmax",
               "bias": m.bias is not None} for i, m in enumerate(linears)]
    meta = {
        "format_version": 2,
        "layers": layers,
        "input": {"height": 28, "width": 28, "pixel_max": 255.0, "preparation": "mnist"},
        "normalizer": {"kind": "scale", "pixel_max": 255.0},
        "classes": [str(c) for c in range(10)],
        "training": {"dataset": "mnist", "recipe": "pytorch", "seed": 0, "epochs": 2,
                     "train_size": 60000, "test_size": 10000,
                     "test_accuracy": test_accuracy, "dropout": 0.0},
    }
    meta_json = json.dumps(meta)
    state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
    order = [(f"{k}.{part}", state[f"{k}.{part}"])
             for k, m in enumerate(net) if isinstance(m, torch.nn.Linear)
             for part in ("weight", "bias") if f"{k}.{part}" in state]
    header = {"format": "digitnet-model", "format_version": "2", "model": meta_json,
              "crc32": checksum(meta_json, order)}
    save_file(state, path, metadata=header)
    return meta


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_answer(digitnet, model, png):
    port = free_port()
    server = subprocess.Popen([digitnet, "serve", "--model", model, "--addr",
                               f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/predict", data=png,
                                         headers={"Content-Type": "image/png"})
        return json.loads(urllib.request.urlopen(request, timeout=10).read())
    finally:
        server.terminate()
        server.wait()


def torch_to_digitnet(args, test_x, test_y):
    train_x = read_idx("train-images-idx3-ubyte.gz")
    train_y = read_idx("train-labels-idx1-ubyte.gz")
    net = train_torch_mlp(train_x, train_y)
    meta = {"normalizer": {"kind": "scale", "pixel_max": 255.0}}
    theirs = torch_predictions(net, meta, test_x)
    path = os.path.join(args.out, "pytorch-784-128-10.safetensors")
    save_for_digitnet(net, path, float((theirs == test_y).mean()))
    print(f"PyTorch -> digitnet: trained {net}, saved {path}")
    ours, _ = digitnet_predictions(args.digitnet, path)
    compare("PyTorch -> digitnet", ours, theirs, test_y)
    picture = os.path.join(ROOT, "tests", "fixtures", "mnist-t10k-0-black-on-white.png")
    out = subprocess.run([args.digitnet, "predict", "--model", path, picture, "--json"],
                         capture_output=True, text=True, check=True)
    predicted = json.loads(out.stdout)
    print(f"digitnet predict with the PyTorch model: {out.stdout.strip()[:160]}")
    with open(picture, "rb") as f:
        answer = serve_answer(args.digitnet, path, f.read())
    print(f"digitnet serve with the PyTorch model: {json.dumps(answer)[:160]}")
    if predicted["predictions"][0]["digit"] != 7 or answer["digit"] != 7:
        sys.exit("predict or serve did not read the 7 of the test picture")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a digitnet model file [default: train one here]")
    ap.add_argument("--digitnet", default=os.environ.get(
        "DIGITNET", os.path.join(TARGET, "release", "digitnet")), help="[DIGITNET]")
    ap.add_argument("--out", default=os.path.join(TARGET, "tmp", "torch-interop"),
                    help="where the two model files go")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    test_x, test_y = read_idx("t10k-images-idx3-ubyte.gz"), read_idx("t10k-labels-idx1-ubyte.gz")
    digitnet_to_torch(args, test_x, test_y)
    torch_to_digitnet(args, test_x, test_y)
    print("both directions agree on all 10,000 test images")


if __name__ == "__main__":
    main()
