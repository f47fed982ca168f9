#!/usr/bin/env bash
# Grades 100 submissions of one assignment (default: adam) with `grade run
# --jobs 2` and prints the wall time (README's grading benchmark). The
# submissions are the assignment's sample corpus
# (crates/grader/tests/submissions/NAME/) and its reference solution
# repeated, each copy with a comment that makes it a distinct file. For
# adam, one of them loops forever, so one run is killed at the assignment's
# 10 s limit; the training assignment needs MNIST (MNIST_DIR) and takes
# samples that finish (its endless one would take the 30 s limit twice).
#   scripts/bench/grade_100.sh [ASSIGNMENT] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
name="${1:-adam}"
out="${2:-$(mktemp -d)}"
subs="$out/submissions"
rm -rf "$subs" "$out/grades"
mkdir -p "$subs"
assignment="crates/grader/assignments/$name"
corpus=()
for f in "$assignment"/solution/solution.rs "$assignment"/solution/solution.ipynb \
    crates/grader/tests/submissions/"$name"/*.rs crates/grader/tests/submissions/"$name"/*.ipynb; do
    [ -f "$f" ] || continue
    case "$(basename "$f")" in loops_forever.rs | training_endless.rs) continue ;; esac
    corpus+=("$f")
done
first=1
if [ "$name" = adam ]; then
    cp crates/grader/tests/submissions/adam/loops_forever.rs "$subs/student_000.rs"
else
    first=0
fi
for i in $(seq "$first" 99); do
    src="${corpus[$((i % ${#corpus[@]}))]}"
    ext="${src##*.}"
    if [ "$ext" = ipynb ]; then
        sed "0,/\"cells\"/s//\"student\": $i, \"cells\"/" "$src" > "$subs/$(printf 'student_%03d' "$i").ipynb"
    else
        { echo "// student $i"; cat "$src"; } > "$subs/$(printf 'student_%03d' "$i").rs"
    fi
done
cargo build --release --bin grade -q
start=$(date +%s.%N)
"${CARGO_TARGET_DIR:-target}/release/grade" run "$assignment" "$subs" --out "$out/grades" --jobs 2 > "$out/grade.log"
end=$(date +%s.%N)
printf '100 submissions of %s graded in %.1f s with --jobs 2 (%s)\n' "$name" "$(echo "$end - $start" | bc)" "$out/grades"
