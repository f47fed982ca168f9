"""Golden trajectories of torch.optim and torch.optim.lr_scheduler for descent's tests.

Run with `pip install torch numpy` then `python3 scripts/golden/optim.py`; it
writes `crates/descent/tests/golden/optim.json`, which `crates/descent/tests/golden_optim.rs` replays
in f64.
CI does not run this script; its output is committed.

Every case records, for each step, the gradient torch computed (so the Rust
replay tests the optimizer alone, not a second gradient implementation) and
every parameter after the step. Optimizers run with `foreach=False`, the
single-tensor code path, in float64 (default dtype float64, so torch's scalar
state such as NAdam's `mu_product` is float64 too).
"""

import json
import math
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
STEPS = 120
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "descent", "tests", "golden", "optim.json")


def quadratic(params):
    """d2l's ill-conditioned quadratic 0.1 x1^2 + 2 x2^2, from (-5, -2)."""
    (x,) = params
    return 0.1 * x[0] ** 2 + 2.0 * x[1] ** 2


def rosenbrock(params):
    """(1 - x)^2 + 100 (y - x^2)^2, from (-1.5, 2)."""
    (p,) = params
    return (1 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2


_rng = np.random.default_rng(20261122)
LSQ_X = _rng.normal(size=(24, 3))
LSQ_Y = LSQ_X @ np.array([1.5, -2.0, 0.5]) + 0.3 + 0.1 * _rng.normal(size=24)


def least_squares(params):
    """mean((X w + b - y)^2) on fixed data (24 x 3), parameters w (3) and b (1)."""
    w, b = params
    r = torch.tensor(LSQ_X) @ w + b - torch.tensor(LSQ_Y)
    return (r * r).mean()


PROBLEMS = {
    "quadratic": (quadratic, [[-5.0, -2.0]]),
    "rosenbrock": (rosenbrock, [[-1.5, 2.0]]),
    "least_squares": (least_squares, [[0.0, 0.0, 0.0], [0.0]]),
}

# (label, torch class, kwargs). Labels are the test names on the Rust side.
OPTIMIZERS = [
    ("sgd", "SGD", {"lr": 0.01}),
    ("sgd_momentum_dampening_wd", "SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.05}),
    ("sgd_nesterov", "SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("sgd_maximize_wd", "SGD", {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.01, "maximize": True}),
    ("adagrad", "Adagrad", {"lr": 0.1}),
    ("adagrad_decay_init", "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5, "weight_decay": 0.01}),
    ("adadelta", "Adadelta", {}),
    ("adadelta_lr", "Adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-5, "weight_decay": 0.01}),
    ("rmsprop", "RMSprop", {"lr": 0.01}),
    ("rmsprop_centered_momentum", "RMSprop", {"lr": 0.005, "alpha": 0.95, "centered": True, "momentum": 0.8, "weight_decay": 0.01}),
    ("adam", "Adam", {"lr": 0.05}),
    ("adam_amsgrad_wd", "Adam", {"lr": 0.05, "betas": [0.8, 0.99], "amsgrad": True, "weight_decay": 0.01}),
    ("adamw", "AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ("adamw_amsgrad", "AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("nadam", "NAdam", {"lr": 0.02}),
    ("nadam_decoupled", "NAdam", {"lr": 0.02, "weight_decay": 0.01, "decoupled_weight_decay": True, "momentum_decay": 0.01}),
    ("radam", "RAdam", {"lr": 0.05}),
    ("radam_decoupled", "RAdam", {"lr": 0.05, "weight_decay": 0.01, "decoupled_weight_decay": True}),
    ("adamax", "Adamax", {"lr": 0.05}),
    ("adamax_wd", "Adamax", {"lr": 0.05, "betas": [0.8, 0.99], "weight_decay": 0.01}),
]


def run(problem, torch_name, kwargs):
    loss_fn, start = PROBLEMS[problem]
    params = [torch.tensor(p, requires_grad=True) for p in start]
    opt_kwargs = dict(kwargs)
    if "betas" in opt_kwargs:
        opt_kwargs["betas"] = tuple(opt_kwargs["betas"])
    opt = getattr(torch.optim, torch_name)(params, foreach=False, **opt_kwargs)
    grads, after = [], []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(params)
        if kwargs.get("maximize"):
            loss = -loss  # maximize the negated loss: the same descent, through torch's maximize path
        loss.backward()
        grads.append([p.grad.tolist() for p in params])
        opt.step()
        after.append([p.detach().tolist() for p in params])
    finite = all(math.isfinite(v) for step in after for p in step for v in p)
    return {"params0": start, "grads": grads, "params": after}, finite


def optimizer_cases():
    cases = []
    for problem in PROBLEMS:
        for label, torch_name, kwargs in OPTIMIZERS:
            kwargs = dict(kwargs)
            # Rosenbrock's gradient is in the hundreds at the start: shrink the
            # step until the trajectory stays finite (the recorded lr is used).
            while True:
                traj, finite = run(problem, torch_name, kwargs)
                if finite and max(abs(v) for s in traj["params"] for p in s for v in p) < 1e6:
                    break
                kwargs["lr"] = kwargs.get("lr", 1.0) / 10.0
            cases.append({"label": label, "problem": problem, "optimizer": torch_name, "kwargs": kwargs, **traj})
    return cases


def lr_trace(make, n=60, base_lr=0.1):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    lrs = []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def schedule_cases():
    S = torch.optim.lr_scheduler
    specs = [
        ("constant", {}, lambda o: S.LambdaLR(o, lambda t: 1.0)),
        ("step", {"step_size": 7, "gamma": 0.5}, lambda o: S.StepLR(o, step_size=7, gamma=0.5)),
        ("multi_step", {"milestones": [10, 25, 40], "gamma": 0.3}, lambda o: S.MultiStepLR(o, [10, 25, 40], gamma=0.3)),
        ("exponential", {"gamma": 0.95}, lambda o: S.ExponentialLR(o, gamma=0.95)),
        ("inverse_time", {"k": 0.1}, lambda o: S.LambdaLR(o, lambda t: 1.0 / (1.0 + 0.1 * t))),
        ("inverse_sqrt", {}, lambda o: S.LambdaLR(o, lambda t: 1.0 / math.sqrt(t + 1))),
        ("cosine", {"t_max": 30, "eta_min": 0.001}, lambda o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.001)),
        (
            "warmup_cosine",
            {"warmup_steps": 5, "start_factor": 0.1, "t_max": 40, "eta_min": 0.0},
            lambda o: S.SequentialLR(
                o, [S.LinearLR(o, start_factor=0.1, total_iters=5), S.CosineAnnealingLR(o, T_max=40)], milestones=[5]
            ),
        ),
        (
            "warmup_step",
            {"warmup_steps": 8, "start_factor": 0.25, "step_size": 10, "gamma": 0.5},
            lambda o: S.SequentialLR(
                o, [S.LinearLR(o, start_factor=0.25, total_iters=8), S.StepLR(o, step_size=10, gamma=0.5)], milestones=[8]
            ),
        ),
    ]
    return [{"name": name, "params": params, "base_lr": 0.1, "lrs": lr_trace(make)} for name, params, make in specs]


def plateau_case():
    """ReduceLROnPlateau on a fixed metric sequence: improves, stalls, improves, stalls."""
    metrics = [1.0, 0.8, 0.7, 0.7, 0.71, 0.7, 0.69999, 0.72, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5] + [0.5] * 23
    kwargs = {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 1e-4, "threshold_mode": "rel", "cooldown": 1, "min_lr": 0.01}
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
    lrs = []
    for m in metrics:
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    return {"kwargs": kwargs, "base_lr": 0.1, "metrics": metrics, "lrs": lrs}


def main():
    out = {
        "torch_version": torch.__version__,
        "steps": STEPS,
        "least_squares": {"x": LSQ_X.tolist(), "y": LSQ_Y.tolist()},
        "cases": optimizer_cases(),
        "schedules": schedule_cases(),
        "plateau": plateau_case(),
    }
    with open(OUT + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(OUT + ".tmp", OUT)
    print(f"wrote {len(out['cases'])} optimizer cases and {len(out['schedules'])} schedules to {OUT}")


if __name__ == "__main__":
    main()
