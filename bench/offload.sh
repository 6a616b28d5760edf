#!/bin/bash
# Offload benchmark: setpost's time to make two verified copies of a card against the careful
# manual way (cp to each destination, sync, drop the page cache, xxhsum -H1 of the source and
# of both copies), on the same data; and xxh64 throughput of lib/hash against xxhsum -H1.
#   bench/offload.sh [PATH_TO_SETPOST]        (default build/setpost)
# The card (8 x 512 MiB of random data) is made once in $SETPOST_BENCH_DIR (default
# /var/tmp/setpost-bench) and reused; the copies are removed at the end. Targets: setpost at
# least 1.5x faster than the manual way, hashing at least 90% of xxhsum's speed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
nfiles=8
fsize=$((512 * 1024 * 1024))
[ -x "$sp" ] || { echo "offload bench: $sp not found (make build)" >&2; exit 1; }
for t in xxhsum cc pkg-config; do
	command -v $t >/dev/null || { echo "offload bench: $t is required" >&2; exit 1; }
done

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; } # calc FORMAT EXPRESSION
secs() { calc %.3f "$2 - $1"; }

mkdir -p "$dir"
echo "== space: $(df -h --output=avail "$dir" | tail -n 1 | tr -d ' ') free in $(df --output=target "$dir" | tail -n 1)"
card=$dir/card/A001R1AB
need=$((3 * nfiles * fsize / 1024 + 1048576)) # KiB: the card, two copies, a margin
if [ "$(find "$card" -type f -size ${fsize}c 2>/dev/null | wc -l)" -ne $nfiles ]; then
	need=$((need + nfiles * fsize / 1024))
	[ "$(df --output=avail "$dir" | tail -n 1)" -ge "$need" ] ||
		{ echo "offload bench: not enough space in $dir" >&2; exit 1; }
	echo "== making the card once: $nfiles x 512 MiB of random data in $card"
	rm -rf "$dir/card"
	mkdir -p "$card/Clips"
	for i in $(seq 1 $nfiles); do
		head -c $fsize /dev/urandom >"$card/Clips/A001C00${i}_250101_R1AB.mov"
	done
	sync
fi
[ "$(df --output=avail "$dir" | tail -n 1)" -ge "$need" ] ||
	{ echo "offload bench: not enough space in $dir for two copies" >&2; exit 1; }
bytes=$((nfiles * fsize))

work=$dir/run.$$
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work"

if echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
	can_drop=1
	echo "== page cache: dropped before each method and before the manual read-back (permitted)"
else
	can_drop=0
	echo "== page cache: NOT permitted to drop it (not root?): the manual way's xxhsum reads"
	echo "   partly from the cache, so its time is a lower bound and the ratio favours it"
fi
drop() { [ $can_drop -eq 0 ] || { sync; echo 3 >/proc/sys/vm/drop_caches; }; }

# --- setpost: one read, two writes, two read-backs from the device, ASC MHL ---------------------
mkdir -p "$work/s1" "$work/s2"
drop
t0=$(now)
"$sp" offload "$card" --to "$work/s1" --to "$work/s2" --no-progress >"$work/sp.out" 2>"$work/sp.err" ||
	{ cat "$work/sp.err" >&2; exit 1; }
t1=$(now)
sp_time=$(secs "$t0" "$t1")
grep -q "8 verified" "$work/sp.out" || { cat "$work/sp.out" "$work/sp.err" >&2; exit 1; }
rm -rf "$work/s1" "$work/s2"

# --- the careful manual way ---------------------------------------------------------------------
mkdir -p "$work/m1" "$work/m2"
drop
t0=$(now)
cp -a "$card" "$work/m1/"
cp -a "$card" "$work/m2/"
sync
drop
(cd "$card" && xxhsum -H1 Clips/* >"$work/src.xxh" 2>/dev/null)
(cd "$work/m1/A001R1AB" && xxhsum -H1 Clips/* >"$work/m1.xxh" 2>/dev/null)
(cd "$work/m2/A001R1AB" && xxhsum -H1 Clips/* >"$work/m2.xxh" 2>/dev/null)
cmp -s "$work/src.xxh" "$work/m1.xxh" && cmp -s "$work/src.xxh" "$work/m2.xxh"
t1=$(now)
man_time=$(secs "$t0" "$t1")
rm -rf "$work/m1" "$work/m2"

echo "== two verified copies of $((bytes / 1048576)) MiB in $nfiles files (all on one device)"
echo "   setpost offload --to A --to B            ${sp_time} s  ($(calc %.0f "$bytes / $sp_time / 1e6") MB/s of card)"
echo "   cp, cp, sync, drop cache, xxhsum x3      ${man_time} s  ($(calc %.0f "$bytes / $man_time / 1e6") MB/s of card)"
echo "   speed-up: $(calc %.2f "$man_time / $sp_time")x (target >= 1.5x)"

# --- xxh64 throughput: lib/hash against xxhsum -H1, the same cached file ------------------------------
cat >"$work/hashbench.c" <<'EOF'
#include <stdio.h>
#include <time.h>
#include "lib/core/hash.h"
int main(int argc, char **argv)
{
	struct hash_result res;
	struct err err;
	struct timespec a, b;
	double best = 1e9;

	for (int i = 0; i < 5; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (hash_file(argv[1], HASH_BIT(HASH_XXH64), &res, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		double t = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		best = t < best ? t : best;
	}
	printf("%.4f %s\n", best, res.v[HASH_XXH64].str);
	return argc - 2;
}
EOF
PKGS="libxxhash libcrypto"
cc -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O2 -I"$top" $(pkg-config --cflags $PKGS) \
	-o "$work/hashbench" "$work/hashbench.c" "$top/lib/core/hash.c" "$top/lib/core/err.c" \
	$(pkg-config --libs $PKGS)
f=$card/Clips/A001C001_250101_R1AB.mov
cat "$f" >/dev/null # in the page cache: both measure hashing, not the disk
read -r ours ours_hash < <("$work/hashbench" "$f")
theirs=1e9
for i in 1 2 3 4 5; do
	t0=$(now)
	theirs_hash=$(xxhsum -H1 "$f" 2>/dev/null | cut -d' ' -f1)
	t1=$(now)
	theirs=$(calc %.4f "($t1 - $t0) < $theirs ? $t1 - $t0 : $theirs")
done
[ "$ours_hash" = "$theirs_hash" ] || { echo "offload bench: hashes differ" >&2; exit 1; }
echo "== xxh64 of a cached 512 MiB file (best of 5)"
echo "   lib/hash      $ours s  ($(calc %.0f "$fsize / $ours / 1e6") MB/s)"
echo "   xxhsum -H1    $theirs s  ($(calc %.0f "$fsize / $theirs / 1e6") MB/s, process start included)"
echo "   lib/hash speed: $(calc %.0f "100 * $theirs / $ours")% of xxhsum's (target >= 90%)"
