"""Seconds per training epoch of descent's MNIST models, in PyTorch, for the
speed comparison in README (`cargo bench --bench train_epoch` is descent's side).

Identical models (MLP 784-256-256-10, batch 128; seed 003's CNN, batch 512),
Adam lr 1e-3, float32, softmax cross-entropy, the full 60,000 training images
scaled to [0, 1], shuffled each epoch; the same thread count as descent
(`--threads`, default 2). Data loading is excluded on both sides: the images
are in memory as float32 before the clock starts.

    pip install torch numpy
    python3 scripts/bench/train_epoch.py --mnist-dir ../shared/data/mnist --threads 2
"""

import argparse
import gzip
import os
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
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per model (the best is reported)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y = load_images(args.mnist_dir)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, make, batch, image in [("mlp", mlp, 128, False), ("cnn", cnn, 512, True)]:
        model = make()
        times = [epoch_seconds(model, x, y, batch, image) for _ in range(args.epochs)]
        print(f"{name}: {min(times):.2f} s/epoch (best of {args.epochs}: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
