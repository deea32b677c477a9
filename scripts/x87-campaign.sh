#!/usr/bin/env bash
# The x87 campaign: random x87 streams in lockstep with QEMU 7.2 (test/oracle/random/x87.ts,
# compared by test/oracle/x87compare.ts), for the seeds FIRST..LAST, split over JOBS processes.
#
#   scripts/x87-campaign.sh FIRST LAST [JOBS]      # e.g. 1 400 2: about 1,050,000 x87 instructions
#
# Each seed (100 cases of 24 items) compares about 2,650 x87 instructions. Every divergence is printed
# with its report and the command that replays it; the last lines sum up the x87 instructions compared,
# the divergences, and how often each of QEMU's departures was masked. Exit status 1 on a divergence.
set -euo pipefail
cd "$(dirname "$0")/.."
first=${1:?usage: scripts/x87-campaign.sh FIRST LAST [JOBS]}
last=${2:?usage: scripts/x87-campaign.sh FIRST LAST [JOBS]}
jobs=${3:-2}
command -v qemu-system-i386 >/dev/null || { echo "x87-campaign: qemu-system-i386 is not installed" >&2; exit 2; }
node scripts/build.mjs
logs=$(mktemp -d "${TMPDIR:-/tmp}/x87-campaign.XXXXXX")
trap 'rm -rf "$logs"' EXIT
count=$((last - first + 1))
per=$(((count + jobs - 1) / jobs))
pids=()
for ((j = 0; j < jobs; j++)); do
  from=$((first + j * per))
  n=$((last - from + 1 < per ? last - from + 1 : per))
  ((n > 0)) || continue
  node dist/oracle.js --random --x87 --seed "$from" --runs "$n" > "$logs/$j.log" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
# Each seed's line, the divergences with their reports, then the sums.
for f in "$logs"/*.log; do grep -v '^[0-9]* seeds (\|x87 instructions compared;\|^QEMU.s x87 departures masked:' "$f" || true; done
awk '
  /x87 instructions compared;/ { x87 += $1 }
  / seeds \(/ { seeds += $1; steps += $4; div += $(NF-1) }
  /^QEMU.s x87 departures masked:/ {
    sub(/^QEMU.s x87 departures masked: /, ""); n = split($0, parts, ", ")
    for (i = 1; i <= n; i++) { split(parts[i], kv, " "); masked[kv[1]] += kv[2] }
  }
  END {
    printf "x87 campaign: %d seeds, %d steps, %d x87 instructions compared, %d divergences\n", seeds, steps, x87, div
    out = ""; for (k in masked) out = out (out == "" ? "" : ", ") k " " masked[k]
    print "QEMU departures masked: " out
  }' "$logs"/*.log
exit $status
