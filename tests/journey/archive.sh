#!/usr/bin/env bash
# LTO archive and the studio's 3-2-1 rule (issue 19), as a DIT meets it at wrap, through the
# CLI and the HTTP API only: a camera card and a sound roll offloaded to a RAID and a shuttle
# are safe to format, but the working drives are not safe to clear (no LTO copy, nothing
# offsite). The production's policy is set through the API; an archive job (POST
# /api/v1/archive-jobs) run by a worker writes the day to a stand-in tape that fills: the job
# says "insert the next tape" in its progress, the next tape is mounted, the job finishes. The
# catalogue says which tape holds which clip; the tapes go to the vault, and only then are the
# working drives safe to clear.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_tmp journey-archive
cli_db journey_archive
export SETPOST_DATABASE_URL=$CLI_DB
on_fail() { tail -n 20 "$tmp/serve.log" "$tmp/worker.log" 2>/dev/null >&2 || true; }
if [ "$(id -u)" -ne 0 ]; then
	skip "archive journey on stand-in tapes" "needs root to mount tmpfs"
	exit 0
fi
bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1
cli_serve "$tmp/serve" --data "$tmp/data"
export SETPOST_TOKEN=$("$bin" token create --role admin --name cart | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url$1"; }
send() { curl -s -X "$1" -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" -d "$3" "$url$2"; }
ltfs_tape() { # DIR UUID NAME BARCODE: a fresh stand-in tape with its LTFS attributes, mounted at DIR
	mkdir -p "$tmp/next"
	mount -t tmpfs -o "size=$5" tmpfs "$tmp/next"
	python3 -c "import os,sys; [os.setxattr(sys.argv[1], 'user.ltfs.' + k, v.encode()) for k, v in zip(('volumeUUID', 'volumeName', 'volumeSerial'), sys.argv[2:])]" "$tmp/next" "$2" "$3" "$4"
	mount --move "$tmp/next" "$1"
}
cli_mount "$tmp/raid" && cli_mount "$tmp/shuttle" || { skip "archive journey" "tmpfs mounts failed"; exit 0; }

for c in "arri --card A001R1AB" "sound/SR001"; do
	set -- $c
	out=$("$bin" offload "$tmp/cards/$1" ${2:-} ${3:-} --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
		--production Feature --day 2026-11-25 --no-progress 2>&1) || fail "offload $1: $out"
	grep -q "safe to format: YES; working drives safe to clear: no" <<<"$out" || fail "offload $1: $out"
done
day=$(api /api/v1/days | jq '.items[0].id')
cards=$(api "/api/v1/days/$day/cards")
[[ $(jq -r '[.cards[] | [.safe_to_format, .safe_to_clear] | map(tostring) | join("/")] | unique | join(",")' <<<"$cards") == "true/false" ]] || fail "gates: $cards"
ok "offloaded to two disks: both cards safe to format, working drives not safe to clear"

pid=$(api /api/v1/productions | jq '.items[0].id')
pol=$(send PATCH "/api/v1/productions/$pid/copy-policy" '{"copies":3,"media_types":2,"archive":"lto","offsite":true}')
[[ $(jq -r '[.copies, .media_types, .archive, .offsite, .safe_to_format, .safe_to_clear] | map(tostring) | join(" ")' <<<"$pol") == "3 2 lto true 2 0" ]] || fail "policy: $pol"
ok "the production's policy (3 copies, 2 media types, LTO, offsite) set through the API"

# The tape drive's mount point, declared once; the first tape is small: the day spans two.
mkdir -p "$tmp/tape"
"$bin" volume add tape "$tmp/tape" >/dev/null
_cli_mounts+=("$tmp/tape")
ltfs_tape "$tmp/tape" 7a1e-0001 DAY01A DAY01AL8 600k
cli_worker "$tmp/worker" --slots 1 --data "$tmp/data"
job=$(send POST /api/v1/archive-jobs "{\"tape\":\"$tmp/tape\",\"day\":\"2026-11-25\",\"wait_seconds\":120}" | jq -r .job_id)
[[ $job =~ ^[0-9]+$ ]] || fail "archive job: $job"
for _ in $(seq 300); do
	j=$(api "/api/v1/jobs/$job")
	grep -q "insert the next tape" <<<"$(jq -r .progress_text <<<"$j")" && break
	[[ $(jq -r .state <<<"$j") == running || $(jq -r .state <<<"$j") == queued ]] || break
	sleep 0.2
done
[[ $(jq -r .state <<<"$j") == running ]] && jq -r .progress_text <<<"$j" | grep -q "^waiting: tape DAY01A is full (.* did not fit): insert the next tape and mount it at $tmp/tape" || fail "the job asks for the next tape: $j"
ok "the first tape fills: the job waits, its progress says \"insert the next tape\""
umount "$tmp/tape"
ltfs_tape "$tmp/tape" 7a1e-0002 DAY01B DAY01BL8 8m
for _ in $(seq 300); do
	j=$(api "/api/v1/jobs/$job")
	[[ $(jq -r .state <<<"$j") == done || $(jq -r .state <<<"$j") == dead ]] && break
	sleep 0.2
done
[[ $(jq -r '[.state, .result.failed, .result.written == .result.verified] | map(tostring) | join(" ")' <<<"$j") == "done 0 true" ]] || fail "archive job: $j $(tail -n 5 "$tmp/worker.log")"
ok "the next tape mounted, the job goes on and every file is read back from tape"

tapes=$(api /api/v1/tapes)
[[ $(jq -r '[.items[] | .label + "=" + .state] | join(" ")' <<<"$tapes") == "DAY01A=full DAY01B=open" ]] || fail "tapes: $tapes"
n=$(jq '[.items[].files] | add' <<<"$tapes")
[[ $n -eq $(api /api/v1/cards | jq '[.items[].files] | add') ]] || fail "every file on a tape once: $n $tapes"
where=$(api "/api/v1/tapes?find=A001C002")
[[ $(jq '[.items[].matches[]] | length' <<<"$where") -eq 1 ]] || fail "which tape holds A001C002: $where"
api /api/v1/tapes/catalogue.csv | grep -c ",verified," | grep -qx "$n" || fail "csv"
ok "the catalogue: two tapes, every file on one of them, which tape holds clip A001C002, CSV"

cards=$(api "/api/v1/days/$day/cards")
jq -e '[.cards[].why_not_clear[]] | all(test(": no copy offsite$"))' <<<"$cards" >/dev/null || fail "only offsite missing: $cards"
for t in DAY01A DAY01B; do "$bin" volume mark "$t" --location vault >/dev/null || fail "mark $t"; done
cards=$(api "/api/v1/days/$day/cards")
[[ $(jq -r '[.cards[] | [.safe_to_format, .safe_to_clear] | map(tostring) | join("/")] | unique | join(",")' <<<"$cards") == "true/true" ]] || fail "clear: $cards"
ok "the tapes kept in the vault: the working drives are safe to clear"
