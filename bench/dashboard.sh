#!/bin/bash
# Dashboard benchmark: with 10,000 clips loaded (the data set of bench/api.sh: 2 days x 20 cards
# x 250 clips, one media file each with its xxh64 and two verified copies), the time from
# navigation to the clips table showing its first page, and to Today showing its 20 cards,
# measured in Chromium (Debian's, driven by playwright-core from tests/browser) against a
# release `setpost serve` on loopback. Cold: a fresh browser context each run (nothing cached);
# warm: one context, the page's modules cached. Beside it, the same first page of the API
# fetched by curl: what the browser adds over the bare request.
#   bench/dashboard.sh [PATH_TO_SETPOST]     (default build/setpost)
# SETPOST_BENCH_ROUNDS runs (default 5) of each, cold and warm taking turns. Targets: the clips
# table's first page under 1 s; Today (20 cards, 5,000 clips) under 300 ms cold, the request
# behind it (GET /api/v1/days/2/cards) under 30 ms: each measured as it comes (the server's page
# cache holds Today's answer until something behind it changes) and again with that cache emptied
# first, the answer built by PostgreSQL. SETPOST_BENCH_SMOKE=1: 2 cards of 50 clips a day.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
chromium=${SETPOST_CHROMIUM:-/usr/bin/chromium}
[ -x "$sp" ] || { echo "dashboard bench: $sp not found (make build)" >&2; exit 1; }
[ -x "$chromium" ] || { echo "dashboard bench: no Chromium at $chromium (make deps)" >&2; exit 1; }
for t in node npm curl psql python3; do
	command -v $t >/dev/null || { echo "dashboard bench: $t is required (make deps)" >&2; exit 1; }
done
[ -d "$top/tests/browser/node_modules/playwright-core" ] ||
	npm ci --prefix "$top/tests/browser" --no-audit --no-fund >/dev/null

serve=""
cleanup() {
	[ -n "$serve" ] && kill -TERM "$serve" 2>/dev/null && wait "$serve" 2>/dev/null || true
	bench_pg_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_begin dashboard
runs=$bench_rounds
bench_pg_start dashboard
sql() { psql "$db" -X -q -v ON_ERROR_STOP=1 "$@"; }

bench_serve serve "$work/data" --database-url "$db" --web "$top/web"
serve=$bench_pid url=$bench_url
printf 'bench password 1\n' | "$sp" user add dit --role admin --database-url "$db" --data "$work/data" >/dev/null
token=$("$sp" token create --role admin --name bench --database-url "$db" --data "$work/data" | tail -n 1)

echo "== $("$sp" --version), $("$chromium" --version 2>/dev/null | head -n 1), node $(node --version)"
ncards=$(bench_size 20 2) nclips=$(bench_size 250 50)
echo "== loading $((2 * ncards * nclips)) clips (2 days x $ncards cards x $nclips), as many files, twice as many verified copies"
sql -v ncards="$ncards" -v nclips="$nclips" <<'EOF'
BEGIN;
INSERT INTO productions (name) VALUES ('Bench Feature');
INSERT INTO days (production_id, shoot_date, label)
	SELECT 1, date '2026-11-24' + d, 'Day ' || (d + 1) FROM generate_series(1, 2) d;
INSERT INTO volumes (name, kind, fs_uuid) VALUES
	('RAID-01', 'raid', '5f1c0a9e-0b7e-4d7c-9a51-000000000001'),
	('SHUTTLE-01', 'shuttle', '5f1c0a9e-0b7e-4d7c-9a51-000000000002');
INSERT INTO cards (day_id, label, camera, vendor, reel)
	SELECT d.id, cam || lpad(reel::text, 3, '0'), cam, 'ARRI', cam || lpad(reel::text, 3, '0')
	FROM days d, generate_series(1, :ncards) n,
	LATERAL (SELECT CASE WHEN n % 2 = 1 THEN 'A' ELSE 'B' END cam,
	                (d.id - 1) * :ncards / 2 + (n + 1) / 2 reel) x
	ORDER BY d.id, n;
INSERT INTO clips (card_id, name, state, scene, take, circled, notes, camera, reel, start_tc,
                   fps_num, fps_den, duration_frames, width, height, codec, created_at, updated_at)
	SELECT k.id, k.label || 'C' || lpad(g::text, 3, '0') || '_' || to_char(dy.shoot_date, 'YYMMDD'),
	       'secured', (g / 6 + 1)::text, ((g - 1) % 6 + 1)::text, (g * 7 + k.id) % 4 = 0, '',
	       k.camera, k.reel,
	       lpad((10 + g / 60)::text, 2, '0') || ':' || lpad((g % 60)::text, 2, '0') || ':00:00',
	       24000, 1001, 720 + (g * 37) % 4000, 4448, 3096, 'ARRIRAW',
	       dy.shoot_date + time '08:00' + g * interval '2 min',
	       dy.shoot_date + time '08:00' + g * interval '2 min'
	FROM cards k JOIN days dy ON dy.id = k.day_id, generate_series(1, :nclips) g ORDER BY k.id, g;
INSERT INTO files (card_id, clip_id, rel_path, size, mtime, role)
	SELECT c.card_id, c.id, k.label || '/' || c.name || '.mxf', 2800000000 + (c.id * 7919) % 900000000,
	       c.created_at, 'media'
	FROM clips c JOIN cards k ON k.id = c.card_id ORDER BY c.id;
INSERT INTO hashes (file_id, algorithm, value, computed_at)
	SELECT id, 'xxh64', substr(md5(rel_path), 1, 16), created_at FROM files ORDER BY id;
INSERT INTO copies (file_id, volume_id, rel_path, state, verified_at)
	SELECT f.id, v.id, f.rel_path, 'verified', f.mtime + interval '30 min'
	FROM files f, volumes v ORDER BY f.id, v.id;
-- some QC findings and finished proxies, so the list's extra columns have work to do
INSERT INTO qc_flags (clip_id, kind, severity, start_frame, end_frame, message)
	SELECT id, 'clipped_highlights', 'warning', 10, 40, 'clipped highlights' FROM clips WHERE id % 7 = 0;
INSERT INTO renditions (clip_id, profile, state, rel_path, xxh64, size)
	SELECT id, 'h264', 'done', name || '.mp4', substr(md5(name), 1, 16), 40000000 FROM clips WHERE id % 2 = 0;
COMMIT;
VACUUM ANALYZE;
EOF
echo "   $(sql -At -c 'SELECT count(*) FROM clips') clips"

# The bare request, for comparison: the first page of the list as the table asks for it.
api_ms=()
for _ in $(seq 1 "$runs"); do
	api_ms+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "$url/api/v1/clips?" |
		awk '{ printf "%.1f", $1 * 1000 }')")
done
# Today's request twice over: built by PostgreSQL (the server's page cache emptied first, as
# any write to the tables behind it does: a NOTIFY on setpost_data, migration 0013), and again
# from the page cache.
forget="psql '$db' -X -q -c \"NOTIFY setpost_data, 'bench'\" && sleep 0.2"
day_ms=() built_ms=()
for _ in $(seq 1 "$runs"); do
	sh -c "$forget"
	built_ms+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "$url/api/v1/days/2/cards" |
		awk '{ printf "%.1f", $1 * 1000 }')")
done
for _ in $(seq 1 "$runs"); do
	day_ms+=("$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "$url/api/v1/days/2/cards" |
		awk '{ printf "%.1f", $1 * 1000 }')")
done
json=$(URL=$url USER_NAME=dit PASSWORD='bench password 1' RUNS=$runs CHROMIUM=$chromium FORGET=$forget \
	node "$top/bench/dashboard.mjs")
while read -r name value; do bench_record "$name" "$value"; done < <(python3 -c '
import json, sys
for k, xs in json.loads(sys.argv[1]).items():
    for x in xs:
        print(k, x)' "$json")
for v in "${api_ms[@]}"; do bench_record api_clips "$v"; done
for v in "${day_ms[@]}"; do bench_record api_day "$v"; done
for v in "${built_ms[@]}"; do bench_record api_day_built "$v"; done
day_clips=$((ncards * nclips))
echo "== $runs runs each; ms from navigation to the view filled"
bench_row "clips table, first page, cold cache" clips_cold ms %.0f
bench_row "clips table, first page, warm cache" clips_warm ms %.0f
bench_row "Today ($ncards cards, $day_clips clips), cold" today_cold ms %.0f
bench_row "Today ($ncards cards, $day_clips clips), warm" today_warm ms %.0f
bench_row "Today, cold, the server's page cache emptied first" today_built ms %.0f
bench_row "the clips list's first page by curl alone" api_clips ms %.1f
bench_row "Today's request (days/2/cards) by curl alone" api_day ms %.1f
bench_row "Today's request by curl, the page cache emptied first" api_day_built ms %.1f
bench_target "dashboard, clips table first page cold, ms" clips_cold "<" 1000
bench_target "dashboard, Today ($day_clips clips) cold, ms" today_cold "<" 300
bench_target "dashboard, Today's API request, ms" api_day "<" 30
bench_target "dashboard, Today ($day_clips clips) cold, page cache emptied, ms" today_built "<" 300
bench_target "dashboard, Today's API request built by PostgreSQL, ms" api_day_built "<" 30
bench_end
