#!/bin/sh
# Run one bare-metal test kernel under QEMU the canonical way and print what
# it wrote to the debug console (port 0xE9) and to COM1 (0x3F8) on stdout, in
# order.  The exit status is QEMU's: (v << 1) | 1 after the kernel writes v to
# port 0xF4 (so 1 = success), 0 after a triple fault (-no-reboot), 124 when
# the run takes longer than $QEMU_TIMEOUT seconds (default 60).
#
#   scripts/qemu-bare.sh guests/bare/build/hello.elf
#   scripts/qemu-bare.sh guests/bare/build/bench.elf iterations=3
#
# The equivalent command line (both devices share one stdio back end):
#   qemu-system-i386 -kernel K.elf [-append ARGS] -display none -m 64 -no-reboot -nodefaults \
#     -chardev stdio,id=out,mux=on,signal=off -serial chardev:out \
#     -device isa-debugcon,iobase=0xe9,chardev=out \
#     -device isa-debug-exit,iobase=0xf4,iosize=1 </dev/null
set -u
if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 KERNEL.elf [multiboot command line]" >&2
    exit 2
fi
kernel=$1
shift
qemu=${QEMU:-qemu-system-i386}
if [ $# -gt 0 ]; then
    set -- -append "$*"
fi
exec timeout "${QEMU_TIMEOUT:-60}" "$qemu" -kernel "$kernel" "$@" \
    -display none -m 64 -no-reboot -nodefaults \
    -chardev stdio,id=out,mux=on,signal=off -serial chardev:out \
    -device isa-debugcon,iobase=0xe9,chardev=out \
    -device isa-debug-exit,iobase=0xf4,iosize=1 </dev/null
