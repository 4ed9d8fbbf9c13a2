#!/usr/bin/env bash
# Fuzzing acceptance of issue 11: mutates the shipped samples (tests/data/*) of every reader and
# runs each mutated copy through `avfit convert` (tests/fuzz.rs, test `fuzz_many`).
#
#   bench/fuzz.sh [CASES [SEED [JOBS]]]     defaults: 10000 cases, seed 1, 2 parallel runs
#
# Fails on any crash, a case over 60 s, an avfit process over 512 MiB resident, an error of more
# than one line, or a run whose manifest breaks read = used + rejected + skipped; each failure is
# one `FAIL case N <source> <mutation> <file>: <why>` line. The last line is the summary recorded
# in docs/FUZZ.md (cases, time, outcome counts, slowest case, largest RSS of an avfit run).
set -euo pipefail
cd "$(dirname "$0")/.."
export AVFIT_FUZZ_CASES="${1:-10000}" AVFIT_FUZZ_SEED="${2:-1}" AVFIT_FUZZ_JOBS="${3:-2}"
CARGO_INCREMENTAL=1 cargo test --release --test fuzz -- --ignored fuzz_many --nocapture --test-threads 1 2>&1 |
    grep -E '^(FAIL|fuzz:|test result)|panicked'
