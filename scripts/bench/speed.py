"""descent against PyTorch, training epochs of the MNIST MLP and CNN, in one
session: the table in README's speed section.

Measures PyTorch's 2048x2048 f32 product rate (the roofline: the highest of
the rates PyTorch's script measures during the session), then runs
`--rounds` rounds, each one descent bench (`cargo bench -p descent --bench train_epoch`)
and one PyTorch script (`train_epoch.py`) of `--epochs` epochs per model,
alternating which side goes first. Prints the machine (CPU model, widest
SIMD, logical CPUs), then per model every epoch, best and
median of each side, the ratios (descent / PyTorch) and each side's fraction
of the roofline, plus descent's per-image forward, evaluation and batching
times and peak memory from its last round.

    python3 scripts/bench/speed.py --python /path/to/venv/bin/python --threads 2 --rounds 3

Standard library only; the PyTorch side runs under `--python` (a Python with
torch and numpy). MNIST comes from MNIST_DIR or data/mnist.
"""

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(command):
    print("$", " ".join(command), file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    print(done.stdout, file=sys.stderr, flush=True)
    return done.stdout


def machine():
    """The CPU this runs on and its widest SIMD, as /proc/cpuinfo says (the
    platform's own description elsewhere): `Intel(R) Xeon(R) Processor,
    AVX-512 (+AMX), 2 logical CPUs`."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
    except OSError:
        pass
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2" if flags else "unknown SIMD"
    if "amx_tile" in flags:
        simd += " (+AMX)"
    return f"{model}, {simd}, {os.cpu_count()} logical CPUs"


def peak_of(output):
    """The 2048x2048 product rate a run of train_epoch.py printed, GFLOP/s."""
    return float(re.search(r"^peak: ([0-9.]+)", output, re.M).group(1))


def epochs(output, model):
    match = re.search(rf"^{model}: epochs (.*)$", output, re.M)
    return [float(t) for t in match.group(1).split()] if match else []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", default=sys.executable, help="a Python with torch and numpy")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per model per round and side")
    args = parser.parse_args()
    models = ["mlp", "cnn"]
    peak_out = run([args.python, os.path.join(HERE, "train_epoch.py"), "--threads", str(args.threads), "--peak-only"])
    peak = peak_of(peak_out)
    torch_version = re.search(r"^torch (\S+),", peak_out, re.M).group(1)
    subprocess.run(["cargo", "bench", "-p", "descent", "--bench", "train_epoch", "--no-run"], cwd=ROOT, check=True)
    ours = [
        "cargo", "bench", "-p", "descent", "--bench", "train_epoch", "--",
        "--threads", str(args.threads), "--epochs", str(args.epochs), "--peak", f"{peak:.1f}",
    ]
    theirs = [
        args.python, os.path.join(HERE, "train_epoch.py"),
        "--threads", str(args.threads), "--epochs", str(args.epochs),
    ]
    times = {(side, m): [] for side in ("descent", "torch") for m in models}
    last_ours = ""
    for r in range(args.rounds):
        order = [("descent", ours), ("torch", theirs)]
        for side, command in order if r % 2 == 0 else order[::-1]:
            out = run(command)
            if side == "descent":
                last_ours = out
            else:
                peak = max(peak, peak_of(out))
            for m in models:
                times[(side, m)] += epochs(out, m)

    print(f"{machine()}: {args.rounds} rounds x {args.epochs} epochs per side, {args.threads} threads, torch "
          f"{torch_version}, roofline {peak:.0f} GFLOP/s (PyTorch's 2048x2048 f32 product)")
    print()
    print("| model | GFLOP/epoch | descent best / median | PyTorch best / median | ratio of bests | "
          "ratio of medians | descent of roofline (best) | PyTorch of roofline (best) |")
    print("|---|---|---|---|---|---|---|---|")
    for m in models:
        ours_t, theirs_t = times[("descent", m)], times[("torch", m)]
        gflop = float(re.search(rf"^{m}: ([0-9.]+) GFLOP/epoch", last_ours, re.M).group(1))
        ob, om = min(ours_t), statistics.median(ours_t)
        tb, tm = min(theirs_t), statistics.median(theirs_t)
        print(f"| {m.upper()} | {gflop:.1f} | {ob:.2f} / {om:.2f} s | {tb:.2f} / {tm:.2f} s | {ob / tb:.2f}x | "
              f"{om / tm:.2f}x | {100 * gflop / ob / peak:.0f} % | {100 * gflop / tb / peak:.0f} % |")
    print()
    for m in models:
        for line in re.findall(rf"^{m}: (per image: .*|peak resident .*|its matrix products alone .*)$", last_ours, re.M):
            print(f"- {m.upper()} {line}")
        print(f"- {m.upper()} epochs, descent: {' '.join(f'{t:.2f}' for t in times[('descent', m)])}; "
              f"PyTorch: {' '.join(f'{t:.2f}' for t in times[('torch', m)])}")


if __name__ == "__main__":
    main()
