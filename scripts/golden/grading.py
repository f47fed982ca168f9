"""Reference trajectories for descent's grader, produced by torch.optim.

Writes crates/grader/tests/golden/grading.json: for each case, the problem, the torch
optimizer and its hyperparameters (named as descent::grading::Hyper), the
parameters before the first step, and at each step the gradient torch
computed at the current parameters, the parameters after the step and the
optimizer's state buffers after it (exp_avg, exp_avg_sq, max_exp_avg_sq,
momentum_buffer), every tensor flattened and the parameters concatenated in
order. The grader feeds these gradients to a student's optimizer (teacher
forcing) and compares. Each case also has the loss at the start and after
every step (`losses`, STEPS + 1 values) and, for least squares and the
MLP, the problem's data (`x` row-major, `y`): a free-running property test
runs the student's optimizer on the problem with its own gradients and
compares its final loss with torch's.

It also writes op cases (`op_cases`: torch.log_softmax's output and its
gradient for an upstream dy, at seeded inputs, some with logits in the
hundreds; and the autodiff assignment's matmul, relu, broadcasted add and
F.cross_entropy, with the gradient of every differentiable input; and
the learning rates of torch.optim.lr_scheduler's StepLR, ExponentialLR,
LinearLR then CosineAnnealingLR (SequentialLR) and ReduceLROnPlateau, epoch
by epoch) and each assignment's hidden reference data,
crates/grader/assignments/NAME/hidden/reference.json (the cases of its optimizers or op).

Run:  pip install torch numpy && python3 scripts/golden/grading.py
CI does not run this script; its output is committed.
"""

import json
import os

import numpy as np
import torch

# The problems optim.py's golden trajectories use (same folder).
from optim import quadratic, rosenbrock

torch.set_default_dtype(torch.float64)
STEPS = 40
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "crates", "grader", "tests", "golden", "grading.json")
# Each assignment's hidden reference data: the cases of its optimizers, or
# of its op.
ASSIGNMENTS = {
    "adam": ("Adam", "AdamW"),
    "momentum": ("SGD",),
    "rmsprop": ("RMSprop",),
    "adagrad": ("Adagrad",),
    "adadelta": ("Adadelta",),
    "log_softmax": ("log_softmax",),
    "autodiff": ("matmul", "relu", "add", "softmax_cross_entropy"),
    "schedules": ("step_lr", "exponential_lr", "cosine_warmup", "reduce_on_plateau"),
}

# Op cases: (name, op, shape, scale of the inputs, points). Each point is an
# input x, an upstream gradient dy, torch's output y and torch's gradient
# dx = (dy . dy/dx) at x. The large scale (logits in the hundreds) is where a
# log-softmax that does not subtract the row's maximum overflows.
OP_CASES = [
    ("log_softmax_small", "log_softmax", (4, 5), 1.0, 3),
    ("log_softmax_wide", "log_softmax", (2, 17), 3.0, 3),
    ("log_softmax_large_logits", "log_softmax", (3, 6), 400.0, 3),
    ("log_softmax_single_row", "log_softmax", (1, 9), 2.0, 2),
]


def op_case(name, op, shape, scale, points, rng):
    fn = {"log_softmax": lambda x: torch.log_softmax(x, dim=-1)}[op]
    case = {"name": name, "op": op, "shape": list(shape), "points": []}
    for _ in range(points):
        x = torch.tensor(rng.normal(size=shape) * scale, requires_grad=True)
        dy = torch.tensor(rng.normal(size=shape))
        y = fn(x)
        (dx,) = torch.autograd.grad(y, x, dy)
        case["points"].append({"x": flat([x]), "dy": flat([dy]), "y": flat([y]), "dx": flat([dx])})
    return case


# The autodiff assignment's ops: (name, op, input shapes, scale, points,
# inputs). "zeros" puts exact zeros in ReLU's input (torch's gradient there
# is 0); "away" keeps it at least 0.2 from the kink, where central
# differences are exact enough for a gradient check. The labels of
# softmax cross-entropy are class indices, stored as floats.
AUTODIFF_CASES = [
    ("matmul_small", "matmul", [(3, 4), (4, 2)], 1.0, 3, None),
    ("matmul_wide", "matmul", [(5, 3), (3, 6)], 1.0, 2, None),
    ("matmul_tiny", "matmul", [(2, 3), (3, 2)], 1.0, 2, None),
    ("relu_zeros", "relu", [(4, 5)], 1.0, 3, "zeros"),
    ("relu_wide", "relu", [(6, 7)], 2.0, 2, "zeros"),
    ("relu_away", "relu", [(3, 4)], 1.0, 2, "away"),
    ("add_small", "add", [(4, 3), (3,)], 1.0, 3, None),
    ("add_wide", "add", [(7, 5), (5,)], 1.0, 2, None),
    ("add_tiny", "add", [(2, 3), (3,)], 1.0, 2, None),
    ("ce_small", "softmax_cross_entropy", [(4, 5), (4,)], 1.0, 3, None),
    ("ce_large_logits", "softmax_cross_entropy", [(3, 4), (3,)], 1000.0, 3, None),
    ("ce_batch", "softmax_cross_entropy", [(8, 6), (8,)], 2.0, 2, None),
    ("ce_tiny", "softmax_cross_entropy", [(2, 3), (2,)], 1.0, 2, None),
]
INPUT_NAMES = {
    "matmul": ["a", "b"],
    "relu": ["x"],
    "add": ["x", "b"],
    "softmax_cross_entropy": ["logits", "labels"],
}


def autodiff_case(name, op, shapes, scale, points, inputs, rng):
    case = {"name": name, "op": op, "names": INPUT_NAMES[op], "shapes": [list(s) for s in shapes], "points": []}
    for _ in range(points):
        if op == "softmax_cross_entropy":
            (n, c), _ = shapes
            z = torch.tensor(rng.normal(size=(n, c)) * scale, requires_grad=True)
            labels = torch.tensor(rng.integers(0, c, size=n))
            xs, wrt = [z, labels.double()], [z]
            y = torch.nn.functional.cross_entropy(z, labels)
        else:
            xs = [torch.tensor(rng.normal(size=s) * scale) for s in shapes]
            if inputs == "zeros":
                xs[0].view(-1)[::3] = 0.0
            elif inputs == "away":
                xs[0] = torch.sign(xs[0]) * (0.2 + xs[0].abs())
            for x in xs:
                x.requires_grad_(True)
            wrt = xs
            y = {"matmul": lambda: xs[0] @ xs[1], "relu": lambda: torch.relu(xs[0]), "add": lambda: xs[0] + xs[1]}[op]()
        dy = torch.tensor(rng.normal(size=tuple(y.shape)))
        grads = torch.autograd.grad(y, wrt, dy)
        grads = list(grads) + [None] * (len(xs) - len(grads))
        case["points"].append({
            "inputs": [flat([x]) for x in xs],
            "dy": flat([dy]),
            "y": flat([y]),
            "grads": [None if g is None else flat([g]) for g in grads],
        })
    return case


# The learning-rate schedules: (name, schedule, epochs, configurations).
# A configuration names torch's hyperparameters (the rest take
# SCHEDULE_DEFAULTS); its point is the hyperparameters in HYPER_ORDER and an
# epoch's validation losses (only reduce_on_plateau reads them), and its
# output torch's learning rate before the first epoch and after each
# scheduler.step().
HYPER_ORDER = ["lr", "step_size", "gamma", "warmup_epochs", "start_factor", "t_max", "eta_min", "factor",
               "patience", "threshold", "cooldown", "min_lr"]
SCHEDULE_DEFAULTS = {"lr": 0.1, "step_size": 1, "gamma": 0.1, "warmup_epochs": 0, "start_factor": 1.0 / 3,
                     "t_max": 1, "eta_min": 0.0, "factor": 0.1, "patience": 10, "threshold": 1e-4, "cooldown": 0,
                     "min_lr": 0.0}
SCHEDULE_CASES = [
    ("step_lr", "step_lr", 20, [dict(lr=0.1, step_size=3, gamma=0.5), dict(lr=1.0, step_size=5, gamma=0.1),
                                dict(lr=0.05, step_size=2, gamma=0.9)]),
    ("step_lr_long", "step_lr", 60, [dict(lr=0.3, step_size=7, gamma=0.7), dict(lr=0.01, step_size=1, gamma=0.95)]),
    ("exponential_lr", "exponential_lr", 15, [dict(lr=0.1, gamma=0.9), dict(lr=1.0, gamma=0.5),
                                              dict(lr=0.02, gamma=0.99)]),
    ("cosine_warmup", "cosine_warmup", 25, [
        dict(lr=0.1, warmup_epochs=5, start_factor=0.1, t_max=20, eta_min=0.001),
        dict(lr=1.0, warmup_epochs=3, start_factor=0.25, t_max=10, eta_min=0.0),
        dict(lr=0.01, warmup_epochs=1, start_factor=0.5, t_max=7, eta_min=1e-4)]),
    ("cosine_warmup_long", "cosine_warmup", 50, [
        dict(lr=0.5, warmup_epochs=10, start_factor=0.01, t_max=40, eta_min=0.005),
        dict(lr=0.2, warmup_epochs=2, start_factor=0.2, t_max=48, eta_min=0.0)]),
    ("reduce_on_plateau", "reduce_on_plateau", 40, [
        dict(lr=0.1, factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=1e-3),
        dict(lr=1.0, factor=0.1, patience=0, threshold=1e-4, cooldown=0, min_lr=0.0),
        dict(lr=0.1, factor=0.3, patience=1, threshold=0.05, cooldown=2, min_lr=0.02)]),
    ("reduce_on_plateau_noisy", "reduce_on_plateau", 60, [
        dict(lr=0.05, factor=0.5, patience=4, threshold=0.001, cooldown=3, min_lr=0.001),
        dict(lr=0.3, factor=0.3, patience=1, threshold=0.02, cooldown=0, min_lr=0.01)]),
]


def losses_with_plateaus(epochs, rng):
    """A validation loss that falls, stalls and falls again, with noise: the
    stalls are what reduce-on-plateau waits for."""
    level, out = 5.0, []
    for t in range(epochs):
        if (t // 8) % 2 == 0:
            level *= 0.93
        out.append(level * (1.0 + 0.02 * rng.normal()))
    return out


def torch_schedule(schedule, opt, h):
    sched = torch.optim.lr_scheduler
    if schedule == "step_lr":
        return sched.StepLR(opt, step_size=h["step_size"], gamma=h["gamma"])
    if schedule == "exponential_lr":
        return sched.ExponentialLR(opt, gamma=h["gamma"])
    if schedule == "cosine_warmup":
        warmup = sched.LinearLR(opt, start_factor=h["start_factor"], end_factor=1.0, total_iters=h["warmup_epochs"])
        cosine = sched.CosineAnnealingLR(opt, T_max=h["t_max"], eta_min=h["eta_min"])
        return sched.SequentialLR(opt, [warmup, cosine], milestones=[h["warmup_epochs"]])
    return sched.ReduceLROnPlateau(opt, mode="min", factor=h["factor"], patience=h["patience"],
                                   threshold=h["threshold"], threshold_mode="rel", cooldown=h["cooldown"],
                                   min_lr=h["min_lr"])


def schedule_case(name, schedule, epochs, configs, rng):
    case = {"name": name, "op": schedule, "names": ["hyper", "losses"],
            "shapes": [[len(HYPER_ORDER)], [epochs]], "points": []}
    for config in configs:
        h = dict(SCHEDULE_DEFAULTS, **config)
        losses = losses_with_plateaus(epochs, rng)
        param = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([param], lr=h["lr"])
        s = torch_schedule(schedule, opt, h)
        lrs = [opt.param_groups[0]["lr"]]
        for loss in losses:
            opt.step()
            if schedule == "reduce_on_plateau":
                s.step(loss)
            else:
                s.step()
            lrs.append(opt.param_groups[0]["lr"])
        case["points"].append({"inputs": [[float(h[k]) for k in HYPER_ORDER], losses], "dy": [], "y": lrs,
                               "grads": [None, None]})
    return case


_rng = np.random.default_rng(20261130)
LSQ_X = torch.tensor(_rng.normal(size=(24, 3)))
LSQ_Y = LSQ_X @ torch.tensor([1.5, -2.0, 0.5]) + 0.3 + 0.1 * torch.tensor(_rng.normal(size=24))
MLP_X = torch.tensor(_rng.normal(size=(16, 2)))
MLP_Y = torch.sin(2 * MLP_X[:, 0]) + MLP_X[:, 1] ** 2


def least_squares(params):
    w, b = params
    r = LSQ_X @ w + b - LSQ_Y
    return (r * r).mean()


def mlp(params):
    """2-4-1 tanh network, mean squared error on 16 fixed points."""
    w1, b1, w2, b2 = params
    h = torch.tanh(MLP_X @ w1.T + b1)
    return ((h @ w2.T + b2).squeeze(1) - MLP_Y).pow(2).mean()


def mlp_start():
    g = np.random.default_rng(7)
    return [g.normal(size=(4, 2)) * 0.5, g.normal(size=4) * 0.1, g.normal(size=(1, 4)) * 0.5, g.normal(size=1) * 0.1]


# The data of the problems that have some (sent to a free-running student).
DATA = {
    "least_squares": (LSQ_X, LSQ_Y),
    "mlp": (MLP_X, MLP_Y),
}

PROBLEMS = {
    "quadratic": (quadratic, lambda: [[-5.0, -2.0]]),
    "rosenbrock": (rosenbrock, lambda: [[-1.5, 2.0]]),
    "least_squares": (least_squares, lambda: [[0.0, 0.0, 0.0], [0.0]]),
    "mlp": (mlp, mlp_start),
}

# (name, problem, torch class, descent Hyper fields)
CASES = [
    ("adam_quadratic", "quadratic", "Adam", {"lr": 0.05}),
    ("adam_rosenbrock", "rosenbrock", "Adam", {"lr": 0.01}),
    ("adam_least_squares", "least_squares", "Adam", {"lr": 0.05}),
    ("adam_mlp", "mlp", "Adam", {"lr": 0.05}),
    ("adam_large_eps", "mlp", "Adam", {"lr": 0.05, "eps": 1e-3}),
    ("adam_weight_decay", "least_squares", "Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("adamw_least_squares", "least_squares", "AdamW", {"lr": 0.05, "weight_decay": 0.1, "decoupled": True}),
    ("amsgrad_rosenbrock", "rosenbrock", "Adam", {"lr": 0.01, "amsgrad": True}),
    ("amsgrad_mlp", "mlp", "Adam", {"lr": 0.05, "amsgrad": True}),
    ("momentum_quadratic", "quadratic", "SGD", {"lr": 0.05, "momentum": 0.9}),
    ("momentum_rosenbrock", "rosenbrock", "SGD", {"lr": 1e-4, "momentum": 0.9}),
    ("momentum_weight_decay", "least_squares", "SGD", {"lr": 0.02, "momentum": 0.9, "weight_decay": 0.1}),
    ("nesterov_quadratic", "quadratic", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("nesterov_mlp", "mlp", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("rmsprop_quadratic", "quadratic", "RMSprop", {"lr": 0.01}),
    ("rmsprop_rosenbrock", "rosenbrock", "RMSprop", {"lr": 0.001}),
    ("rmsprop_large_eps", "mlp", "RMSprop", {"lr": 0.01, "eps": 1e-2}),
    ("rmsprop_centered_least_squares", "least_squares", "RMSprop", {"lr": 0.01, "centered": True}),
    ("rmsprop_weight_decay", "least_squares", "RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("rmsprop_mlp", "mlp", "RMSprop", {"lr": 0.01}),
    ("rmsprop_centered_mlp", "mlp", "RMSprop", {"lr": 0.01, "centered": True}),
    ("adagrad_quadratic", "quadratic", "Adagrad", {"lr": 0.5, "eps": 1e-10}),
    ("adagrad_rosenbrock", "rosenbrock", "Adagrad", {"lr": 0.05, "eps": 1e-10}),
    ("adagrad_large_eps", "mlp", "Adagrad", {"lr": 0.1, "eps": 1e-2}),
    ("adagrad_lr_decay", "least_squares", "Adagrad", {"lr": 0.5, "eps": 1e-10, "lr_decay": 0.05}),
    ("adagrad_initial_accumulator", "least_squares", "Adagrad",
     {"lr": 0.5, "eps": 1e-10, "initial_accumulator_value": 0.1}),
    ("adagrad_weight_decay", "least_squares", "Adagrad", {"lr": 0.5, "eps": 1e-10, "weight_decay": 0.1}),
    ("adagrad_mlp", "mlp", "Adagrad", {"lr": 0.1, "eps": 1e-10}),
    ("adadelta_quadratic", "quadratic", "Adadelta", {"lr": 1.0, "eps": 1e-2}),
    ("adadelta_rosenbrock", "rosenbrock", "Adadelta", {"lr": 1.0, "eps": 1e-4}),
    ("adadelta_paper", "least_squares", "Adadelta", {"lr": 1.0, "rho": 0.95, "eps": 1e-6}),
    ("adadelta_lr", "least_squares", "Adadelta", {"lr": 0.5, "eps": 1e-3}),
    ("adadelta_weight_decay", "least_squares", "Adadelta", {"lr": 1.0, "eps": 1e-3, "weight_decay": 0.1}),
    ("adadelta_mlp", "mlp", "Adadelta", {"lr": 1.0, "eps": 1e-3}),
]

HYPER_DEFAULTS = {
    "lr": 0.01,
    "betas": [0.9, 0.999],
    "eps": 1e-8,
    "weight_decay": 0.0,
    "momentum": 0.0,
    "nesterov": False,
    "amsgrad": False,
    "decoupled": False,
    "maximize": False,
}


# The hyperparameters only RMSprop, Adagrad and Adadelta have (written only in their
# cases, so the other assignments' data stay as they were).
EXTRA_DEFAULTS = {
    "alpha": 0.99,
    "centered": False,
    "lr_decay": 0.0,
    "initial_accumulator_value": 0.0,
}


def torch_optimizer(cls, params, h):
    if cls == "RMSprop":
        return torch.optim.RMSprop(params, lr=h["lr"], alpha=h["alpha"], eps=h["eps"], weight_decay=h["weight_decay"],
                                   momentum=h["momentum"], centered=h["centered"], maximize=h["maximize"],
                                   foreach=False)
    if cls == "Adadelta":
        return torch.optim.Adadelta(params, lr=h["lr"], rho=h["rho"], eps=h["eps"], weight_decay=h["weight_decay"],
                                    maximize=h["maximize"], foreach=False)
    if cls == "Adagrad":
        return torch.optim.Adagrad(params, lr=h["lr"], lr_decay=h["lr_decay"], weight_decay=h["weight_decay"],
                                   initial_accumulator_value=h["initial_accumulator_value"], eps=h["eps"],
                                   maximize=h["maximize"], foreach=False)
    if cls == "SGD":
        return torch.optim.SGD(params, lr=h["lr"], momentum=h["momentum"], weight_decay=h["weight_decay"],
                               nesterov=h["nesterov"], maximize=h["maximize"], foreach=False)
    kwargs = dict(lr=h["lr"], betas=tuple(h["betas"]), eps=h["eps"], weight_decay=h["weight_decay"],
                  amsgrad=h["amsgrad"], maximize=h["maximize"], foreach=False)
    return (torch.optim.AdamW if cls == "AdamW" else torch.optim.Adam)(params, **kwargs)


def flat(tensors):
    return [float(v) for t in tensors for v in t.detach().reshape(-1).tolist()]


def run(name, problem, cls, overrides):
    extra = EXTRA_DEFAULTS if cls in ("RMSprop", "Adagrad", "Adadelta") else {}
    if cls == "Adadelta":
        extra = {**extra, "rho": 0.9}
    h = {**HYPER_DEFAULTS, **extra, **overrides}
    f, start = PROBLEMS[problem]
    params = [torch.tensor(np.asarray(p, dtype=np.float64), requires_grad=True) for p in start()]
    opt = torch_optimizer(cls, params, h)
    case = {"name": name, "problem": problem, "optimizer": cls, "hyper": h, "params0": flat(params),
            "grads": [], "params": [], "state": [], "losses": []}
    if problem in DATA:
        x, y = DATA[problem]
        case["x"], case["y"] = flat([x]), flat([y])
    for _ in range(STEPS):
        opt.zero_grad()
        loss = f(params)
        case["losses"].append(float(loss.detach()))
        loss.backward()
        case["grads"].append(flat([p.grad for p in params]))
        opt.step()
        case["params"].append(flat(params))
        names = [k for k in opt.state[params[0]] if k != "step"]
        case["state"].append({k: flat([opt.state[p][k] for p in params]) for k in names})
    with torch.no_grad():
        case["losses"].append(float(f(params)))
    return case


def main():
    cases = [run(*c) for c in CASES]
    rng = np.random.default_rng(20261201)
    op_cases = [op_case(*c, rng) for c in OP_CASES]
    # Their own generator: the cases before them stay as they were.
    autodiff_rng = np.random.default_rng(20261205)
    op_cases += [autodiff_case(*c, autodiff_rng) for c in AUTODIFF_CASES]
    schedule_rng = np.random.default_rng(20261206)
    op_cases += [schedule_case(*c, schedule_rng) for c in SCHEDULE_CASES]
    meta = {"generator": "scripts/golden/grading.py", "torch": torch.__version__, "steps": STEPS}
    with open(OUT, "w") as fh:
        json.dump({"meta": meta, "cases": cases, "op_cases": op_cases}, fh)
    print(f"wrote {len(cases)} cases and {len(op_cases)} op cases to {os.path.normpath(OUT)}")
    for name, kinds in ASSIGNMENTS.items():
        path = os.path.join(ROOT, "crates", "grader", "assignments", name, "hidden", "reference.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mine = [c for c in cases if c["optimizer"] in kinds]
        ops = [c for c in op_cases if c["op"] in kinds]
        with open(path, "w") as fh:
            json.dump({"meta": meta, "cases": mine, "op_cases": ops}, fh)
        print(f"wrote {len(mine)} cases and {len(ops)} op cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
