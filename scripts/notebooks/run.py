#!/usr/bin/env python3
"""Execute descent's notebooks headlessly with the evcxr Rust kernel and check them.

For every notebook (by default all of notebooks/*.ipynb, in reading order,
then the notebook exercises' reference solutions,
crates/grader/assignments/*/solution/*.ipynb):

- every code cell runs (nbclient, the `rust` kernel, a per-cell timeout);
  an error output, or anything a cell writes to stderr (evcxr reports a
  panic or an `Err` from `?` there without failing the cell), fails it;
- every cell tagged `chart` shows an SVG with drawn data (image/svg+xml with
  a <polyline>, <path> or <polygon>), every cell tagged `table` an HTML table;
- every code cell follows a markdown cell (a heading and an explanation).

With --write the executed notebooks are saved in place (with their outputs),
which is how the committed notebooks are regenerated after a change.

With --warm nothing is checked: two sessions run the `:dep` cells of the
notebooks, the core and its charts (`descent`, `descent-plot`: notebooks 1
to 5), then the lab (`descent-lab`: notebooks 6 to 9), so that they and
their dependencies are compiled in the shared build directory (and registry
crates in evcxr's cache) before a reader opens a notebook; a kernel started
as README says (same EVCXR_CONFIG_DIR and EVCXR_TMPDIR) then finds them
built. scripts/notebooks/setup calls it; `--warm core` warms only the first.

The kernel's caches, so that a second run on the same machine is fast:
EVCXR_CONFIG_DIR points at notebooks/evcxr (its init.evcxr turns on evcxr's
compilation cache for registry crates, kept in ~/.cache/evcxr), and
EVCXR_TMPDIR at one persistent build directory, shared by the notebooks run
one after another, so descent itself is compiled once, not once per notebook.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
DRAWN = ("<polyline", "<path", "<polygon")


def problems_of(nb):
    """What is wrong with an executed notebook: a list of messages."""
    problems = []
    previous = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            previous = cell
            continue
        first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        where = f"cell {index} ({first[:60]!r})"
        if previous is None or previous.cell_type != "markdown":
            problems.append(f"{where}: no markdown cell explains it")
        previous = cell
        tags = set(cell.metadata.get("tags", []))
        svgs, tables, stderr = [], [], ""
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"{where}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                stderr += out.text
            elif out.output_type in ("display_data", "execute_result"):
                data = out.get("data", {})
                if "image/svg+xml" in data:
                    svgs.append(data["image/svg+xml"])
                if "text/html" in data:
                    tables.append(data["text/html"])
        if stderr.strip():
            problems.append(f"{where}: wrote to stderr:\n        " + stderr.strip()[:1500].replace("\n", "\n        "))
        if "chart" in tags and not any(s.lstrip().startswith("<svg") and any(d in s for d in DRAWN) for s in svgs):
            problems.append(f"{where}: tagged chart but shows no SVG with drawn data")
        if "table" in tags and not any("<table" in t for t in tables):
            problems.append(f"{where}: tagged table but shows no HTML table")
    return problems


def run(path, timeout, write):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="rust",
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.monotonic()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        return [f"execution stopped: {type(e).__name__}: {str(e)[:2000]}"], time.monotonic() - started
    elapsed = time.monotonic() - started
    problems = problems_of(nb)
    # The executed copy, for reading what went wrong (or right).
    executed = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "notebooks" / path.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed)
    if problems:
        print(f"    executed copy: {executed}", flush=True)
    if write and not problems:
        tmp = path.with_suffix(".ipynb.tmp")
        nbformat.write(nb, tmp)
        os.replace(tmp, path)
    return problems, elapsed


# The `:dep` cells of the notebooks: the core and its charts (notebooks 1-5),
# and the lab besides (6-9), without its download feature.
CORE_DEPS = [
    ':dep descent = { path = "../crates/descent" }',
    ':dep descent-plot = { path = "../crates/plot" }',
]
LAB_DEPS = CORE_DEPS + [':dep descent-lab = { path = "..", default-features = false }']


def warm(deps, check, timeout):
    """Runs `deps` once in a fresh kernel, then `check`; returns seconds taken."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("\n".join(deps)), nbformat.v4.new_code_cell(check)]
    client = NotebookClient(nb, kernel_name="rust", timeout=timeout, resources={"metadata": {"path": str(NOTEBOOKS)}})
    started = time.monotonic()
    client.execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    errors += [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream" and o.name == "stderr"]
    if errors:
        sys.exit(f"warming the kernel's cache failed: {errors[0]}")
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: notebooks/*.ipynb and crates/grader/assignments/*/solution/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per cell (default 1200: the first cell compiles descent)")
    parser.add_argument("--write", action="store_true", help="save the executed notebooks in place")
    parser.add_argument("--warm", nargs="?", const="all", choices=["all", "core"], help="only fill evcxr's compilation cache (set-up): the core's notebooks, or all")
    args = parser.parse_args()

    paths = [p.resolve() for p in args.notebooks] or (
        sorted(NOTEBOOKS.glob("[0-9]*.ipynb")) + sorted((ROOT / "crates" / "grader" / "assignments").glob("*/solution/*.ipynb"))
    )
    if not paths:
        sys.exit(f"no notebooks found in {NOTEBOOKS}")
    os.environ.setdefault("EVCXR_CONFIG_DIR", str(NOTEBOOKS / "evcxr"))
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "descent" / "evcxr-build"
    os.environ.setdefault("EVCXR_TMPDIR", str(cache))
    Path(os.environ["EVCXR_TMPDIR"]).mkdir(parents=True, exist_ok=True)
    # evcxr links each cell against the toolchain's dynamic libstd through a
    # relative RUNPATH computed for target/.../deps; the copy it loads sits one
    # directory up, so when the build directory shares a prefix with the
    # toolchain (both under $HOME) the relative path misses and dlopen fails.
    # Naming the directory outright makes the location irrelevant.
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True, check=True).stdout.strip()
    host = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    triple = next(line.split(": ", 1)[1] for line in host.splitlines() if line.startswith("host: "))
    libstd = str(Path(sysroot) / "lib" / "rustlib" / triple / "lib")
    os.environ["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [libstd, os.environ.get("LD_LIBRARY_PATH")]))

    if args.warm:
        seconds = warm(CORE_DEPS, "descent::optim::OPTIMIZER_NAMES.len()", args.timeout)
        print(f"warmed evcxr's compilation cache for the core's notebooks in {seconds:.0f} s", flush=True)
        if args.warm == "all":
            seconds = warm(LAB_DEPS, "descent_lab::experiments::EXPERIMENTS.len()", args.timeout)
            print(f"warmed evcxr's compilation cache for the lab's notebooks in {seconds:.0f} s", flush=True)
        return

    failed = 0
    total = time.monotonic()
    for path in paths:
        print(f"--> {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
        problems, elapsed = run(path, args.timeout, args.write)
        for p in problems:
            print(f"    FAIL {p}", flush=True)
        print(f"    {'ok' if not problems else 'FAILED'} in {elapsed:.0f} s", flush=True)
        failed += bool(problems)
    print(f"{len(paths) - failed} of {len(paths)} notebooks ok in {time.monotonic() - total:.0f} s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
