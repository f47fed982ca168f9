"""Seconds per training epoch of descent's MNIST models, in PyTorch, for the
speed comparison in README (`cargo bench -p descent --bench train_epoch` is descent's side;
`scripts/bench/speed.py` runs both in alternating rounds).

Identical models (MLP 784-256-256-10, batch 128; seed 003's CNN, batch 512),
Adam lr 1e-3, float32, softmax cross-entropy, the full 60,000 training images
scaled to [0, 1], shuffled each epoch; the same thread count as descent
(`--threads`, default 2). Data loading is excluded on both sides: the images
are in memory as float32 before the clock starts.

It also measures the roofline both sides are held to: the rate of a
2048x2048 f32 matrix product (best of 10) at the same thread count, and prints
each model's GFLOP per epoch (from the layer shapes: 2 flops per multiply-add,
forward plus the two backward products, as descent's bench counts them), the
GFLOP/s achieved and the fraction of that roofline.

    pip install torch numpy
    python3 scripts/bench/train_epoch.py --mnist-dir ../shared/data/mnist --threads 2
"""

import argparse
import gzip
import os
import statistics
import time

import numpy as np
import torch
from torch import nn


def load_images(mnist_dir):
    with gzip.open(os.path.join(mnist_dir, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(os.path.join(mnist_dir, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    return torch.tensor(images, dtype=torch.float32) / 255.0, torch.tensor(labels, dtype=torch.int64)


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(512, 128), nn.ReLU(), nn.Linear(128, 10),
    )


# Multiply-adds of one example's forward pass, from the layer shapes (the same
# count as descent's MnistModel::forward_macs).
FORWARD_MACS = {
    "mlp": 784 * 256 + 256 * 256 + 256 * 10,
    "cnn": 16 * 1 * 25 * 24 * 24 + 32 * 16 * 25 * 8 * 8 + 512 * 128 + 128 * 10,
}


def matmul_gflops(reps=10):
    """Best rate of a 2048x2048 f32 product, GFLOP/s."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * 2048**3 / best / 1e9


def epoch_seconds(model, x, y, batch, image):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    perm = torch.randperm(x.shape[0])
    start = time.perf_counter()
    for i in range(0, x.shape[0], batch):
        idx = perm[i : i + batch]
        xb = x[idx]
        if image:
            xb = xb.view(-1, 1, 28, 28)
        opt.zero_grad()
        loss = loss_fn(model(xb), y[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mnist-dir", default=os.environ.get("MNIST_DIR", "data/mnist"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per model")
    parser.add_argument("--model", choices=["mlp", "cnn"], help="only this model")
    parser.add_argument("--peak-only", action="store_true", help="only the 2048x2048 product rate")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    peak = matmul_gflops()
    print(f"peak: {peak:.1f} GFLOP/s (2048x2048 f32 product, best of 10)")
    if args.peak_only:
        return
    x, y = load_images(args.mnist_dir)
    for name, make, batch, image in [("mlp", mlp, 128, False), ("cnn", cnn, 512, True)]:
        if args.model and args.model != name:
            continue
        model = make()
        times = [epoch_seconds(model, x, y, batch, image) for _ in range(args.epochs)]
        best, median = min(times), statistics.median(times)
        gflop = 3 * 2 * FORWARD_MACS[name] * x.shape[0] / 1e9
        print(f"{name}: epochs {' '.join(f'{t:.3f}' for t in times)}")
        print(f"{name}: {best:.2f} s/epoch best, {median:.2f} s median (of {args.epochs})")
        print(
            f"{name}: {gflop:.1f} GFLOP/epoch, {gflop / best:.1f} GFLOP/s at the best epoch; "
            f"{100 * gflop / best / peak:.0f} % of the {peak:.0f} GFLOP/s roofline"
        )


if __name__ == "__main__":
    main()
