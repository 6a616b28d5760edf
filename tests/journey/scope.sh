#!/usr/bin/env bash
# Issue 14: a post or editor token that serves one production reads only that production, and
# editors never read a host path. Two productions on one cart (Alpha and Bravo, a real card
# each, offloaded, probed and proxied by a real worker, plus an offload job and a LUT), tokens
# for Alpha, and every GET route of server/openapi.json walked with each: an id of Bravo's is a
# 404 (as if it did not exist), an id of Alpha's is answered, no list or stream shows a thing
# of Bravo's, and nothing an editor reads names a path on the cart (all of them lie under
# $tmp: the card, the volume, the data folder). Drives only the CLI and the HTTP API.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
cli_need_tools "production scope" ffmpeg jq python3 curl
cli_journey scope
cli_mount "$tmp/raid" && cli_mount "$tmp/shuttle" ||
	{ skip "production scope" "need root to mount two tmpfs volumes"; exit 0; }
cli_serve "$tmp/serve" --data "$tmp/data"
"$bin" worker --slots 2 --data "$tmp/data" >"$tmp/worker.out" 2>"$tmp/worker.log" &
cli_track $!
on_fail() { tail -n 15 "$tmp/worker.log" "$tmp/serve.log" >&2 2>/dev/null || true; }
admin=$("$bin" token create --role admin --name dit | tail -n 1)
export SETPOST_TOKEN=$admin
api() { curl -s -H "Authorization: Bearer $admin" -H "Content-Type: application/json" "$url$@"; }

# Two cards of one clip each: A001 for Alpha, B001 for Bravo.
bash "$top/tests/fixtures/make-qc-clips.sh" "$tmp/fx" >/dev/null 2>&1
mkdir -p "$tmp/cards/A001R1AB" "$tmp/cards/B001R1AB"
cp "$tmp/fx/A001R1AB/A001C001_250101_R1AB.mov" "$tmp/cards/A001R1AB/"
cp "$tmp/fx/A001R1AB/A001C002_250101_R1AB.mov" "$tmp/cards/B001R1AB/B001C001_250101_R1AB.mov"
for p in Alpha:A001R1AB Bravo:B001R1AB; do
	mkdir -p "$tmp/raid/${p%%:*}" "$tmp/shuttle/${p%%:*}"
	"$bin" offload "$tmp/cards/${p#*:}" --to "$tmp/raid/${p%%:*}" --to "$tmp/shuttle/${p%%:*}" --register "$url" \
		--production "${p%%:*}" --day 2026-12-07 --no-progress >"$tmp/offload.out" 2>&1 ||
		fail "offload ${p#*:}: $(cat "$tmp/offload.out")"
done
until_api 180 '[.items[] | select(.state == "done")] | length == 2' /api/v1/renditions ||
	fail "proxies not made: $got"
# An offload job for each production: its payload names host paths (the card's folder).
for p in Alpha Bravo; do
	r=$(api /api/v1/offload-jobs -d "{\"source\":\"$tmp/raid/$p/gone\",\"destinations\":[\"$tmp/shuttle/$p/again\"],
		\"production\":\"$p\",\"day\":\"2026-12-07\",\"card\":\"X001\"}")
	jq -e .job_id <<<"$r" >/dev/null || fail "offload job for $p: $r"
done
prods=$(api /api/v1/productions)
alpha=$(jq -r '.items[] | select(.name == "Alpha") | .id' <<<"$prods")
bravo=$(jq -r '.items[] | select(.name == "Bravo") | .id' <<<"$prods")
[[ $alpha =~ ^[0-9]+$ && $bravo =~ ^[0-9]+$ ]] || fail "productions: $prods"
cube=$(printf 'LUT_3D_SIZE 2\\n'; for i in 1 2 3 4 5 6 7 8; do printf '0 0 0\\n'; done)
for p in "$alpha" "$bravo"; do
	api /api/v1/luts -d "{\"name\":\"show$p\",\"production_id\":$p,\"cube\":\"$cube\"}" | jq -e .id >/dev/null ||
		fail "LUT for production $p"
done

# Tokens: an editor and a post house serving Alpha; an editor serving every production.
tok() { api /api/v1/tokens -d "$1" | jq -r .token; }
printf '{"editor_alpha":"%s","post_alpha":"%s","editor_all":"%s","admin":"%s"}\n' \
	"$(tok "{\"name\":\"bay\",\"role\":\"editor\",\"production_id\":$alpha}")" \
	"$(tok "{\"name\":\"lab\",\"role\":\"post\",\"production_id\":$alpha}")" \
	"$(tok '{"name":"bay2","role":"editor"}')" "$admin" >"$tmp/tokens.json"
grep -q null "$tmp/tokens.json" && fail "tokens: $(cat "$tmp/tokens.json")"

# The ids of each production, as the admin reads them.
ids() { # PRODUCTION-ID -> {"clip":..,"card":..,"day":..,"file":..,"rendition":..,"job":..,"lut":..,"production":..}
	local p=$1 day card clip file rend job lut
	day=$(api "/api/v1/days?production_id=$p" | jq '.items[0].id')
	card=$(api "/api/v1/cards?day_id=$day" | jq '.items[0].id')
	clip=$(api "/api/v1/clips?card_id=$card" | jq '.items[0].id')
	file=$(api "/api/v1/clips/$clip" | jq '.files[0].id')
	rend=$(api "/api/v1/renditions?clip_id=$clip" | jq '.items[0].id')
	job=$(api "/api/v1/jobs?kind=offload&limit=500" | jq "[.items[] | select(.payload.production == \"$(jq -r ".items[] | select(.id == $p) | .name" <<<"$prods")\")][0].id")
	lut=$(api "/api/v1/luts?production_id=$p" | jq '.items[0].id')
	echo "{\"clip\":$clip,\"card\":$card,\"day\":$day,\"file\":$file,\"rendition\":$rend,\"job\":$job,\"lut\":$lut,\"production\":$p}"
}
ids "$alpha" >"$tmp/alpha.json"
ids "$bravo" >"$tmp/bravo.json"
jq -e 'all(.[]; type == "number")' "$tmp/alpha.json" "$tmp/bravo.json" >/dev/null ||
	fail "ids: $(cat "$tmp/alpha.json" "$tmp/bravo.json")"

if ! out=$(python3 "$top/tests/journey/scope_walk.py" "$url" "$top/server/openapi.json" "$tmp/tokens.json" \
	"$tmp/alpha.json" "$tmp/bravo.json" "$tmp" 2>"$tmp/walk.err"); then
	cat "$tmp/walk.err" >&2
	fail "scope walk: $out"
fi
while IFS= read -r line; do ok "$line"; done <<<"$out"
