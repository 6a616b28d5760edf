#!/usr/bin/env bash
# Archive rules (issue 19): "at wrap, archive the day's originals and sound to LTO", through the
# CLI and the HTTP API only. A production gets an archive rule (setpost rules archive-add; bad
# rules refused whole); a camera card and a sound roll are offloaded to two disks and
# registered; wrapping the day (POST /api/v1/days/{id}/wrap) queues the archive job by itself;
# a worker runs it to the stand-in tape's mount point, where no tape is mounted yet: the job
# waits ("insert a tape") and the working drives stay not safe to clear. The tape mounted, the
# job writes and reads back every file; the catalogue lists both cards on the tape, and only
# now are the working drives safe to clear.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_journey journey_archive_wrap
on_fail() { tail -n 20 "$tmp/serve.log" "$tmp/worker.log" 2>/dev/null >&2 || true; }
cli_need_root "archive rules on a stand-in tape"
bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1
cli_serve "$tmp/serve" --data "$tmp/data"
export SETPOST_URL=$url
export SETPOST_TOKEN=$("$bin" token create --role admin --name cart | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url$1"; }
send() { curl -s -o "$tmp/body" -w "%{http_code}" -X "$1" -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" -d "$3" "$url$2"; }
cli_mount "$tmp/raid" && cli_mount "$tmp/shuttle" || { skip "archive rules" "tmpfs mounts failed"; exit 0; }

for c in "arri --card A001R1AB" "sound/SR001"; do
	set -- $c
	out=$("$bin" offload "$tmp/cards/$1" ${2:-} ${3:-} --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
		--production Feature --day 2026-11-25 --no-progress 2>&1) || fail "offload $1: $out"
done
pid=$(api /api/v1/productions | jq '.items[0].id')
day=$(api /api/v1/days | jq '.items[0].id')
[[ $(send PATCH "/api/v1/productions/$pid/copy-policy" '{"copies":3,"media_types":2,"archive":"lto","offsite":false}') == 200 ]] || fail "policy: $(cat "$tmp/body")"

# The rule: the tape drive's mount point, declared once; a bad rule changes nothing.
mkdir -p "$tmp/tape"
"$bin" volume add tape "$tmp/tape" >/dev/null
for bad in '{"tape":"relative/path"}' '{"tape":"/srv/tape","what":"proxies"}' "{\"tape\":\"$tmp/tape\",\"order\":\"random\"}" "{\"tape\":\"$tmp/tape\",\"pool\":\"X\"}"; do
	code=$(send POST "/api/v1/productions/$pid/archive-rules" "$bad")
	[[ $code == 400 && $(jq -r .error.code "$tmp/body") == invalid ]] || fail "bad rule $bad: $code $(cat "$tmp/body")"
done
code=$(send POST "/api/v1/productions/$pid/archive-rules" '{"tape":"/etc/tape"}')
[[ $code == 400 ]] && grep -q "not under a declared volume" "$tmp/body" || fail "a tape outside the declared volumes: $code $(cat "$tmp/body")"
code=$(send POST "/api/v1/productions/999999/archive-rules" "{\"tape\":\"$tmp/tape\"}")
[[ $code == 404 ]] || fail "no such production: $code $(cat "$tmp/body")"
[[ $(api "/api/v1/productions/$pid/archive-rules" | jq '.items | length') -eq 0 ]] || fail "a refused rule was kept"
out=$("$bin" rules archive-add --production "$pid" --tape "$tmp/tape" --what all) || fail "archive-add: $out"
grep -q "^archive rule [0-9]*	all	$tmp/tape	size$" <<<"$out" || fail "archive-add: $out"
if "$bin" rules archive-add --production "$pid" --tape "$tmp/tape" >/dev/null 2>"$tmp/err"; then fail "the same rule twice"; fi
grep -q "409" "$tmp/err" || fail "twice: $(cat "$tmp/err")"
rules=$(api "/api/v1/productions/$pid/archive-rules")
[[ $(jq -r '.items | map([.what, .tape, .order] | join(" ")) | join(",")' <<<"$rules") == "all $tmp/tape size" ]] || fail "rules: $rules"
"$bin" rules archive-list --production "$pid" | grep -q "	all	$tmp/tape	size$" || fail "archive-list"
ok "an archive rule for the production (CLI, API): bad rules, a tape outside the volumes, a second copy of it refused, nothing kept"

# The wrap queues the archive job; no tape is in the drive yet, so it waits for one.
cli_worker "$tmp/worker" --slots 2 --data "$tmp/data"
code=$(send POST "/api/v1/days/$day/wrap" '')
[[ $code == 200 ]] || fail "wrap: $code $(cat "$tmp/body")"
job=$(jq '.archive_jobs[0]' "$tmp/body")
[[ $(jq '.archive_jobs | length' "$tmp/body") -eq 1 && $job =~ ^[0-9]+$ ]] || fail "the wrap queues one archive job: $(cat "$tmp/body")"
until_api 60 '.state == "running" and (.progress_text | test("insert a tape and mount it at"))' "/api/v1/jobs/$job" ||
	fail "the job waits for a tape: $got"
[[ $(jq -r '[.kind, .payload.day, .payload.rule_id != null] | map(tostring) | join(" ")' <<<"$got") == "archive 2026-11-25 true" ]] || fail "job: $got"
cards=$(api "/api/v1/days/$day/cards")
[[ $(jq -r '[.cards[] | [.label, .safe_to_format, .safe_to_clear] | map(tostring) | join("/")] | sort | join(",")' <<<"$cards") == "A001R1AB/true/false,SR001/true/false" ]] || fail "gates before the tape: $cards"
jq -e '[.cards[].why_not_clear[]] | any(test("no verified LTO copy"))' <<<"$cards" >/dev/null || fail "archive missing: $cards"
ok "wrapping the day queues the archive job by itself; with no tape in the drive it waits, and the working drives are not safe to clear"

# The tape goes in: the job writes, reads back, and the gate opens.
mkdir -p "$tmp/next"
mount -t tmpfs -o size=16m tmpfs "$tmp/next"
python3 -c "import os,sys; [os.setxattr(sys.argv[1], 'user.ltfs.' + k, v.encode()) for k, v in zip(('volumeUUID', 'volumeName', 'volumeSerial'), sys.argv[2:])]" "$tmp/next" 9b2c-0001 WRAP01 WRAP01L8
mount --move "$tmp/next" "$tmp/tape"
_cli_mounts+=("$tmp/tape")
until_api 120 '.state == "done" or .state == "dead"' "/api/v1/jobs/$job" || fail "archive job: $got"
[[ $(jq -r '[.state, .result.failed, .result.written == .result.verified, .result.verified > 0] | map(tostring) | join(" ")' <<<"$got") == "done 0 true true" ]] || fail "archive job: $got"
tapes=$(api /api/v1/tapes)
[[ $(jq -r '.items | map(.label + ":" + (.cards | sort | join("+"))) | join(" ")' <<<"$tapes") == "WRAP01:A001R1AB+SR001" ]] || fail "catalogue: $tapes"
[[ $(jq '.items[0].files' <<<"$tapes") -eq $(api /api/v1/cards | jq '[.items[].files] | add') ]] || fail "every file on the tape: $tapes"
[[ $(api "/api/v1/tapes?find=A001C001" | jq -r '[.items[].label] | join(",")') == WRAP01 ]] || fail "which tape holds A001C001"
[[ -n $(find "$tmp/tape/2026-11-25/SR001" -maxdepth 1 -name 'SR001_offload_*.pdf') ]] || fail "the sound roll's report on the tape"
cards=$(api "/api/v1/days/$day/cards")
[[ $(jq -r '[.cards[] | [.safe_to_format, .safe_to_clear] | map(tostring) | join("/")] | unique | join(",")' <<<"$cards") == "true/true" ]] || fail "gates after the tape: $cards"
ok "the tape mounted, the job archives the day by itself: the catalogue lists both cards on tape WRAP01, and only now are the working drives safe to clear"

# A day wraps once: a second wrap queues nothing. The rule removed, the next wraps queue nothing.
code=$(send POST "/api/v1/days/$day/wrap" '')
[[ $code == 409 ]] || fail "second wrap: $code $(cat "$tmp/body")"
[[ $(api "/api/v1/jobs?kind=archive&limit=200" | jq '[.items[] | select(.kind == "archive")] | length') -eq 1 ]] || fail "one archive job"
rid=$(jq '.items[0].id' <<<"$rules")
"$bin" rules archive-remove "$rid" | grep -q "archive rule $rid removed" || fail "archive-remove"
[[ $(api "/api/v1/productions/$pid/archive-rules" | jq '.items | length') -eq 0 ]] || fail "removed"
ok "a second wrap is refused and queues nothing; the rule is removed (CLI)"
