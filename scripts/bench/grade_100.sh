#!/usr/bin/env bash
# Grades 100 submissions of the Adam assignment with `grade run --jobs 2`
# and prints the wall time (README's grading benchmark). The submissions
# are the sample corpus (crates/grader/tests/submissions/adam/ and the reference
# solution) repeated, each copy with a comment that makes it a distinct
# file; one of them loops forever, so one run is killed at the assignment's
# 10 s limit.
#   scripts/bench/grade_100.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-$(mktemp -d)}"
subs="$out/submissions"
rm -rf "$subs" "$out/grades"
mkdir -p "$subs"
corpus=(crates/grader/assignments/adam/solution/solution.rs)
for f in crates/grader/tests/submissions/adam/*.rs; do
    [ "$(basename "$f")" = loops_forever.rs ] || corpus+=("$f")
done
cp crates/grader/tests/submissions/adam/loops_forever.rs "$subs/student_000.rs"
for i in $(seq 1 99); do
    src="${corpus[$((i % ${#corpus[@]}))]}"
    { echo "// student $i"; cat "$src"; } > "$subs/$(printf 'student_%03d' "$i").rs"
done
cargo build --release --bin grade -q
start=$(date +%s.%N)
"${CARGO_TARGET_DIR:-target}/release/grade" run crates/grader/assignments/adam "$subs" --out "$out/grades" --jobs 2 > "$out/grade.log"
end=$(date +%s.%N)
printf '100 submissions graded in %.1f s with --jobs 2 (%s)\n' "$(echo "$end - $start" | bc)" "$out/grades"
