#!/bin/sh
# Rebuild the bare-metal test kernels and record what QEMU prints for each
# into guests/bare/expected/NAME.out (exact bytes) and NAME.status (QEMU's
# exit status).  Every kernel runs twice; the script fails if the two runs
# differ.  Needs i686-linux-gnu-gcc/ld and qemu-system-i386.
#
#   scripts/record-bare-expected.sh            all runs
#   scripts/record-bare-expected.sh hello uart  only these
set -eu
cd "$(dirname "$0")/.."
bare=guests/bare
make -s -C "$bare"
mkdir -p "$bare/expected"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name  kernel  [command line], one run a line
runs=$(grep -v '^#' "$bare/runs.txt")
echo "$runs" | while read -r name kernel args; do
    [ -n "$name" ] || continue
    if [ $# -gt 0 ]; then
        case " $* " in *" $name "*) ;; *) continue ;; esac
    fi
    for i in 1 2; do
        set +e
        # shellcheck disable=SC2086
        scripts/qemu-bare.sh "$bare/build/$kernel.elf" $args >"$tmp/$name.$i.out"
        echo $? >"$tmp/$name.$i.status"
        set -e
    done
    if ! cmp -s "$tmp/$name.1.out" "$tmp/$name.2.out" || ! cmp -s "$tmp/$name.1.status" "$tmp/$name.2.status"; then
        echo "$name: the two runs differ" >&2
        exit 1
    fi
    cp "$tmp/$name.1.out" "$bare/expected/$name.out"
    cp "$tmp/$name.1.status" "$bare/expected/$name.status"
    printf '%-12s status %s, %s bytes\n' "$name" "$(cat "$tmp/$name.1.status")" "$(wc -c <"$tmp/$name.1.out")"
done
