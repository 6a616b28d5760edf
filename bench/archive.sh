#!/bin/bash
# Archive benchmark: a card on disk (a registered copy, the RAID) written to a stand-in LTO tape
# (a tmpfs mount carrying the LTFS attributes) with its read-back, two ways in the same run, the
# sides taking turns each round, the page cache dropped before each side:
#   setpost archive --to TAPE (one read of the source, hashed while written, fsync, every file
#     read back from the tape and compared with the registered hash, the catalogue recorded)
#   the careful way by hand: cp -a to the tape, sync, drop the cache, xxhsum -H1 of the source
#     and of the copy, compared.
# Target: setpost at least 1.2x as fast. What it shows: the hand method reads the source from
# the disk twice (the copy, then the hash after the cache is dropped), setpost once. A real
# drive's speed (LTO-9: 300-400 MB/s) is not in the picture: the stand-in tape is memory.
#   bench/archive.sh [PATH_TO_SETPOST]        (default build/setpost)
# SETPOST_BENCH_FILES (default 4) x SETPOST_BENCH_MIB (default 256) MiB of random data, made
# once in $SETPOST_BENCH_DIR (default /var/tmp/setpost-bench); SETPOST_BENCH_ROUNDS rounds.
# Needs root (the tape is a tmpfs mount, and dropping the page cache). Smoke: 4 x 4 MiB.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
nfiles=${SETPOST_BENCH_FILES:-$(bench_size 4 4)}
mib=${SETPOST_BENCH_MIB:-$(bench_size 256 4)}
fsize=$((mib << 20))
bytes=$((nfiles * fsize))
[ -x "$sp" ] || { echo "archive bench: $sp not found (make build)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "archive bench: needs root (a tmpfs tape, dropping the cache)" >&2; exit 1; }
for t in xxhsum psql python3; do command -v $t >/dev/null || { echo "archive bench: $t is required" >&2; exit 1; }; done
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }

bench_begin archive
tapes=()
cleanup() {
	[ -z "${bench_pid:-}" ] || { kill "$bench_pid" 2>/dev/null || true; wait "$bench_pid" 2>/dev/null || true; }
	for m in "${tapes[@]}"; do umount "$m" 2>/dev/null || true; done
	bench_pg_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_pg_start archive
export SETPOST_DATABASE_URL=$db
bench_serve serve "$work/data"
export SETPOST_TOKEN=$("$sp" token create --role admin --name bench | tail -n 1)

# The card, on disk, registered by an offload to the "RAID" folder (also on disk).
card=$work/card/A001R1AB
mkdir -p "$card/Clips" "$work/raid" "$work/tape" "$work/hand"
for i in $(seq 1 "$nfiles"); do head -c $fsize /dev/urandom >"$card/Clips/A001C$(printf %03d "$i")_250101_R1AB.mov"; done
"$sp" offload "$card" --to "$work/raid" --register "$bench_url" --production Bench --day 2026-11-25 \
	--no-progress >"$work/offload.out" 2>&1 || { cat "$work/offload.out" >&2; exit 1; }
"$sp" volume add tape "$work/tape" >/dev/null
src=$work/raid/A001R1AB
tape_mount() { # DIR: a fresh stand-in tape, sized for the card and a margin
	mount -t tmpfs -o size=$((bytes / 1048576 + 64))m tmpfs "$1"
	tapes+=("$1")
	python3 -c "import os,sys; os.setxattr(sys.argv[1], 'user.ltfs.volumeUUID', sys.argv[2].encode()); os.setxattr(sys.argv[1], 'user.ltfs.volumeName', b'BENCH')" "$1" "bench-$bench_round-$RANDOM"
}
tape_umount() { umount "$1"; unset 'tapes[-1]'; }

sp_archive() {
	local t0 t1
	tape_mount "$work/tape"
	drop
	t0=$(now)
	"$sp" archive --to "$work/tape" --card A001R1AB --no-progress >"$work/sp.out" 2>"$work/sp.err" ||
		{ cat "$work/sp.out" "$work/sp.err" >&2; exit 1; }
	t1=$(now)
	grep -q "$nfiles written, $nfiles verified by read-back, 0 failed" "$work/sp.out" || { cat "$work/sp.out" >&2; exit 1; }
	bench_record sp "$(calc %.4f "$t1 - $t0")"
	tape_umount "$work/tape"
	# The next round archives the card anew: the catalogue forgets this tape.
	psql -q "$db" -c "DELETE FROM copies WHERE volume_id IN (SELECT volume_id FROM tapes);
		DELETE FROM volumes WHERE id IN (SELECT volume_id FROM tapes)" >/dev/null
}
by_hand() {
	local t0 t1
	tape_mount "$work/hand"
	drop
	t0=$(now)
	cp -a "$src" "$work/hand/"
	sync
	drop
	(cd "$src" && xxhsum -H1 Clips/* >"$work/src.xxh" 2>/dev/null)
	(cd "$work/hand/A001R1AB" && xxhsum -H1 Clips/* >"$work/copy.xxh" 2>/dev/null)
	cmp -s "$work/src.xxh" "$work/copy.xxh" || { echo "archive bench: the manual copy differs" >&2; exit 1; }
	t1=$(now)
	bench_record hand "$(calc %.4f "$t1 - $t0")"
	tape_umount "$work/hand"
}

echo "== $bench_rounds rounds, each: setpost archive, then by hand (order reversed every other round)"
bench_interleave sp_archive by_hand
echo "== $((bytes / 1048576)) MiB in $nfiles files, from disk ($(df --output=source "$work" | tail -n 1)) to a stand-in tape (tmpfs)"
bench_row "setpost archive (write, read-back, report, MHL, catalogue)" sp s
bench_row "cp, sync, drop cache, xxhsum -H1 source and copy" hand s
bench_ratio "archive with read-back, by hand / setpost (speed-up)" hand sp ">=" 1.2
bench_end
