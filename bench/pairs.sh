#!/usr/bin/env bash
# Paired timing for a shared machine (issue 17):
# `bench/pairs.sh N OUT [--clean PATH]... -- CMD_A... -- CMD_B...` runs each command once as a
# warm-up, then N times in turn (A B A B ...), each under /usr/bin/time, and writes to OUT one
# line "<key> <value>" per figure: a_wall, a_cpu (user + system seconds), a_rss (peak KiB) and the
# same for b (medians over the N runs), ratio_wall, ratio_cpu: the medians of the per-pair
# ratios B/A (how many times A is faster), and ratio_wall_range: the lowest and highest per-pair
# wall ratio, "MIN-MAX". A ratio whose A side took 0.00 s is printed as 0.
# Before every run, untimed, each PATH given with --clean is removed (`rm -rf`: the outputs of the
# run before, so that no command is timed deleting or truncating another run's files) and `sync`
# writes back what the run before left in the page cache.
# Commands' stdout is discarded; a failing command stops the script (exit 1) with its stderr.
set -euo pipefail
usage() { echo "usage: bench/pairs.sh N OUT [--clean PATH]... -- CMD_A... -- CMD_B..." >&2; exit 2; }
[ $# -ge 2 ] || usage
n="$1" out="$2"
shift 2
clean=()
while [ "${1:-}" = "--clean" ] && [ $# -ge 2 ]; do clean+=("$2"); shift 2; done
[ "${1:-}" = "--" ] || usage
shift
a=() b=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do a+=("$1"); shift; done
# No second `--` (a bare `shift` would end the script silently under set -e), or an empty side.
[ $# -gt 0 ] || usage
shift
b=("$@")
[ ${#a[@]} -gt 0 ] && [ ${#b[@]} -gt 0 ] || usage
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
one() { # one FILE CMD...: appends "wall cpu rss" of one run of CMD to FILE
  local file="$1"
  shift
  [ ${#clean[@]} -eq 0 ] || rm -rf -- "${clean[@]}" # `--`: a PATH starting with - is a path, not an option
  sync
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$@" > /dev/null 2> "$tmp/err" || { cat "$tmp/err" >&2; echo "pairs: $* failed" >&2; exit 1; }
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$tmp/t" >> "$file"
}
one "$tmp/warm" "${a[@]}"
one "$tmp/warm" "${b[@]}"
for ((i = 0; i < n; i++)); do
  one "$tmp/a" "${a[@]}"
  one "$tmp/b" "${b[@]}"
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
# Per pair, B's wall and CPU seconds over A's (0 where A's rounds to 0.00), once for every figure.
paste -d' ' "$tmp/a" "$tmp/b" | awk '{ printf "%.4f %.4f\n", ($1 > 0 ? $4 / $1 : 0), ($2 > 0 ? $5 / $2 : 0) }' > "$tmp/ratios"
{
  for side in a b; do
    echo "${side}_wall $(cut -d' ' -f1 "$tmp/$side" | median)"
    echo "${side}_cpu $(cut -d' ' -f2 "$tmp/$side" | median)"
    echo "${side}_rss $(cut -d' ' -f3 "$tmp/$side" | median)"
  done
  echo "ratio_wall $(cut -d' ' -f1 "$tmp/ratios" | median)"
  echo "ratio_cpu $(cut -d' ' -f2 "$tmp/ratios" | median)"
  echo "ratio_wall_range $(cut -d' ' -f1 "$tmp/ratios" | sort -g | sed -n '1p;$p' | awk '{ printf "%.2f\n", $1 }' | paste -sd-)"
} > "$out"
