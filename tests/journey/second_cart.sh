#!/usr/bin/env bash
# A second unit (issue 20): two carts, a main unit and a second unit of one production, each its
# own `setpost serve` + `setpost worker` on its own database (they never reach each other),
# feed one post house (a third `setpost serve`, the receiver). Each cart names its unit once
# (PATCH /api/v1/productions/1 {"settings": {"unit": ...}}); its deliveries and their events
# carry it; the post house files each unit's arrivals apart
# (<uploads>/<production>/<unit>/<day>/<card>/...) although both carts shot a card with the
# same label and clip names on the same day, and GET /api/v1/arrivals and the day report
# (GET /api/v1/arrivals/days) show both units. Real ffmpeg proxies, delivered by tus with age.
#   tests/journey/second_cart.sh build/setpost
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
what="two carts of one production deliver to one post house, kept apart by unit"

cli_need_root "$what"
cli_need_tools "$what" ffmpeg xxhsum age jq
cli_tmp sc
on_fail() { for f in main-worker.log second-worker.log post.log; do echo "== $f" >&2; tail -n 10 "$tmp/$f" >&2 2>/dev/null || true; done; }

# The post house.
cli_db sc_post
"$bin" keygen -o "$tmp/post.key" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$tmp/post.key")
SETPOST_DATABASE_URL=$CLI_DB cli_serve "$tmp/post" --data "$tmp/post" --age-identity "$tmp/post.key"
post=$url
POST_DB=$CLI_DB
post_token=$(SETPOST_DATABASE_URL=$POST_DB "$bin" token create --role post --name carts | tail -n 1)
papi() { curl -s -H "Authorization: Bearer $post_token" "$post$@"; }

bash "$top/tests/fixtures/make-qc-clips.sh" "$tmp/fx" >/dev/null 2>&1
# The second unit's camera shot something else (the fixture's clean takes are one picture).
ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc=s=320x180:r=25:d=4" \
	-f lavfi -i "sine=frequency=550:sample_rate=48000:d=4" -ac 2 -c:v prores_ks -profile:v 0 \
	-c:a pcm_s24le -timecode 03:00:00:00 "$tmp/fx/A001R1AB/B001C001_250101_R2AB.mov"
clip=A001C001_250101_R1AB

# cart NAME UNIT SOURCE-CLIP: a cart of its own (database, data folder, two tmpfs volumes,
# server and worker), a card A001R1AB holding SOURCE-CLIP under the name $clip, offloaded,
# proxied, its unit set, and its proxy delivered to the post house. Sets the cart's variables
# <NAME>_url, <NAME>_token, <NAME>_xxh (the proxy's xxh64), <NAME>_did (the delivery).
cart() {
	local name=$1 unit=$2 src=$3 cart_url token db rid xxh target did got="" i
	cli_db "sc_$name"
	db=$CLI_DB
	SETPOST_DATABASE_URL=$db cli_serve "$tmp/$name" --data "$tmp/$name" --outbound-allow 127.0.0.1/32
	cart_url=$url
	token=$(SETPOST_DATABASE_URL=$db "$bin" token create --role admin --name dit | tail -n 1)
	SETPOST_DATABASE_URL=$db "$bin" worker --slots 2 --data "$tmp/$name" --outbound-allow 127.0.0.1/32 \
		>"$tmp/$name-worker.out" 2>"$tmp/$name-worker.log" &
	cli_track $!
	cli_mount "$tmp/$name-raid" || fail "tmpfs"
	cli_mount "$tmp/$name-shuttle" || fail "tmpfs"
	mkdir -p "$tmp/$name-card/A001R1AB"
	cp "$tmp/fx/A001R1AB/$src.mov" "$tmp/$name-card/A001R1AB/$clip.mov"
	SETPOST_DATABASE_URL=$db "$bin" offload "$tmp/$name-card/A001R1AB" --to "$tmp/$name-raid" \
		--to "$tmp/$name-shuttle" --register "$cart_url" --token "$token" --production Feature \
		--day 2026-12-07 --no-progress >"$tmp/$name-offload.out" 2>&1 || fail "$name offload: $(cat "$tmp/$name-offload.out")"
	capi() { curl -s -H "Authorization: Bearer $token" -H "Content-Type: application/json" "$cart_url$@"; }
	got=$(capi /api/v1/productions/1 -X PATCH -d "{\"settings\":{\"unit\":\"$unit\"}}")
	jq -e --arg u "$unit" '.settings.unit == $u' <<<"$got" >/dev/null || fail "$name: unit: $got"
	for i in $(seq 600); do
		got=$(capi /api/v1/renditions)
		jq -e '[.items[] | select(.state == "done")] | length == 1' <<<"$got" >/dev/null 2>&1 && break
		sleep 0.2
	done
	rid=$(jq -r '[.items[] | select(.state == "done")][0].id // empty' <<<"$got")
	[ -n "$rid" ] || fail "$name: no proxy: $got"
	xxh=$(jq -r ".items[] | select(.id == $rid) | .xxh64" <<<"$got")
	target=$(capi /api/v1/targets -d "{\"production_id\":1,\"name\":\"Post\",\"url\":\"$post/api/v1/uploads/\",
		\"recipient\":\"$recipient\",\"headers\":{\"Authorization\":\"Bearer $post_token\"}}" | jq -r .id)
	[[ $target =~ ^[0-9]+$ ]] || fail "$name target: $target"
	did=$(capi /api/v1/deliveries -d "{\"target_id\":$target,\"rendition_id\":$rid}" | jq -r .id)
	[[ $did =~ ^[0-9]+$ ]] || fail "$name delivery: $did"
	printf -v "${name}_url" %s "$cart_url"
	printf -v "${name}_token" %s "$token"
	printf -v "${name}_xxh" %s "$xxh"
	printf -v "${name}_did" %s "$did"
}
cart main "main unit" A001C001_250101_R1AB
cart second "2nd unit" B001C001_250101_R2AB
[[ $main_xxh != "$second_xxh" ]] || fail "the two units' proxies are the same file"

# A unit a folder could not be named after is refused, and changes nothing.
code=$(curl -s -o "$tmp/bad.json" -w "%{http_code}" -H "Authorization: Bearer $second_token" -H "Content-Type: application/json" \
	-X PATCH -d '{"settings":{"unit":"../main unit"}}' "$second_url/api/v1/productions/1")
[[ $code == 400 ]] && jq -e '.error.code == "invalid" and (.error.message | test("unit"))' "$tmp/bad.json" >/dev/null ||
	fail "unit ../main unit: $code $(cat "$tmp/bad.json")"
[[ $(curl -s -H "Authorization: Bearer $second_token" "$second_url/api/v1/productions" | jq -r .items[0].settings.unit) == "2nd unit" ]] ||
	fail "a refused unit was stored"
ok "each cart names its unit (PATCH settings.unit); a unit with '/' is refused (400) and nothing changes"

# Each cart's delivery is verified by the post house; the cart's rows and events carry its unit.
for name in main second; do
	u=${name}_url t=${name}_token d=${name}_did unit="main unit"
	[ "$name" = second ] && unit="2nd unit"
	row=""
	for _ in $(seq 450); do
		row=$(curl -s -H "Authorization: Bearer ${!t}" "${!u}/api/v1/deliveries" | jq -c ".items[] | select(.id == ${!d})")
		jq -e '.state == "delivered" or .state == "failed"' <<<"$row" >/dev/null 2>&1 && break
		sleep 0.2
	done
	jq -e --arg u "$unit" '.state == "delivered" and .unit == $u' <<<"$row" >/dev/null || fail "$name's delivery: $row"
	ev=$(curl -s -H "Authorization: Bearer ${!t}" "${!u}/api/v1/events?kind=delivery.verified&subject_type=delivery&subject_id=${!d}")
	jq -e --arg u "$unit" '.items[0].data.unit == $u' <<<"$ev" >/dev/null || fail "$name's delivery.verified: $ev"
done
ok "both carts' deliveries are delivered; GET /deliveries and delivery.verified carry each cart's unit"

# The post house keeps them apart: one card label, one clip name, one day, two units.
for name in main second; do
	unit="main unit" x=${name}_xxh
	[ "$name" = second ] && unit="2nd unit"
	f=$(find "$tmp/post/uploads/Feature/$unit/2026-12-07/A001R1AB" -type f -name "*.mp4" 2>/dev/null | head -n 1)
	[ -n "$f" ] || fail "nothing filed under Feature/$unit/2026-12-07/A001R1AB: $(find "$tmp/post/uploads" -type f)"
	[[ $(xxhsum -H1 "$f" 2>/dev/null | cut -d' ' -f1) == "${!x}" ]] || fail "$f is not $name's proxy"
done
ok "the post house filed each unit's proxy under Feature/<unit>/2026-12-07/A001R1AB/, each its own cart's bytes"

arr=$(papi /api/v1/arrivals)
jq -e --arg a "$main_xxh" --arg b "$second_xxh" '.items | length == 2
	and any(.unit == "main unit" and .xxh64 == $a and .card == "A001R1AB" and .production == "Feature")
	and any(.unit == "2nd unit" and .xxh64 == $b and .card == "A001R1AB" and .production == "Feature")' <<<"$arr" >/dev/null ||
	fail "GET /api/v1/arrivals: $arr"
ok "GET /api/v1/arrivals at the post house: both units' arrivals, each with its unit"
days=$(papi "/api/v1/arrivals/days?day=2026-12-07")
jq -e '.items | length == 2 and all(.production == "Feature" and .day == "2026-12-07" and .arrivals == 1
	and .cards == ["A001R1AB"] and .clips == 1 and .bytes > 0) and ([.[].unit] == ["2nd unit", "main unit"])' <<<"$days" >/dev/null ||
	fail "GET /api/v1/arrivals/days: $days"
[[ $(papi "/api/v1/arrivals/days?day=2026-12-08" | jq '.items | length') == 0 ]] || fail "another day"
code=$(papi "/api/v1/arrivals/days?day=yesterday" -o "$tmp/bad.json" -w "%{http_code}")
[[ $code == 400 ]] && jq -e .error.message "$tmp/bad.json" >/dev/null || fail "day=yesterday: $code"
ok "the post house's day report (GET /api/v1/arrivals/days): Feature, 2026-12-07, one row per unit (refused: day=yesterday)"
for _ in $(seq 25); do
	[[ $(psql -qtA "$POST_DB" -c "SELECT count(DISTINCT data->>'unit') FROM events WHERE kind = 'arrival.verified'") == 2 ]] && break
	sleep 0.2
done
[[ $(psql -qtA "$POST_DB" -c "SELECT string_agg(DISTINCT data->>'unit', ',') FROM events WHERE kind = 'arrival.verified'") == "2nd unit,main unit" ]] ||
	fail "arrival.verified events: $(psql -qtA "$POST_DB" -c "SELECT data FROM events WHERE kind = 'arrival.verified'")"
ok "the post house's arrival.verified events carry each unit"
echo "second_cart.sh: all passed"
