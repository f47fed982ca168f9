"""Keeps a reused cargo target directory from growing without bound.

Every commit compiles descent's own crates (the library, its binaries,
tests, benchmarks and examples) again under a new hash, and cargo never
deletes the old ones: over a few dozen CI runs on one machine the target
directory grew to tens of GB and filled the disk, and the linker died with a
Bus error. This removes, in each profile's `deps/` and `examples/`, the
builds of descent's own targets that are more than an hour older than the
newest build of the same name (one name can have two current builds, e.g.
`report` the binary and `report` the test, made minutes apart); the
dependencies' builds, which later runs reuse, are left alone.

    python3 scripts/ci/prune_target.py TARGET_DIR

Standard library only. Prints what it freed.
"""

import collections
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Builds of one name this close to its newest are current, not stale.
KEEP_SECONDS = 3600


def own_targets():
    """Names of the workspace's crates and targets as cargo writes them (`-`
    becomes `_`): each crate's library, binaries, tests, benchmarks and
    examples."""
    names = set()
    crates = [ROOT] + [os.path.join(ROOT, "crates", c) for c in sorted(os.listdir(os.path.join(ROOT, "crates")))]
    for crate in crates:
        manifest = os.path.join(crate, "Cargo.toml")
        if not os.path.isfile(manifest):
            continue
        with open(manifest) as f:
            for line in f:
                if line.startswith("name = "):
                    name = line.split('"')[1].replace("-", "_")
                    names.update({name, "lib" + name})
                    break
        for folder in ("src/bin", "tests", "benches", "examples"):
            path = os.path.join(crate, folder)
            if os.path.isdir(path):
                names.update(f[:-3].replace("-", "_") for f in os.listdir(path) if f.endswith(".rs"))
    return names


def prune(folder, names):
    """Removes the stale builds of each own target; returns bytes freed."""
    builds = collections.defaultdict(lambda: collections.defaultdict(list))
    for name in os.listdir(folder):
        stem, _, hashed = name.split(".")[0].rpartition("-")
        if stem in names and hashed:
            builds[stem][hashed].append(os.path.join(folder, name))
    freed = 0
    for versions in builds.values():
        built = {h: max(os.stat(f).st_mtime for f in files) for h, files in versions.items()}
        newest = max(built.values())
        for hashed, files in versions.items():
            if built[hashed] > newest - KEEP_SECONDS:
                continue
            for path in files:
                freed += os.stat(path).st_size
                os.remove(path)
    return freed


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: prune_target.py TARGET_DIR")
    target = sys.argv[1]
    if not os.path.isdir(target):
        return
    names = own_targets()
    freed = 0
    for profile in sorted(os.listdir(target)):
        for kind in ("deps", "examples"):
            folder = os.path.join(target, profile, kind)
            if os.path.isdir(folder):
                freed += prune(folder, names)
    print(f"pruned old builds of descent's own targets from {target}: {freed / 1e9:.2f} GB freed")


if __name__ == "__main__":
    main()
