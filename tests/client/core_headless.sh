#!/bin/sh
# SPDX-License-Identifier: ISC
# core_headless.sh: the client's protocol core (libsotto_client_core.a)
# uses no curses and no stdio stream (it never prints): none of its
# undefined symbols is a stdio stream function or one the curses libraries
# export. usage: core_headless.sh CORE_ARCHIVE CURSES_LIB...
set -eu
core=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -u "$core" | awk 'NF == 2 { print $2 } NF == 1 { print $1 }' | sed 's/@.*//' |
	sort -u > "$tmp/undef"
[ -s "$tmp/undef" ] || { echo "FAIL: no undefined symbols read from $core"; exit 1; }
grep -qx 'sotto_frame_decode\|sotto_ed25519_verify\|ev_io_start' "$tmp/undef" ||
	{ echo "FAIL: $core does not look like the core (no libsotto/libev calls)"; exit 1; }

# Stream I/O: formatting into a buffer (snprintf) is allowed, writing is not.
for f in printf vprintf fprintf vfprintf dprintf vdprintf puts fputs fputc putc \
    putchar fwrite fread fgets fgetc getc getchar fflush fopen fdopen freopen fclose \
    perror stdin stdout stderr scanf fscanf vfscanf __printf_chk __fprintf_chk \
    __vfprintf_chk __vprintf_chk __dprintf_chk; do
	echo "$f"
done | sort -u > "$tmp/stdio"

: > "$tmp/curses"
for lib in "$@"; do
	# A name (ncursesw) or a path; libncursesw.so is a linker script, so
	# read the versioned shared objects beside it.
	case $lib in
	/*) dir=$(dirname "$lib"); base=$(basename "$lib" | sed 's/\.so.*//; s/\.a$//') ;;
	*) dir=""; base=lib$lib ;;
	esac
	for so in $(ls $dir/$base.so.* /usr/lib/*-linux-gnu/$base.so.* /lib/*-linux-gnu/$base.so.* \
	    2>/dev/null); do
		nm -D --defined-only "$so" 2>/dev/null | awk '{ print $NF }' | sed 's/@.*//' >> "$tmp/curses"
	done
done
sort -u -o "$tmp/curses" "$tmp/curses"
[ -s "$tmp/curses" ] || { echo "FAIL: no symbols read from the curses libraries: $*"; exit 1; }
grep -qx 'initscr' "$tmp/curses" || { echo "FAIL: initscr not among the curses symbols"; exit 1; }

bad=$(comm -12 "$tmp/undef" "$tmp/stdio"; comm -12 "$tmp/undef" "$tmp/curses")
if [ -n "$bad" ]; then
	echo "FAIL: the core calls what a headless core must not:"
	echo "$bad"
	exit 1
fi
echo "ok: $(wc -l < "$tmp/undef") undefined symbols, none from stdio streams or curses"
