#!/usr/bin/env bash
# Builds an initramfs (a newc cpio) around Debian's static busybox for i386:
#
#   scripts/mkinitramfs.sh --init FILE [--add SRC:DEST]... [--gzip] -o OUT.cpio
#
#   --init FILE     the /init to run (mode 0755), e.g. scripts/linux-test-init.sh
#   --add SRC:DEST  also put the file SRC at DEST, an absolute path in the initramfs (its directories are
#                   made; mode 0755 when SRC is executable, else 0644); may be given more than once
#   --gzip          compress the archive (gzip -n -9)
#   -o OUT          where to write it (also --output OUT)
#
# It holds /bin/busybox, a symlink to it for each applet (where "busybox --install" would put it),
# /init, the directories /bin /sbin /usr/bin /usr/sbin /dev /proc /sys /tmp /mnt /root /etc, the device
# nodes /dev/console (5,1) and /dev/null (1,3), and the --add files: all owned by 0:0, with one fixed
# mtime, in sorted order, so the same inputs give the same bytes. scripts/mkinitramfs.mjs writes it.
#
# busybox comes from the package busybox-static:i386 on Debian's mirror: "apt-get download" (it is not
# installed), kept in ${XDG_CACHE_HOME:-~/.cache}/lguest-debug/busybox and used from there next time
# (delete that folder to fetch a newer one; put a busybox-static_*_i386.deb there to work offline).
# When i386 is not one of dpkg's architectures, root adds it (dpkg --add-architecture i386, then
# apt-get update); anyone else is told to. Needs bash, node, dpkg-deb, apt-get (for the download) and
# gzip (for --gzip); not cpio, and not root otherwise.
#
# Exit status: 0 done, 64 a bad argument, 69 the download failed (no package mirror), 1 anything else.
set -euo pipefail

ME=mkinitramfs
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
USAGE="usage: scripts/mkinitramfs.sh --init FILE [--add SRC:DEST]... [--gzip] -o OUT.cpio   (--help for more)"

bad() { printf '%s: %s\n%s\n' "$ME" "$1" "$USAGE" >&2; exit 64; }
die() { printf '%s: %s\n' "$ME" "$1" >&2; exit 1; }

init='' out='' gzip=0 adds=()
declare -A given=()
while [ $# -gt 0 ]; do
	opt=$1 val='' shift_by=1
	case $opt in
		-h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		--gzip) gzip=1; shift; continue ;;
		--init=*|--add=*|--output=*) val=${opt#*=}; opt=${opt%%=*} ;;
		--init|--add|-o|--output)
			[ $# -ge 2 ] || bad "$opt needs a value"
			val=$2 shift_by=2 ;;
		-*) bad "unknown option: $opt" ;;
		*) bad "unexpected argument: $opt (options only; the output is -o OUT)" ;;
	esac
	shift "$shift_by"
	[ -n "$val" ] || bad "$opt needs a value, not an empty string"
	case $opt in
		--init)
			[ -z "$init" ] || bad "--init given twice ($init, $val)"
			[ -e "$val" ] || bad "--init $val: no such file"
			[ -f "$val" ] && [ -r "$val" ] || bad "--init $val: not a readable regular file"
			init=$val ;;
		-o|--output)
			[ -z "$out" ] || bad "-o given twice ($out, $val)"
			[ ! -d "$val" ] || bad "-o $val: is a directory (give the file to write)"
			[ -d "$(dirname -- "$val")" ] || bad "-o $val: the directory $(dirname -- "$val") does not exist"
			out=$val ;;
		--add)
			case $val in *:*) ;; *) bad "--add $val: wants SRC:DEST (a file, a colon, its absolute path in the initramfs)" ;; esac
			src=${val%:*} dest=${val##*:}
			[ -n "$src" ] || bad "--add $val: SRC is empty"
			[ -e "$src" ] || bad "--add $val: $src: no such file"
			[ -f "$src" ] && [ -r "$src" ] || bad "--add $val: $src is not a readable regular file"
			case $dest in
				/*) ;;
				*) bad "--add $val: DEST must be an absolute path (/etc/motd, not ${dest:-an empty string})" ;;
			esac
			case "$dest/" in
				/|*//*|*/./*|*/../*) bad "--add $val: DEST $dest must name a file: no empty, '.' or '..' parts, no trailing /" ;;
			esac
			[ "$dest" != /init ] || bad "--add $val: /init is --init's"
			[ -z "${given[$dest]:-}" ] || bad "--add $val: $dest given twice"
			given[$dest]=1
			adds+=("$src" "$dest") ;;
	esac
done
[ -n "$init" ] || bad "--init FILE is required"
[ -n "$out" ] || bad "-o OUT is required"

command -v node >/dev/null || die "needs Node.js (node, version 20 or newer) on PATH"
command -v dpkg-deb >/dev/null || die "needs dpkg-deb (Debian's package dpkg) to unpack busybox-static"
[ $gzip = 0 ] || command -v gzip >/dev/null || die "--gzip needs gzip (apt-get install gzip)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkinitramfs.XXXXXX")
dl='' part=''
cleanup() { rm -rf "$tmp" ${dl:+"$dl"} ${part:+"$part"}; }
trap cleanup EXIT

# --- busybox-static:i386, from the cache or from the mirror ------------------------------------------
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/lguest-debug/busybox
deb=$( (find "$cache" -maxdepth 1 -name 'busybox-static_*_i386.deb' 2>/dev/null || true) | sort -V | tail -n 1)
if [ -z "$deb" ]; then
	command -v apt-get >/dev/null ||
		die "needs apt-get (Debian or Ubuntu) to download busybox-static:i386, or a busybox-static_*_i386.deb put in $cache"
	mirror() {
		printf '%s: %s: this needs the Debian package mirror (the sources in /etc/apt/sources.list*, such as deb.debian.org) to be reachable. apt-get said:\n' "$ME" "$1" >&2
		{ cat "$tmp"/apt-*.log 2>/dev/null || true; } | sed 's/^/    /' >&2
		exit 69
	}
	updated=0
	# (apt-get update can fail to reach a mirror and still exit 0: its warnings are shown if the download fails.)
	update() { apt-get update -qq > "$tmp/apt-1-update.log" 2>&1 || mirror "apt-get update failed"; updated=1; }
	if [ "$(dpkg --print-architecture)" != i386 ] && ! dpkg --print-foreign-architectures | grep -qx i386; then
		[ "$(id -u)" = 0 ] ||
			die "apt-get can only download busybox-static:i386 once i386 is one of dpkg's architectures: as root, run dpkg --add-architecture i386 && apt-get update (nothing gets installed)"
		echo "$ME: adding i386 to dpkg's architectures (dpkg --add-architecture i386; apt-get update) to download busybox-static:i386" >&2
		dpkg --add-architecture i386
		update
	fi
	mkdir -p "$cache"
	dl=$(mktemp -d "$cache/.download.XXXXXX")   # beside the cache: the finished .deb moves in whole
	download() { (cd "$dl" && apt-get download busybox-static:i386) > "$tmp/apt-2-download.log" 2>&1; }
	if ! download; then
		# i386 may be there without its package lists yet: fetch them once (root only), then try again.
		{ [ $updated = 0 ] && [ "$(id -u)" = 0 ]; } || mirror "apt-get download busybox-static:i386 failed"
		update
		download || mirror "apt-get download busybox-static:i386 failed"
	fi
	got=$(find "$dl" -maxdepth 1 -name 'busybox-static_*_i386.deb' | head -n 1)
	[ -n "$got" ] || mirror "apt-get download busybox-static:i386 left no busybox-static_*_i386.deb"
	mv "$got" "$cache/"
	deb=$cache/${got##*/}
	echo "$ME: downloaded ${deb##*/} into $cache" >&2
fi
dpkg-deb -x "$deb" "$tmp/deb" 2> "$tmp/dpkg.log" || {
	cat "$tmp/dpkg.log" >&2
	die "cannot unpack $deb (a damaged download? delete it and run again)"
}
[ -f "$tmp/deb/bin/busybox" ] || die "$deb has no /bin/busybox"

# --- the archive ----------------------------------------------------------------------------------------
node "$HERE/mkinitramfs.mjs" "$tmp/initramfs.cpio" "$tmp/deb/bin/busybox" "$init" ${adds[@]+"${adds[@]}"}
result=$tmp/initramfs.cpio
if [ $gzip = 1 ]; then
	gzip -n -9 -c "$result" > "$tmp/initramfs.cpio.gz"
	result=$tmp/initramfs.cpio.gz
fi
part=$out.part.$$
cp "$result" "$part"
mv -f "$part" "$out"
part=''
echo "$ME: wrote $out ($(wc -c < "$out") bytes; busybox from ${deb##*/})" >&2
