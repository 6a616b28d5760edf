#!/usr/bin/env bash
# LTO archive on a stand-in tape (a tmpfs mount with the LTFS extended attributes set by the
# test): the copy policy's two gates, the tape's rules (new files only, written one at a time
# in the planned order, nothing renamed, rewritten or deleted on the tape, checked with strace
# of the run), the read-back, spanning to a second tape when the first fills, the refusal to
# append to a tape holding a file's only copy, and resuming after a stop.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
cli_tmp archive
cli_db cli_archive
export SETPOST_DATABASE_URL=$CLI_DB
bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1
cli_serve "$tmp/serve" --data "$tmp/data"
export SETPOST_TOKEN=$("$bin" token create --role admin --name cart | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url$1"; }
patch() { curl -s -X PATCH -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" -d "$2" "$url$1"; }
# The LTFS software's virtual extended attributes, as the stand-in tape's root carries them.
ltfs_label() { python3 -c "import os,sys; [os.setxattr(sys.argv[1], 'user.ltfs.' + k, v.encode()) for k, v in zip(('volumeUUID', 'volumeName', 'volumeSerial'), sys.argv[2:])]" "$@"; }

if [ "$(id -u)" -ne 0 ] || ! command -v strace >/dev/null; then
	skip "archive to a stand-in tape" "needs root (tmpfs mounts) and strace"
	exit 0
fi
cli_mount "$tmp/raid" && cli_mount "$tmp/shuttle" || { skip "archive" "tmpfs mounts failed"; exit 0; }
out=$("$bin" offload "$tmp/cards/arri" --card A001R1AB --to "$tmp/raid" --to "$tmp/shuttle" \
	--register "$url" --production Feature --day 2026-11-25 --no-progress 2>&1)
grep -q "safe to format: YES; working drives safe to clear: no" <<<"$out" || fail "two disks: $out"
grep -q "not clear: .*A001C001_250101_R1AB.mov: 2 of 3 verified copies; 1 of 2 media types (disk); no verified archive (LTO or post-house receipt); no copy offsite" <<<"$out" || fail "what is missing: $out"
ok "two verified copies on disks: card safe to format, drives not safe to clear, each missing piece named"

# The policy through the CLI, then through the API; bad input changes nothing.
out=$("$bin" production policy)
grep -q "copy policy 3 verified copies on 2 media types, archive: LTO or post-house receipt, offsite copy: required (the default)" <<<"$out" || fail "default policy: $out"
out=$("$bin" production policy --archive lto --copies 3)
grep -q "archive: LTO, offsite copy: required$" <<<"$out" || fail "policy set: $out"
grep -q "working drives safe to clear: 0 of 1 cards" <<<"$out" || fail "$out"
if "$bin" production policy --media-types 5 2>"$tmp/err"; then fail "media types 5 accepted"; fi
[[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "one line: $(cat "$tmp/err")"
pid=$(api /api/v1/productions | jq '.items[0].id')
code=$(curl -s -o "$tmp/body" -w "%{http_code}" -X PATCH -H "Authorization: Bearer $SETPOST_TOKEN" \
	-H "Content-Type: application/json" -d '{"copies":1,"media_types":2}' "$url/api/v1/productions/$pid/copy-policy")
[[ $code == 400 && $(jq -r .error.code "$tmp/body") == invalid ]] || fail "bad policy: $code $(cat "$tmp/body")"
[[ $(api "/api/v1/productions/$pid/copy-policy" | jq -r '[.copies, .archive] | join(" ")') == "3 lto" ]] || fail "unchanged"
card=$(api /api/v1/cards | jq '.items[] | select(.label == "A001R1AB")')
[[ $(jq -r '[.safe_to_format, .safe_to_clear] | map(tostring) | join(" ")' <<<"$card") == "true false" ]] || fail "$card"
jq -e '.why_not_clear[] | select(test("no verified LTO copy"))' <<<"$card" >/dev/null || fail "archive missing: $card"
ok "the copy policy is set by CLI and API, refused whole when bad, and both gates show in GET /cards"

# The first tape: small, so the card spans onto a second one.
mkdir -p "$tmp/tape"
"$bin" volume add tape "$tmp/tape" >/dev/null
cli_mount "$tmp/tape" 300k
ltfs_label "$tmp/tape" 6e0f-0001 LTO001 LTO001L8
ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o "$tmp/trace" -e trace=openat,close,rename,renameat,renameat2,unlink,unlinkat,link,linkat,truncate,ftruncate,rmdir -y \
	"$bin" archive --to "$tmp/tape" --card A001R1AB --wait 60 >"$tmp/archive.out" 2>"$tmp/archive.err" &
arch=$!
cli_track $arch
for _ in $(seq 300); do grep -q "insert the next tape" "$tmp/archive.out" && break; sleep 0.2; done
grep -q "waiting: tape LTO001 is full (A001R1AB/.* did not fit): insert the next tape" "$tmp/archive.out" || fail "asks for the next tape: $(cat "$tmp/archive.out" "$tmp/archive.err")"
first=$(find "$tmp/tape" -type f | sort)
umount "$tmp/tape"
mount -t tmpfs -o size=4m tmpfs "$tmp/tape"
ltfs_label "$tmp/tape" 6e0f-0002 LTO002 LTO002L8
wait $arch || fail "archive: $(cat "$tmp/archive.out" "$tmp/archive.err")"
second=$(find "$tmp/tape" -type f | sort)
grep -q "archived: .* 0 failed" "$tmp/archive.out" || fail "$(cat "$tmp/archive.out")"
echo "$first" | grep -q "2026-11-25/A001R1AB/ascmhl/ascmhl_chain.xml" || fail "history on the first tape: $first"
echo "$second" | grep -q "2026-11-25/A001R1AB/ascmhl/ascmhl_chain.xml" || fail "history on the second: $second"
ok "the card spans two tapes: the first fills, the run asks for the next and goes on, each tape has the card's ASC MHL history"
