#!/bin/bash
# Offload benchmark, measured three ways in one run, the sides taking turns each round:
#  (a) in memory: the card and two destinations on three tmpfs volumes (mounted here when root;
#      otherwise folders in /dev/shm, one volume), so no disk is in the picture and the engine's
#      own efficiency shows (one read, hashing inline, read-back from memory): setpost offload
#      --to A --to B against cp to A, cp to B, xxhsum -H1 of the source and of both copies.
#      Target: setpost at least 2.5x faster.
#  (b) on disk (the card and both copies under $SETPOST_BENCH_DIR): setpost against what the disk
#      itself must do for those bytes, at the rates dd measures in the same round: the source
#      read once, N copies written, N copies read back, i.e. bytes/read + N x bytes/write +
#      N x bytes/read. Target: setpost within 1.15x of that (it adds almost nothing to the disk).
#      The page cache is dropped before each side (root) so every read comes from the disk.
#  (c) on disk, the careful manual way: cp, cp, sync, drop the cache, xxhsum -H1 x3 (no target;
#      the by-hand comparison a DIT would make).
# And xxh64 throughput of lib/hash against xxhsum -H1 on a cached file (target >= 90%).
#   bench/offload.sh [PATH_TO_SETPOST]        (default build/setpost)
# SETPOST_BENCH_FILES (default 8) x SETPOST_BENCH_MIB (default 256) MiB of random data, made once
# in $SETPOST_BENCH_DIR (default /var/tmp/setpost-bench) and reused; SETPOST_BENCH_ROUNDS rounds
# (default 5). Under SETPOST_BENCH_SMOKE=1: 4 x 4 MiB.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
nfiles=${SETPOST_BENCH_FILES:-$(bench_size 8 4)}
mib=${SETPOST_BENCH_MIB:-$(bench_size 256 4)}
fsize=$((mib << 20))
bytes=$((nfiles * fsize))
[ -x "$sp" ] || { echo "offload bench: $sp not found (make build)" >&2; exit 1; }
for t in xxhsum cc pkg-config dd /usr/bin/time; do
	command -v $t >/dev/null || { echo "offload bench: $t is required" >&2; exit 1; }
done

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; } # calc FORMAT EXPRESSION

bench_begin offload
mkdir -p "$dir"
card=$dir/card-${nfiles}x${mib}/A001R1AB
need=$((3 * bytes / 1024 + 262144)) # KiB: the card, two copies, a margin
if [ "$(find "$card/Clips" -type f -size ${fsize}c 2>/dev/null | wc -l)" -ne "$nfiles" ]; then
	[ "$(df --output=avail "$dir" | tail -n 1)" -ge $((need + bytes / 1024)) ] ||
		{ echo "offload bench: not enough space in $dir" >&2; exit 1; }
	echo "== making the card once: $nfiles x $mib MiB of random data in $card"
	rm -rf "$card"
	mkdir -p "$card/Clips"
	for i in $(seq 1 "$nfiles"); do
		head -c $fsize /dev/urandom >"$card/Clips/A001C$(printf %03d "$i")_250101_R1AB.mov"
	done
	sync
fi
[ "$(df --output=avail "$dir" | tail -n 1)" -ge "$need" ] ||
	{ echo "offload bench: not enough space in $dir for two copies" >&2; exit 1; }

work=$(mktemp -d "$dir/offload-run.XXXXXX")
mem=$(mktemp -d /dev/shm/setpost-offload.XXXXXX)
mounted=()
cleanup() {
	for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || true; done
	rm -rf "$work" "$mem"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# (a)'s three volumes: tmpfs mounts when we may, sized for the card and a margin.
mkdir -p "$mem/card" "$mem/A" "$mem/B"
if [ "$(id -u)" -eq 0 ]; then
	for v in card A B; do
		mount -t tmpfs -o size=$((bytes / 1048576 + 64))m "tmpfs-bench-$v" "$mem/$v" && mounted+=("$mem/$v")
	done
fi
if [ ${#mounted[@]} -eq 3 ]; then
	echo "== (a) three tmpfs volumes mounted: the card, A and B"
else
	echo "== (a) not root: the card, A and B are folders in /dev/shm (one tmpfs volume)"
fi
cp -a "$card" "$mem/card/"
mcard=$mem/card/A001R1AB

if echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
	can_drop=1
	echo "== (b, c) page cache: dropped before each side and before the manual read-back (permitted)"
else
	can_drop=0
	echo "== (b, c) page cache: NOT permitted to drop it (not root?): reads may come from the cache"
fi
drop() { [ $can_drop -eq 0 ] || { sync; echo 3 >/proc/sys/vm/drop_caches; }; }

# sp_offload CARD A B [ARG]: one timed `setpost offload` to A and B (with ARG, e.g. --no-report);
# echoes its seconds and its CPU seconds (user + system, which other load on the machine does not
# stretch as it does wall time).
sp_offload() {
	local t0 t1
	rm -rf "$2" "$3" && mkdir -p "$2" "$3"
	t0=$(now)
	/usr/bin/time -f '%U %S' -o "$work/cpu" \
		"$sp" offload "$1" --to "$2" --to "$3" --no-progress ${4:-} >"$work/sp.out" 2>"$work/sp.err" ||
		{ cat "$work/sp.err" >&2; exit 1; }
	t1=$(now)
	grep -q "$nfiles verified" "$work/sp.out" || { cat "$work/sp.out" "$work/sp.err" >&2; exit 1; }
	echo "$(calc %.4f "$t1 - $t0") $(awk '{ printf "%.2f", $1 + $2 }' "$work/cpu")"
}
# by_hand CARD A B DROP: cp to A, cp to B, [sync, drop], xxhsum of all three, compared.
by_hand() {
	local t0 t1 c=$1 a=$2 b=$3
	rm -rf "$a" "$b" && mkdir -p "$a" "$b"
	t0=$(now)
	( cp -a "$c" "$a/"
	cp -a "$c" "$b/"
	if [ "$4" = 1 ]; then sync; drop; fi
	(cd "$c" && xxhsum -H1 Clips/* >"$work/src.xxh" 2>/dev/null)
	(cd "$a/A001R1AB" && xxhsum -H1 Clips/* >"$work/a.xxh" 2>/dev/null)
	(cd "$b/A001R1AB" && xxhsum -H1 Clips/* >"$work/b.xxh" 2>/dev/null)
	times >"$work/times" ) # (not in a pipe: there it would count a new subshell's children)
	tail -n 1 "$work/times" | tr -d s |
		awk '{ split($1, u, "m"); split($2, y, "m"); printf "%.2f", u[1] * 60 + u[2] + y[1] * 60 + y[2] }' >"$work/cpu"
	cmp -s "$work/src.xxh" "$work/a.xxh" && cmp -s "$work/src.xxh" "$work/b.xxh" ||
		{ echo "offload bench: the manual copies differ" >&2; exit 1; }
	t1=$(now)
	echo "$(calc %.4f "$t1 - $t0") $(cat "$work/cpu")"
}

# (A failure inside $(...) must stop the run: the seconds go through a variable, never straight
# into bench_record's argument, where set -e would not see the failure.)
mem_sp() {
	local s
	s=$(sp_offload "$mcard" "$mem/A/s" "$mem/B/s")
	bench_record mem_sp "${s% *}"
	bench_record mem_sp_cpu "${s#* }"
	rm -rf "$mem/A/s" "$mem/B/s"
}
# The offload report (PDF, HTML, CSV beside each copy, in its ASC MHL history) is part of every
# setpost run above; the same offload without it says what the report costs (issue 18: < 5%).
mem_sp_norep() {
	local s
	s=$(sp_offload "$mcard" "$mem/A/n" "$mem/B/n" --no-report)
	bench_record mem_sp_norep "${s% *}"
	bench_record mem_sp_norep_cpu "${s#* }"
	rm -rf "$mem/A/n" "$mem/B/n"
}
mem_hand() {
	local s
	s=$(by_hand "$mcard" "$mem/A/m" "$mem/B/m" 0)
	bench_record mem_hand "${s% *}"
	bench_record mem_hand_cpu "${s#* }"
	rm -rf "$mem/A/m" "$mem/B/m"
}
disk_sp() {
	local s
	drop
	s=$(sp_offload "$card" "$work/s1" "$work/s2")
	bench_record disk_sp "${s% *}"
	rm -rf "$work/s1" "$work/s2"
}
disk_hand() {
	local s
	drop
	s=$(by_hand "$card" "$work/m1" "$work/m2" 1)
	bench_record disk_hand "${s% *}"
	rm -rf "$work/m1" "$work/m2"
}
# The disk's own rates this round, with direct I/O as the engine reads and writes: dd writing a
# file the size of one clip (flushed) and reading
# every clip of the card from the disk (cache dropped): what the engine's reads and writes cost.
disk_dd() {
	local t0 t1 t2 f
	drop
	t0=$(now)
	dd if=/dev/zero of="$work/dd.bin" bs=8M count=$((fsize / 8388608 > 0 ? fsize / 8388608 : 1)) oflag=direct \
		conv=fdatasync status=none
	t1=$(now)
	local wbytes
	wbytes=$(stat -c %s "$work/dd.bin")
	rm -f "$work/dd.bin"
	drop
	t1=$(calc %.6f "$t1 - $t0")
	t0=$(now)
	for f in "$card"/Clips/*; do dd if="$f" of=/dev/null bs=8M iflag=direct status=none; done
	t2=$(now)
	local wrate rrate
	wrate=$(calc %.1f "$wbytes / $t1")
	rrate=$(calc %.1f "$bytes / ($t2 - $t0)")
	bench_record dd_write "$(calc %.1f "$wrate / 1e6")"
	bench_record dd_read "$(calc %.1f "$rrate / 1e6")"
	# source read + 2 writes + 2 read-backs
	bench_record disk_own "$(calc %.4f "$bytes / $rrate + 2 * $bytes / $wrate + 2 * $bytes / $rrate")"
}

echo "== $bench_rounds rounds, each: (a) setpost, by hand, setpost without its report, in memory; (b) dd's rates, setpost on disk; (c) by hand on disk (order reversed every other round)"
bench_interleave mem_sp mem_hand mem_sp_norep disk_dd disk_sp disk_hand

echo "== two verified copies of $((bytes / 1048576)) MiB in $nfiles files"
echo "   (a) in memory (tmpfs)"
bench_row "setpost offload --to A --to B" mem_sp s
bench_row "  its CPU" mem_sp_cpu s
bench_row "setpost offload --to A --to B --no-report" mem_sp_norep s
bench_row "  its CPU" mem_sp_norep_cpu s
bench_row "cp, cp, xxhsum x3" mem_hand s
bench_row "  its CPU" mem_hand_cpu s
echo "   (b) on disk ($(df --output=source "$dir" | tail -n 1))"
bench_row "setpost offload --to A --to B" disk_sp s
bench_row "the disk's own time (dd rates, 1 read + 2 writes + 2 reads)" disk_own s
bench_row "  dd write rate (one clip, fdatasync)" dd_write MB/s %.0f
bench_row "  dd read rate (the card, cache dropped)" dd_read MB/s %.0f
echo "   (c) on disk, by hand"
bench_row "cp, cp, sync, drop cache, xxhsum x3" disk_hand s
bench_ratio "offload in memory, by hand / setpost (speed-up)" mem_hand mem_sp ">=" 2.5
bench_ratio "offload in memory, CPU by hand / setpost's (no target: the work each does)" mem_hand_cpu mem_sp_cpu ">=" 1.0
bench_ratio "offload in memory, with the offload report / without" mem_sp mem_sp_norep "<=" 1.05
bench_ratio "offload on disk, setpost / the disk's own time" disk_sp disk_own "<=" 1.15
bench_ratio "offload on disk, by hand / setpost (speed-up)" disk_hand disk_sp ">=" 1.0

# --- xxh64 throughput: lib/hash against xxhsum -H1, the same cached file ------------------------
cat >"$work/hashbench.c" <<'EOF'
#include <stdio.h>
#include <time.h>
#include "lib/core/hash.h"
int main(int argc, char **argv)
{
	struct hash_result res;
	struct err err;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if (hash_file(argv[1], HASH_BIT(HASH_XXH64), &res, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.4f %s\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, res.v[HASH_XXH64].str);
	return argc - 2;
}
EOF
PKGS="libxxhash libcrypto"
cc -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O2 -I"$top" $(pkg-config --cflags $PKGS) \
	-o "$work/hashbench" "$work/hashbench.c" "$top/lib/core/hash.c" "$top/lib/core/err.c" \
	$(pkg-config --libs $PKGS)
f=$(ls "$mcard"/Clips/* | head -n 1)
want=$(xxhsum -H1 "$f" 2>/dev/null | cut -d' ' -f1)
hash_ours() {
	local s h
	read -r s h < <("$work/hashbench" "$f")
	[ "$h" = "$want" ] || { echo "offload bench: hashes differ" >&2; exit 1; }
	bench_record hash_ours "$s"
}
hash_theirs() {
	local t0 t1
	t0=$(now)
	xxhsum -H1 "$f" >/dev/null 2>&1
	t1=$(now)
	bench_record hash_theirs "$(calc %.4f "$t1 - $t0")"
}
bench_interleave hash_ours hash_theirs
echo "== xxh64 of a $mib MiB file in memory"
bench_row "lib/hash" hash_ours s %.4f
bench_row "xxhsum -H1 (process start included)" hash_theirs s %.4f
bench_ratio "xxh64, lib/hash speed / xxhsum's" hash_theirs hash_ours ">=" 0.9
bench_end
