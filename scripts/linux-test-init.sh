#!/bin/busybox sh
# An example /init for the Linux tests (busybox ash as PID 1): put it in an initramfs with
#   scripts/mkinitramfs.sh --init scripts/linux-test-init.sh -o build/linux-test.cpio
# It prints on the console, then powers off (poweroff -f: lguest's SHUTDOWN hypercall, "Power down"):
#   lguest-pci: SLOT vendor=0xVVVV device=0xDDDD class=0xCCCCCC irq=N    one line per PCI device
#   the lines of /proc/interrupts, as they are
#   lguest-pci: done
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev    # the kernel's DEVTMPFS_MOUNT does not apply to an initramfs

for d in /sys/bus/pci/devices/*; do
	[ -r "$d/vendor" ] || continue
	echo "lguest-pci: ${d##*/} vendor=$(cat "$d/vendor") device=$(cat "$d/device") class=$(cat "$d/class") irq=$(cat "$d/irq")"
done
cat /proc/interrupts
echo "lguest-pci: done"
poweroff -f
