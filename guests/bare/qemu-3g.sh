#!/bin/sh
# qemu-system-i386 with 3 GiB of memory (its last -m wins over qemu-bare.sh's -m 64), for bigmem:
#   QEMU=guests/bare/qemu-3g.sh scripts/qemu-bare.sh guests/bare/build/bigmem.elf
exec qemu-system-i386 "$@" -m 3072
