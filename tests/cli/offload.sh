#!/bin/bash
# Black-box test of `setpost offload`: two verified copies of a card made with ffmpeg, checked
# with xxhsum, md5sum, sha1sum, cmp and the ASC MHL XSDs; resuming, --rehash repairs, a card
# that has its own ASC MHL history; and the faults: a destination that fills up, a read-only
# one, a missing one, a source that shrinks or fails (EIO) mid-copy, Ctrl-C, kill -9,
# refused requests (symlink, destination inside the source, the same destination twice).
#   tests/cli/offload.sh build/setpost
# Needs root for the fault tests (tmpfs mounts, a loop device); they are skipped otherwise.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sp=$(realpath "${1:?usage: $0 PATH_TO_SETPOST}")
top=$(cd "$(dirname "$0")/../.." && pwd)
xsd=$top/tests/fixtures/xsd
for t in ffmpeg xxhsum xmllint jq cmp; do
	command -v $t >/dev/null || { echo "offload.sh: $t is required" >&2; exit 1; }
done
cli_tmp offload
T=$tmp
loopdev=""
# The card on a loop device (the EIO test) is not a tmpfs: unmounted and detached here.
on_exit() {
	[ -n "$loopdev" ] || return 0
	umount -l "$T/cardmnt" 2>/dev/null
	losetup -d "$loopdev" 2>/dev/null
	return 0
}
cd "$T"
root=0
[ "$(id -u)" -eq 0 ] && root=1
# How copies in $T are read back: from the device, unless $T is in memory.
method=direct
dontneed=dontneed
if [ "$(stat -f -c %T "$T")" = tmpfs ]; then method=memory; dontneed=memory; fi


# Runs setpost offload; the exit status goes to $rc (the script does not stop on it).
# These checks are of the copy engine (a copy's tree is the card's); the offload report written
# beside each copy is tests/journey/offload_report.sh's.
run() {
	rc=0
	"$sp" offload --no-report "$@" >out.txt 2>err.txt || rc=$?
}
expect_rc() {
	[ "$rc" -eq "$1" ] || fail "$2: exit $rc, expected $1; stderr: $(cat err.txt)"
}
no_partials() {
	local left
	left=$(find "$@" -name '*.setpost-partial' 2>/dev/null)
	[ -z "$left" ] || fail "partial files left: $left"
}
wait_for() { # wait_for SECONDS COMMAND...: polls every 50 ms
	local n=$(($1 * 20)); shift
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.05
	done
}
has_partial() { [ -n "$(find "$1" -name '*.setpost-partial' 2>/dev/null)" ]; }
big_started() { [ -n "$(find "$1" -name '.B_big.mov.setpost-partial' 2>/dev/null)" ]; }
schema_ok() { # schema_ok CARD_COPY: every manifest and the chain validate
	local f
	for f in "$1"/ascmhl/*.mhl; do
		xmllint --noout --schema "$xsd/ASCMHL.xsd" "$f" 2>/dev/null || fail "$f: not valid ASC MHL"
	done
	xmllint --noout --schema "$xsd/ASCMHLDirectory.xsd" "$1/ascmhl/ascmhl_chain.xml" 2>/dev/null ||
		fail "$1/ascmhl/ascmhl_chain.xml: not valid"
}
ngens() { ls "$1"/ascmhl/*.mhl 2>/dev/null | wc -l; }
newest() { ls "$1"/ascmhl/*.mhl | sort | tail -n 1; }

# The source's media (junk pruned) with sizes and times, as find prints them.
JUNK=(-name .DS_Store -o -name '._*' -o -name .Spotlight-V100 -o -name .Trashes -o
      -name .fseventsd -o -name 'System Volume Information' -o -name Thumbs.db)
listing() { # listing DIR: "path size mtime" of files and "path/ mtime" of folders
	(cd "$1" && find . -mindepth 1 \( "${JUNK[@]}" -o -path ./ascmhl \) -prune -o \
		\( -type f -printf '%P %s %T@\n' \) -o \( -type d -printf '%P/ %T@\n' \) | LC_ALL=C sort)
}
hashes() { # hashes DIR [xxhsum flag]: xxhsum lines of the media files
	(cd "$1" && find . \( "${JUNK[@]}" -o -path ./ascmhl \) -prune -o -type f -print0 |
		LC_ALL=C sort -z | xargs -0 xxhsum "${2:--H1}" 2>/dev/null)
}
same_copy() { # same_copy SRC COPY: same tree, sizes, times, bytes; the card root's time too
	[ "$(listing "$1")" = "$(listing "$2")" ] ||
		fail "$2 differs from $1: $(diff <(listing "$1") <(listing "$2") | head -5)"
	[ "$(hashes "$1")" = "$(hashes "$2")" ] || fail "$2: xxhsum differs from $1"
	(cd "$1" && find . \( "${JUNK[@]}" -o -path ./ascmhl \) -prune -o -type f -print0) |
		while IFS= read -r -d '' f; do cmp -s "$1/$f" "$2/$f" || fail "cmp $2/$f"; done
	[ "$(find "$1" -maxdepth 0 -printf %T@)" = "$(find "$2" -maxdepth 0 -printf %T@)" ] ||
		fail "$2: card folder time differs"
}

# --- fixtures -------------------------------------------------------------------------
# An ARRI-like card: MOV and MXF clips from lavfi, sidecars, a name with spaces and accents,
# an empty file, and the junk a Mac or Windows leaves on it.
ff() { ffmpeg -nostdin -nostats -hide_banner -loglevel error -y "$@"; }
card=$T/src/A001R1AB
mkdir -p "$card/Clips" "$card/Sidecars" "$card/.Spotlight-V100/Store" "$card/System Volume Information"
ff -f lavfi -i testsrc2=size=1280x720:rate=25 -f lavfi -i sine=frequency=1000 -t 2 \
	-c:v mpeg4 -q:v 1 -c:a pcm_s16le "$card/Clips/A001C001_230101_R1AB.mov"
ff -f lavfi -i mandelbrot=size=1280x720:rate=25 -t 2 -c:v mpeg4 -q:v 1 \
	"$card/Clips/A001C002_230101_R1AB.mov"
ff -f lavfi -i testsrc=size=1280x720:rate=25 -f lavfi -i sine=frequency=440:sample_rate=48000 \
	-t 2 -c:v mpeg2video -b:v 20M -pix_fmt yuv422p -c:a pcm_s16le "$card/Clips/A001C003_230101_R1AB.mxf"
ff -f lavfi -i smptebars=size=1280x720:rate=25 -t 2 -c:v mpeg4 -q:v 1 \
	"$card/Clips/Scène 1 — prise 2 (été).mov"
printf '<clip name="A001C001"/>\n' >"$card/Sidecars/A001C001_230101_R1AB.xml"
printf 'Heading\nFIELD_DELIM\tTABS\n' >"$card/Sidecars/A001R1AB.ale"
: >"$card/Sidecars/empty marker.txt"
printf 'junk' >"$card/.DS_Store"
printf 'junk' >"$card/Clips/._A001C001_230101_R1AB.mov"
printf 'junk' >"$card/.Spotlight-V100/Store/db"
printf 'junk' >"$card/System Volume Information/IndexerVolumeGuid"
touch -d '2023-01-01 10:00:00.123456789' "$card/Clips/A001C001_230101_R1AB.mov"
touch -d '2023-01-01 11:00:00' "$card/Sidecars" "$card/Clips" "$card"
nmedia=7
ok "fixtures: $(du -sh "$card" | cut -f1) card with $nmedia media files and 4 junk items"

# --- two verified copies ----------------------------------------------------------------
mkdir -p d1 d2
run "$card" --to d1 --to d2 --json
expect_rc 0 "first offload"
for d in d1 d2; do
	same_copy "$card" "$d/A001R1AB"
	schema_ok "$d/A001R1AB"
	[ "$(ngens "$d/A001R1AB")" -eq 1 ] || fail "$d: expected one generation"
	m=$(newest "$d/A001R1AB")
	grep -q '<process>transfer</process>' "$m" || fail "$m: process"
	grep -q '<tool version="[0-9.]*">setpost</tool>' "$m" || fail "$m: tool"
	grep -q "<hostname>$(hostname)</hostname>" "$m" || fail "$m: hostname"
	[ "$(grep -c 'action="original"' "$m")" -eq $nmedia ] || fail "$m: $nmedia originals expected"
	grep -q '<roothash>' "$m" || fail "$m: a complete generation has a roothash"
	! grep '<path' "$m" | grep -q 'DS_Store\|\._A001\|Spotlight\|System Volume' || fail "$m lists junk"
	[ ! -e "$d/A001R1AB/.DS_Store" ] || fail "$d: junk copied"
done
no_partials d1 d2
# Every hash in the manifest is the one xxhsum computes on the copy.
while read -r h f; do
	grep -q ">$h</xxh64>" "$(newest d1/A001R1AB)" || fail "manifest lacks xxh64 of $f"
done < <(hashes d1/A001R1AB)
# JSON: card, per file hashes equal to xxhsum's, per destination verified counts.
jq -e --argjson n $nmedia --arg m $method '.ok and .card == "A001R1AB" and (.files | length) == $n and
	(.destinations | length) == 2 and all(.destinations[]; .verified == $n and .failed == 0
	and .verify_method == $m and (.device | test("^[0-9]+:[0-9]+$")) and .generation == 1)
	and (.junk_skipped | length) == 4' out.txt >/dev/null || fail "json summary: $(head -c 600 out.txt)"
[ "$(jq -r '.files[] | select(.path == "Clips/A001C001_230101_R1AB.mov") | .hashes.xxh64' out.txt)" = \
  "$(xxhsum -H1 "$card/Clips/A001C001_230101_R1AB.mov" 2>/dev/null | cut -d' ' -f1)" ] || fail "json hash"
[ "$(jq -r '.files[] | select(.path == "Clips/A001C001_230101_R1AB.mov") | .mtime' out.txt)" = \
  "2023-01-01T10:00:00.123456789Z" ] || fail "json mtime"
grep -q 'not two copies' err.txt || fail "same-device warning missing: $(cat err.txt)"
ok "two copies: tree, names, sizes, times, xxhsum, cmp, ASC MHL (XSD), JSON, junk skipped"

# --- run again: everything is recognised and skipped -----------------------------------------
run "$card" --to d1 --to d2 -v
expect_rc 0 "second offload"
[ "$(grep -c '^skipped' out.txt)" -eq $nmedia ] || fail "second run should skip all: $(cat out.txt)"
[ "$(ngens d1/A001R1AB)" -eq 1 ] || fail "a run that verified nothing wrote a generation"
ok "a second run skips verified copies and writes no generation"

# --- every algorithm ----------------------------------------------------------------------
mkdir -p d3
run "$card" --to d3 --hash md5,xxh64,sha1,xxh128,xxh3,c4 --json
expect_rc 0 "all algorithms"
m=$(newest d3/A001R1AB)
f="Clips/Scène 1 — prise 2 (été).mov"
for a in md5 sha1 xxh128 xxh3 xxh64 c4; do
	grep -q "<$a action=\"original\"" "$m" || fail "$m lacks $a"
done
grep -q ">$(md5sum "$card/$f" | cut -d' ' -f1)</md5>" "$m" || fail "md5 differs from md5sum"
grep -q ">$(sha1sum "$card/$f" | cut -d' ' -f1)</sha1>" "$m" || fail "sha1 differs from sha1sum"
grep -q ">$(xxhsum -H2 "$card/$f" 2>/dev/null | cut -d' ' -f1)</xxh128>" "$m" || fail "xxh128 differs"
grep -q ">$(xxhsum -H3 "$card/$f" 2>/dev/null | sed 's/.* = //')</xxh3>" "$m" || fail "xxh3 differs"
grep -q '<c4 action="original" hashdate="[^"]*">c4[1-9A-HJ-NP-Za-km-z]\{88\}</c4>' "$m" || fail "c4 form"
grep -q '<md5 hashdate' "$m" || fail "directory hashes use the first algorithm asked for (md5)"
schema_ok d3/A001R1AB
ok "--hash md5,xxh64,sha1,xxh128,xxh3,c4 agree with md5sum, sha1sum, xxhsum -H1/-H2/-H3"

# --- a card with its own ASC MHL history (a copy of a copy) ------------------------------------
mkdir -p d4
run d1/A001R1AB --to d4 --json
expect_rc 0 "offload of a copy"
same_copy d1/A001R1AB d4/A001R1AB
cmp -s d1/A001R1AB/ascmhl/"$(basename "$(newest d1/A001R1AB)")" \
	d4/A001R1AB/ascmhl/"$(basename "$(newest d1/A001R1AB)")" || fail "history not copied"
[ "$(ngens d4/A001R1AB)" -eq 2 ] || fail "d4: the history should continue with generation 2"
m=$(newest d4/A001R1AB)
[ "$(grep -c 'action="verified"' "$m")" -eq $nmedia ] || fail "$m: $nmedia verified expected"
grep -q 'sequencenr="2"' d4/A001R1AB/ascmhl/ascmhl_chain.xml || fail "chain entry 2"
! grep -q 'ascmhl/' <(grep '<path' "$m") || fail "$m lists the ascmhl folder"
schema_ok d4/A001R1AB
jq -e '.files | map(select(.kind == "history")) | length == 2' out.txt >/dev/null ||
	fail "history files should be copied as kind history"
ok "a card's own ascmhl/ is copied, not listed, and its history continues (verified)"

# --- --rehash finds a copy that changed after it was verified, and replaces it ------------------
f=d2/A001R1AB/Clips/A001C002_230101_R1AB.mov
when=$(stat -c %y "$f")
printf 'X' | dd of="$f" bs=1 seek=100000 conv=notrunc status=none
touch -d "$when" "$f"
run "$card" --to d1 --to d2
expect_rc 0 "plain run after silent corruption"
cmp -s "$f" "$card/Clips/A001C002_230101_R1AB.mov" && fail "corruption was not made"
run "$card" --to d1 --to d2 --rehash --json
expect_rc 0 "rehash"
grep -q "A001C002_230101_R1AB.mov: the copy read back differs from the source" err.txt ||
	fail "rehash did not report the change: $(cat err.txt)"
cmp -s "$f" "$card/Clips/A001C002_230101_R1AB.mov" || fail "corrupt copy not replaced"
jq -e '.destinations[1].repaired == 1 and .destinations[0].repaired == 0' out.txt >/dev/null ||
	fail "json repaired counts"
m=$(newest d2/A001R1AB)
[ "$(grep -c 'action="verified"' "$m")" -eq $nmedia ] || fail "rehash generation should verify all"
[ "$(ngens d2/A001R1AB)" -eq 2 ] || fail "rehash adds one generation"
schema_ok d2/A001R1AB
no_partials d1 d2
ok "--rehash detects a silently changed copy and replaces it with a verified one"

# --- --source-verify and --no-direct ----------------------------------------------------------
mkdir -p d5
run "$card" --to d5 --source-verify --no-direct --json
expect_rc 0 "source-verify"
total=$(jq .bytes_total out.txt)
[ "$(jq .bytes_read out.txt)" -eq $((2 * total)) ] || fail "--source-verify should read twice"
jq -e --arg m $dontneed '.destinations[0].verify_method == $m' out.txt >/dev/null || fail "--no-direct method"
same_copy "$card" d5/A001R1AB
ok "--source-verify reads the source twice; --no-direct reads back after FADV_DONTNEED"

# --- refusals: nothing is written --------------------------------------------------------------
mkdir -p refused
cp -a "$card" "$T/src/linked" && ln -s Clips "$T/src/linked/link"
run "$T/src/linked" --to refused
expect_rc 2 "symlink on the card"
grep -q 'link: symbolic link' err.txt || fail "symlink message: $(cat err.txt)"
[ -z "$(ls refused)" ] || fail "a refused offload wrote something"
run "$card" --to "$card/Clips"
expect_rc 2 "destination inside the source"
grep -q 'inside the source' err.txt || fail "inside-source message: $(cat err.txt)"
run "$card" --to refused --to "$T/refused/"
expect_rc 2 "same destination twice"
grep -q 'same folder' err.txt || fail "same-destination message: $(cat err.txt)"
[ -z "$(ls refused)" ] || fail "a refused offload wrote something"
run "$card" --to refused --to "$T/nowhere"
expect_rc 1 "missing destination"
grep -q 'nowhere: No such file or directory (is the drive mounted?)' err.txt ||
	fail "missing destination message: $(cat err.txt)"
same_copy "$card" refused/A001R1AB
ok "refused: symlink, destination inside the source, same destination twice; missing one fails alone"

# --- helpers for the mid-copy faults: a card with a 200 MB clip, read slowly ---------------------
big=$T/src/B001R2CD
mkdir -p "$big"
printf 'first\n' >"$big/A_first.txt"
head -c 200000000 /dev/urandom >"$big/B_big.mov"
printf 'last\n' >"$big/C_last.txt"
slow() { SETPOST_OFFLOAD_TEST_DELAY_US=${DELAY:-30000} "$sp" offload --no-report "$@" >out.txt 2>err.txt & pid=$!; }
finish() { rc=0; { wait "$pid"; } 2>/dev/null || rc=$?; }

# --- Ctrl-C: clean stop, no partial file, a generation for what verified, then resume ------------
mkdir -p i1 i2
slow "$big" --to i1 --to i2
first_done() { [ -e i1/B001R2CD/A_first.txt ] && [ -e i2/B001R2CD/A_first.txt ] && big_started i1; }
wait_for 20 first_done || fail "the big file never started"
kill -INT "$pid"
finish
expect_rc 130 "SIGINT"
no_partials i1 i2
[ ! -e i1/B001R2CD/B_big.mov ] || fail "an interrupted copy has its real name"
grep -q 'A_first.txt' "$(newest i1/B001R2CD)" || fail "the generation lacks what verified"
! grep -q 'B_big.mov' "$(newest i1/B001R2CD)" || fail "the generation lists an unverified file"
schema_ok i1/B001R2CD
run "$big" --to i1 --to i2 -v
expect_rc 0 "resume after SIGINT"
grep -q '^skipped  A_first.txt' out.txt || fail "resume should skip A_first.txt: $(cat out.txt)"
same_copy "$big" i1/B001R2CD
same_copy "$big" i2/B001R2CD
[ "$(ngens i2/B001R2CD)" -eq 2 ] || fail "resume adds a generation"
grep -q 'B_big.mov' "$(newest i2/B001R2CD)" || fail "resume generation lacks B_big.mov"
schema_ok i2/B001R2CD
ok "Ctrl-C stops cleanly (exit 130, no partial, generation of what verified); a rerun resumes"

# --- kill -9: the partial file is removed and copied again on the next run -----------------------
mkdir -p k1
slow "$big" --to k1
wait_for 20 big_started k1 || fail "the big file never started"
kill -KILL "$pid"
finish
has_partial k1 || fail "kill -9 should leave the partial file behind"
run "$big" --to k1
expect_rc 0 "rerun after kill -9"
grep -qE 'removed [1-9][0-9]* partial file' err.txt || fail "stale partial not reported: $(cat err.txt)"
no_partials k1
same_copy "$big" k1/B001R2CD
ok "after kill -9 the partial copy is removed and the card copied again"

# --- the source shrinks mid-copy -------------------------------------------------------------------
cp -a "$big" "$T/src/shrink"
mkdir -p s1 s2
slow "$T/src/shrink" --to s1 --to s2
wait_for 20 big_started s1 || fail "the big file never started"
truncate -s 10000000 "$T/src/shrink/B_big.mov"
finish
expect_rc 1 "source shrank"
grep -q '^setpost offload: B_big.mov: s1: the source shrank' err.txt || fail "shrink message: $(cat err.txt)"
grep -q '^setpost offload: B_big.mov: s2: the source shrank' err.txt || fail "shrink message s2"
[ ! -e s1/shrink/B_big.mov ] && [ ! -e s2/shrink/B_big.mov ] || fail "a failed copy has its real name"
no_partials s1 s2
! grep -q B_big.mov "$(newest s1/shrink)" || fail "the failed file is in the manifest"
cmp -s "$T/src/shrink/C_last.txt" s2/shrink/C_last.txt || fail "the other files should go on"
ok "a source that shrinks mid-copy fails that file everywhere; nothing is left under its name"

# --- root-only faults: full, read-only, unreadable source ------------------------------------------
if [ "$root" -eq 0 ]; then
	skip "full / read-only / EIO destinations" "need root for mounts"
	exit 0
fi

# A destination that fills up: that destination fails, the other goes on.
mkdir -p f1
cli_mount "$T/full" 5m || fail "cannot mount a tmpfs on full"
run "$card" --to f1 --to full --json
expect_rc 1 "full destination"
grep -q "^setpost offload: destination full: no space left on device" err.txt ||
	fail "full message: $(cat err.txt)"
same_copy "$card" f1/A001R1AB
no_partials full
n=$(jq '.destinations[1].verified' out.txt)
[ "$n" -ge 1 ] && [ "$n" -lt $nmedia ] || fail "the full destination should hold some files ($n)"
jq -e '.destinations[1].verify_method == "memory" and .destinations[1].fs_type == "tmpfs"' \
	out.txt >/dev/null || fail "tmpfs should be reported as read back from memory"
m=$(newest full/A001R1AB)
[ "$(grep -c '<hash>' "$m")" -eq "$n" ] || fail "the manifest should list the $n verified files only"
! grep -q '<roothash>' "$m" || fail "an incomplete generation has no roothash"
schema_ok full/A001R1AB
while read -r h f; do
	grep -q ">$h</xxh64>" "$m" || fail "$f in the full destination is not in its manifest"
	cmp -s "$card/$f" "full/A001R1AB/$f" || fail "cmp full/$f"
done < <(hashes full/A001R1AB)
ok "a destination that fills up fails alone (no space left), keeps verified files only"

# A read-only destination fails at start; the other goes on.
mkdir -p r1
cli_mount "$T/ro" 1m && mount -o remount,ro "$T/ro" || fail "cannot mount a read-only tmpfs on ro"
run "$card" --to ro --to r1
expect_rc 1 "read-only destination"
grep -q '^setpost offload: destination ro: read-only file system' err.txt ||
	fail "read-only message: $(cat err.txt)"
same_copy "$card" r1/A001R1AB
ok "a read-only destination fails at start with a clear message; the other is copied"

# Copy order: a clip's files one after the other, so each clip is verified (and registered, with
# --register) as early as it can be. In path order a Sony clip's proxy (Sub/) and thumbnail
# (Thmbnl/) come after every clip of the card. The --json summary lists files in the order the
# engine read and copied them.
sony=$T/src/A004/XDROOT
mkdir -p "$sony/Clip" "$sony/Sub" "$sony/Thmbnl" "$sony/General"
for c in A004C002_250103J4 A004C003_250103K7; do
	head -c 300000 /dev/urandom >"$sony/Clip/$c.MXF"
	printf '<NonRealTimeMeta/>\n' >"$sony/Clip/${c}M01.XML"
	head -c 30000 /dev/urandom >"$sony/Sub/${c}S03.MP4"
	head -c 3000 /dev/urandom >"$sony/Thmbnl/${c}T01.JPG"
done
printf '<MediaProfile/>\n' >"$sony/MEDIAPRO.XML"
printf 'x' >"$sony/General/device.bin"
mkdir -p d8
run "$T/src/A004" --to d8 --json
expect_rc 0 "sony card"
order=$(jq -r '.files[].path' out.txt | tr '\n' ' ')
want="XDROOT/Clip/A004C002_250103J4.MXF XDROOT/Clip/A004C002_250103J4M01.XML XDROOT/Sub/A004C002_250103J4S03.MP4 XDROOT/Thmbnl/A004C002_250103J4T01.JPG XDROOT/Clip/A004C003_250103K7.MXF XDROOT/Clip/A004C003_250103K7M01.XML "
[ "${order:0:${#want}}" = "$want" ] || fail "copy order is not clip by clip: $order"
case "$order" in *XDROOT/Sub/A004C003_250103K7S03.MP4\ XDROOT/Thmbnl/A004C003_250103K7T01.JPG*) ;;
	*) fail "the second clip's files are not together: $order" ;; esac
for f in XDROOT/MEDIAPRO.XML XDROOT/General/device.bin; do
	case "$order" in *"$f"*) ;; *) fail "$f not copied: $order" ;; esac
done
cmp -s "$sony/Sub/A004C003_250103K7S03.MP4" d8/A004/XDROOT/Sub/A004C003_250103K7S03.MP4 || fail "sony copy"
ok "a clip's files are copied together (Sony: Clip/, its XML, Sub/ proxy, Thmbnl/), then the next clip"

# The source becomes unreadable mid-copy (EIO): a card on a loop device that shrinks under it.
if ! command -v mkfs.ext4 >/dev/null || ! loopdev=$(losetup -f 2>/dev/null); then
	skip "a source that fails to read mid-copy (EIO)" "no loop device"
	exit 0
fi
truncate -s 300M card.img
mkfs.ext4 -q -F card.img
loopdev=$(losetup -f --show card.img)
mkdir -p cardmnt e1
mount "$loopdev" cardmnt
mkdir cardmnt/C001 && cp "$big"/* cardmnt/C001/ && sync
umount cardmnt && mount "$loopdev" cardmnt
slow cardmnt/C001 --to e1
wait_for 20 big_started e1 || fail "the big file never started"
truncate -s 20M card.img && losetup -c "$loopdev"
finish
expect_rc 1 "unreadable source"
grep -q '^setpost offload: B_big.mov: e1: read error in the source at byte [0-9]*: Input/output error' \
	err.txt || fail "EIO message: $(cat err.txt)"
[ ! -e e1/C001/B_big.mov ] || fail "a failed copy has its real name"
no_partials e1
ok "a source that fails to read mid-copy (EIO) fails that file with the reason"
echo "all offload tests passed"
