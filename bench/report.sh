#!/bin/bash
# Report benchmark: the shooting-day report of a day of 1,000 clips (10 cards x 100), each with
# one media file, its xxh64, two verified copies on two volumes and three JPEG thumbnails
# (320x180, first, middle and last frame), as PDF and as HTML, from a release `setpost serve`.
#   bench/report.sh [PATH_TO_SETPOST]        (default build/setpost)
# Targets (issue 18): each under 10 s on 2 cores, and the server process that makes them under
# 300 MB resident at its peak (VmHWM; its size before the first report is printed beside it).
# There is no other tool to compare with on the same data, so the figures are absolute: the
# seconds (median and spread of SETPOST_BENCH_ROUNDS rounds, PDF and HTML in turns) and MB.
# SETPOST_BENCH_SMOKE=1: 60 clips, 2 rounds. The rows are loaded with SQL: a benchmark of the
# report, not a test of how clips come to be (tests/journey/reports.sh is that).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
[ -x "$sp" ] || { echo "report bench: $sp not found (make build)" >&2; exit 1; }
for t in curl psql ffmpeg pdfinfo; do
	command -v $t >/dev/null || { echo "report bench: $t is required (make deps)" >&2; exit 1; }
done
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

serve=""
cleanup() {
	[ -n "$serve" ] && kill -TERM "$serve" 2>/dev/null && wait "$serve" 2>/dev/null || true
	bench_pg_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_begin report
bench_pg_start report
sql() { psql "$db" -X -q -v ON_ERROR_STOP=1 "$@"; }
bench_serve serve "$work/data" --database-url "$db"
serve=$bench_pid url=$bench_url
token=$("$sp" token create --role admin --name bench-report --database-url "$db" --data "$work/data" \
	2>"$work/token.log" | tail -n 1)
[[ $token == spt_* ]] || { echo "report bench: no token" >&2; cat "$work/token.log" >&2; exit 1; }

ncards=10 nclips=$(bench_size 100 6)
echo "== loading $((ncards * nclips)) clips ($ncards cards x $nclips), 3 thumbnails each"
for n in 0 1 8; do
	ffmpeg -v error -f lavfi -i "testsrc2=size=320x180:rate=1" -frames:v 1 -q:v 4 "$work/thumb$n.jpg" -y
done
sql -v ncards="$ncards" -v nclips="$nclips" <<'SQL'
BEGIN;
INSERT INTO productions (name) VALUES ('Bench Feature');
INSERT INTO days (production_id, shoot_date, label) VALUES (1, '2026-11-25', 'Day 12');
INSERT INTO volumes (name, kind, fs_uuid) VALUES
	('RAID-01', 'raid', '5f1c0a9e-0b7e-4d7c-9a51-000000000001'),
	('SHUTTLE-01', 'shuttle', '5f1c0a9e-0b7e-4d7c-9a51-000000000002');
INSERT INTO cards (day_id, label, camera, vendor, reel)
	SELECT 1, 'A' || lpad(n::text, 3, '0'), 'A', 'ARRI', 'A' || lpad(n::text, 3, '0')
	FROM generate_series(1, :ncards) n;
INSERT INTO clips (card_id, name, state, scene, take, circled, camera, reel, start_tc, fps_num,
                   fps_den, duration_frames, width, height, codec)
	SELECT k.id, k.label || 'C' || lpad(g::text, 3, '0') || '_251125_R1AB', 'secured',
	       (g / 6 + 1)::text, (g % 6 + 1)::text, g % 4 = 0, 'A', k.reel,
	       '10:' || lpad((g % 60)::text, 2, '0') || ':00:00', 24000, 1001, 720 + g * 37 % 4000,
	       3840, 2160, 'prores'
	FROM cards k, generate_series(1, :nclips) g ORDER BY k.id, g;
INSERT INTO files (card_id, clip_id, rel_path, size, role)
	SELECT c.card_id, c.id, c.name || '.mov', 2800000000 + c.id * 7919 % 900000000, 'media'
	FROM clips c ORDER BY c.id;
INSERT INTO hashes (file_id, algorithm, value) SELECT id, 'xxh64', substr(md5(rel_path), 1, 16) FROM files;
INSERT INTO copies (file_id, volume_id, rel_path, state, verified_at)
	SELECT f.id, v.id, f.rel_path, 'verified', now() FROM files f, volumes v;
INSERT INTO clip_thumbnails (clip_id, n, frame, rel_path, width, height, bytes, etag)
	SELECT c.id, n, n * 10, 'media/thumbs/' || c.id || '/' || n || '.jpg', 320, 180, 10000, 'bench'
	FROM clips c, unnest(ARRAY[0, 1, 8]) n;
COMMIT;
VACUUM ANALYZE;
SQL
for c in $(sql -At -c "SELECT id FROM clips"); do
	mkdir -p "$work/data/media/thumbs/$c"
	for n in 0 1 8; do cp "$work/thumb$n.jpg" "$work/data/media/thumbs/$c/$n.jpg"; done
done
hwm() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$serve/status"; }
rss() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$serve/status"; }
before=$(rss)

fetch() { # fetch FORMAT: one report, its seconds recorded
	local t
	t=$(curl -s -o "$work/day.$1" -w '%{time_total}' -H "Authorization: Bearer $token" \
		"$url/api/v1/days/1/report?format=$1")
	[ -s "$work/day.$1" ] || { echo "report bench: no $1" >&2; exit 1; }
	bench_record "$1" "$t"
}
pdf() { fetch pdf; }
html() { fetch html; }
bench_interleave pdf html
pages=$(pdfinfo "$work/day.pdf" | awk '/^Pages:/ { print $2 }')
echo "   PDF: $pages pages, $(calc %.1f "$(stat -c %s "$work/day.pdf") / 1e6") MB; HTML $(calc %.1f "$(stat -c %s "$work/day.html") / 1e6") MB"
bench_row "day report of $((ncards * nclips)) clips, PDF" pdf s
bench_row "day report of $((ncards * nclips)) clips, HTML" html s
bench_target "PDF seconds" pdf "<" 10
bench_target "HTML seconds" html "<" 10
peak=$(hwm)
echo "   server resident memory: $before MB before the first report, $peak MB at its peak (VmHWM)"
bench_record mem "$peak"
bench_target "server peak MB" mem "<" 300
bench_end
