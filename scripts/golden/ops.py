"""Golden values for descent's autodiff ops, produced by PyTorch.

Writes crates/descent/tests/golden/ops.json: for each case, the inputs, the upstream
gradient `r` (the backward pass starts from L = sum(y * r)), the forward
output and the gradient of L with respect to every input, in float32 and
float64; and, under "edges", ReLU at NaN, -0 and infinities, its values
written as text. The Rust tests (crates/descent/tests/golden_ops.rs) replay
every case and compare.

Run:  pip install torch numpy && python scripts/golden/ops.py
CI does not run this script; its output is committed.
"""

import json
import pathlib
import platform

import torch
import torch.nn.functional as F

OUT = pathlib.Path(__file__).resolve().parents[2] / "crates" / "descent" / "tests" / "golden" / "ops.json"
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def tensor_json(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def run_case(name, op, fn, inputs, params, dtype, labels=None, extra=None):
    """Evaluates fn(*inputs) in `dtype`, backpropagates sum(y * r), records all."""
    leaves = {k: v.to(DTYPES[dtype]).clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves)
    g = torch.Generator().manual_seed(len(name) * 7919)
    r = torch.randn(y.shape, generator=g, dtype=torch.float64).to(DTYPES[dtype])
    (y * r).sum().backward()
    case = {
        "name": name,
        "op": op,
        "dtype": dtype,
        "params": params,
        "inputs": {k: tensor_json(v) for k, v in leaves.items()},
        "upstream": tensor_json(r),
        "output": tensor_json(y),
        "grads": {k: tensor_json(v.grad) for k, v in leaves.items()},
    }
    if labels is not None:
        case["labels"] = labels
    if extra is not None:
        case.update(extra(DTYPES[dtype]))
    return case


def main():
    torch.manual_seed(0)
    cases = []
    for dtype in DTYPES:
        # conv2d: stride and padding, with and without bias.
        for i, (stride, padding, xs, ws, bias) in enumerate(
            [
                ((1, 1), (0, 0), (2, 3, 7, 6), (4, 3, 3, 3), True),
                ((2, 2), (1, 1), (2, 3, 7, 6), (4, 3, 3, 3), True),
                ((2, 1), (2, 0), (1, 2, 6, 8), (3, 2, 5, 2), False),
                ((1, 1), (0, 0), (3, 1, 12, 12), (4, 1, 5, 5), True),
            ]
        ):
            inputs = {"x": torch.randn(xs, dtype=torch.float64), "w": torch.randn(ws, dtype=torch.float64)}
            if bias:
                inputs["b"] = torch.randn(ws[0], dtype=torch.float64)
            fn = (lambda x, w, b, s=stride, p=padding: F.conv2d(x, w, b, s, p)) if bias else (
                lambda x, w, s=stride, p=padding: F.conv2d(x, w, None, s, p)
            )
            cases.append(run_case(f"conv2d_{i}", "conv2d", fn, inputs, {"stride": list(stride), "padding": list(padding)}, dtype))

        # max_pool2d: distinct values, overlapping windows, and ties (small integers).
        for i, (kernel, stride, xs, ties) in enumerate(
            [((2, 2), (2, 2), (2, 3, 6, 6), False), ((3, 3), (2, 1), (1, 2, 7, 6), False), ((2, 2), (1, 1), (2, 2, 5, 5), True)]
        ):
            x = torch.randint(0, 3, xs).double() if ties else torch.randn(xs, dtype=torch.float64)
            fn = lambda x, k=kernel, s=stride: F.max_pool2d(x, k, s)
            cases.append(run_case(f"max_pool2d_{i}", "max_pool2d", fn, {"x": x}, {"kernel": list(kernel), "stride": list(stride)}, dtype))

        # cross-entropy: ordinary logits, then extreme ones.
        for i, scale in enumerate([1.0, 300.0]):
            x = torch.randn(6, 5, dtype=torch.float64) * scale
            labels = torch.randint(0, 5, (6,))
            fn = lambda x, l=labels: F.cross_entropy(x, l)
            cases.append(run_case(f"cross_entropy_{i}", "cross_entropy", fn, {"x": x}, {}, dtype, labels.tolist()))

        # log_softmax along the last axis.
        x = torch.randn(4, 7, dtype=torch.float64) * 3
        cases.append(run_case("log_softmax_0", "log_softmax", lambda x: torch.log_softmax(x, -1), {"x": x}, {}, dtype))

        # batch_norm in training mode: (N, C), (N, C, L) and (N, C, H, W),
        # with a non-trivial affine part.
        for i, xs in enumerate([(6, 4), (4, 3, 5), (3, 2, 4, 5)]):
            c = xs[1]
            inputs = {
                "x": torch.randn(xs, dtype=torch.float64) * 2 + 1,
                "w": torch.randn(c, dtype=torch.float64),
                "b": torch.randn(c, dtype=torch.float64),
            }
            fn = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=1e-5)
            cases.append(run_case(f"batch_norm_{i}", "batch_norm", fn, inputs, {"dims": [len(xs) - 2 or 1]}, dtype))

        # batch_norm's running statistics: an nn.BatchNorm2d trained on two
        # batches (momentum 0.1, unbiased running variance), then evaluated.
        batches = [torch.randn(4, 3, 5, 5, dtype=torch.float64) * s + m for s, m in [(2.0, 1.0), (0.5, -3.0)]]
        inputs = {
            "x": torch.randn(2, 3, 5, 5, dtype=torch.float64),
            "w": torch.randn(3, dtype=torch.float64),
            "b": torch.randn(3, dtype=torch.float64),
        }

        def bn_eval(x, w, b, batches=batches):
            bn = torch.nn.BatchNorm2d(3).to(x.dtype)
            with torch.no_grad():
                for batch in batches:
                    bn(batch.to(x.dtype))
            bn.eval()
            bn_eval.buffers = {k: tensor_json(v) for k, v in bn.state_dict().items() if k.startswith("running")}
            return F.batch_norm(x, bn.running_mean, bn.running_var, w, b, training=False, eps=bn.eps)

        def bn_extra(dt, batches=batches):
            return {"data": {f"batch{j}": tensor_json(b.to(dt)) for j, b in enumerate(batches)}, "buffers": bn_eval.buffers}

        cases.append(run_case("batch_norm_running_0", "batch_norm_running", bn_eval, inputs, {}, dtype, extra=bn_extra))

        # layer_norm over the last one and the last two axes.
        for i, (xs, k) in enumerate([((5, 6), 1), ((2, 3, 4, 5), 2)]):
            normalized = xs[-k:]
            inputs = {
                "x": torch.randn(xs, dtype=torch.float64) * 3 - 1,
                "w": torch.randn(normalized, dtype=torch.float64),
                "b": torch.randn(normalized, dtype=torch.float64),
            }
            fn = lambda x, w, b, s=normalized: F.layer_norm(x, s, w, b, eps=1e-5)
            cases.append(run_case(f"layer_norm_{i}", "layer_norm", fn, inputs, {"normalized": list(normalized)}, dtype))

        # A small MLP, forward and backward: 6 -> 16 -> ReLU -> 3, cross-entropy.
        labels = torch.randint(0, 3, (8,))
        inputs = {
            "x": torch.randn(8, 6, dtype=torch.float64),
            "w1": torch.randn(16, 6, dtype=torch.float64) * 0.5,
            "b1": torch.randn(16, dtype=torch.float64) * 0.1,
            "w2": torch.randn(3, 16, dtype=torch.float64) * 0.5,
            "b2": torch.randn(3, dtype=torch.float64) * 0.1,
        }

        def mlp(x, w1, b1, w2, b2, l=labels):
            return F.cross_entropy(F.linear(torch.relu(F.linear(x, w1, b1)), w2, b2), l)

        cases.append(run_case("mlp_0", "mlp", mlp, inputs, {}, dtype, labels.tolist()))

    # ReLU at the edges of IEEE arithmetic: NaN, -0, infinities, and
    # infinite or NaN gradients where the output is 0. JSON has no NaN or
    # infinity, so these values are written as Python's repr ("nan", "-0.0").
    edges = []
    nan, inf = float("nan"), float("inf")
    for dtype in DTYPES:
        x = torch.tensor([nan, -0.0, 0.0, -1.0, 2.0, inf, -inf, -3.0, 4.0, nan], dtype=DTYPES[dtype], requires_grad=True)
        r = torch.tensor([1.0, inf, nan, inf, nan, -0.0, 5.0, -3.0, -2.0, -inf], dtype=DTYPES[dtype])
        y = torch.relu(x)
        y.backward(r)
        texts = lambda t: [repr(float(v)) for v in t.detach().reshape(-1).tolist()]
        edges.append(
            {"name": "relu_edges", "op": "relu", "dtype": dtype, "x": texts(x), "upstream": texts(r), "output": texts(y), "grad": texts(x.grad)}
        )

    OUT.parent.mkdir(parents=True, exist_ok=True)
    meta = {"generator": "scripts/golden/ops.py", "torch": torch.__version__, "python": platform.python_version()}
    OUT.write_text(json.dumps({"meta": meta, "cases": cases, "edges": edges}, indent=None))
    print(f"wrote {len(cases)} cases and {len(edges)} edge cases to {OUT}")


if __name__ == "__main__":
    main()
