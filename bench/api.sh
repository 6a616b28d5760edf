#!/bin/bash
# API benchmark: `wrk` on loopback against the clip list (50 a page, the first page and the third
# through its cursor), a clip's detail and the health check of a release `setpost serve` with
# 10,000 clips loaded, beside `wrk` against nginx serving the very same JSON bodies as static
# files in the same run (the ceiling: no database, no work per request).
#   bench/api.sh [PATH_TO_SETPOST]        (default build/setpost)
# The script starts its own PostgreSQL cluster (default settings, fsync on: as on a real cart)
# and its own nginx (a foreground master with its own conf and prefix, access log off), loads
# 2 days x 20 cards x 250 clips, each with a media file, its xxh64 and two verified copies on
# two volumes, and stops and removes everything when it ends. Each wrk run is
# `wrk -t2 -c32 -d5s --latency` (SETPOST_BENCH_SECS), every row once a round, SETPOST_BENCH_ROUNDS
# rounds (default 5) in turns (the order reversed every other round), after one 1 s warm-up of
# each; about four minutes in all. SETPOST_BENCH_SMOKE=1: 200 clips, 1 s runs.
# Two more rows show what the server's page cache (server/cache.c) does not hide: the list while a
# clip is PATCHed 20 times a second (each write empties the cache), and a second server with
# SETPOST_PAGE_CACHE=off (every page built by PostgreSQL).
# Targets: the clip list at one third of nginx's rate or better, its p99 under 50 ms.
# The cluster lives under $SETPOST_BENCH_DIR (default /var/tmp/setpost-bench), on a real disk.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
sp=$(realpath "${1:-$top/build/setpost}")
dir=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
secs=${SETPOST_BENCH_SECS:-$(bench_size 5 1)}
[ -x "$sp" ] || { echo "api bench: $sp not found (make build)" >&2; exit 1; }
for t in wrk nginx curl jq psql python3; do
	command -v $t >/dev/null || { echo "api bench: $t is required (make deps)" >&2; exit 1; }
done

calc() { awk "BEGIN { printf \"$1\", $2 }"; } # calc FORMAT EXPRESSION
freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ticks() { # CPU ticks (user + system) used so far by the given pids, ignoring those gone
	local t=0 p f
	for p in "$@"; do
		f=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null) || continue
		t=$((t + ${f% *} + ${f#* }))
	done
	echo $t
}
hz=$(getconf CLK_TCK)

# PostgreSQL refuses to run as root: the cluster then belongs to the postgres user, so the
# work folder must be reachable by it (0755).
serve=""
ngx=""
writer=""
serve2=""
cleanup() {
	[ -n "$writer" ] && kill "$writer" 2>/dev/null || true
	[ -n "$serve2" ] && kill -TERM "$serve2" 2>/dev/null && wait "$serve2" 2>/dev/null || true
	[ -n "$ngx" ] && kill -QUIT "$ngx" 2>/dev/null && wait "$ngx" 2>/dev/null || true
	[ -n "$serve" ] && kill -TERM "$serve" 2>/dev/null && wait "$serve" 2>/dev/null || true
	bench_pg_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL: a throwaway cluster, default settings but for the socket (fsync on) ----------
bench_begin api
bench_pg_start api
sql() { psql "$db" -X -q -v ON_ERROR_STOP=1 "$@"; }

# --- setpost serve (applies the migrations) and an admin token --------------------------------
bench_serve serve "$work/data" --database-url "$db"
serve=$bench_pid url=$bench_url
token=$("$sp" token create --role admin --name bench-api --database-url "$db" --data "$work/data" \
	2>"$work/token.log" | tail -n 1)
[[ $token == spt_* ]] || { echo "api bench: no token" >&2; cat "$work/token.log" >&2; exit 1; }
auth="Authorization: Bearer $token"

# --- 10,000 clips: 2 days x 20 cards (cameras A and B) x 250 clips, one media file each with its
# xxh64 and two verified copies (RAID and shuttle), a registration event each ---------------
echo "== $("$sp" --version), PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }') (fsync on)," \
	"$(nginx -v 2>&1 | sed 's/.*nginx\///'), wrk $(wrk --version 2>&1 | awk 'NR == 1 { print $2 }')"
ncards=$(bench_size 20 2) nclips=$(bench_size 250 50)
echo "== loading $((2 * ncards * nclips)) clips (2 days x $ncards cards x $nclips), as many files, twice as many verified copies"
t0=$(date +%s.%N)
sql -v ncards="$ncards" -v nclips="$nclips" <<'EOF'
BEGIN;
INSERT INTO productions (name) VALUES ('Bench Feature');
INSERT INTO days (production_id, shoot_date, label)
	SELECT 1, date '2026-11-24' + d, 'Day ' || (d + 1) FROM generate_series(1, 2) d;
INSERT INTO volumes (name, kind, fs_uuid) VALUES
	('RAID-01', 'raid', '5f1c0a9e-0b7e-4d7c-9a51-000000000001'),
	('SHUTTLE-01', 'shuttle', '5f1c0a9e-0b7e-4d7c-9a51-000000000002');
INSERT INTO volume_mounts (volume_id, host, mount_path) VALUES
	(1, 'cart', '/mnt/raid'), (2, 'cart', '/mnt/shuttle');
-- card n of a day: odd n camera A, even n camera B; reels number on across the days
INSERT INTO cards (day_id, label, camera, vendor, reel)
	SELECT d.id, cam || lpad(reel::text, 3, '0'), cam, 'ARRI', cam || lpad(reel::text, 3, '0')
	FROM days d, generate_series(1, :ncards) n,
	LATERAL (SELECT CASE WHEN n % 2 = 1 THEN 'A' ELSE 'B' END cam,
	                (d.id - 1) * :ncards / 2 + (n + 1) / 2 reel) x
	ORDER BY d.id, n;
INSERT INTO clips (card_id, name, state, scene, take, circled, notes, camera, reel, start_tc,
                   fps_num, fps_den, duration_frames, width, height, codec, metadata,
                   created_at, updated_at)
	SELECT k.id, k.label || 'C' || lpad(g::text, 3, '0') || '_' || to_char(dy.shoot_date, 'YYMMDD')
	       || '_' || upper(substr(md5(k.label), 1, 4)),
	       'secured', s.scene, ((g - 1) % 6 + 1)::text, (g * 7 + k.id) % 4 = 0,
	       CASE WHEN g % 17 = 0 THEN 'boom dips into frame at the end'
	            WHEN g % 23 = 0 THEN 'focus buzz on the push-in' ELSE '' END,
	       k.camera, k.reel,
	       lpad((10 + g / 60)::text, 2, '0') || ':' || lpad((g % 60)::text, 2, '0') || ':' ||
	       lpad(((g * 13) % 60)::text, 2, '0') || ':' || lpad((g % 24)::text, 2, '0'),
	       24000, 1001, 720 + (g * 37) % 4000, 4448, 3096, 'ARRIRAW',
	       jsonb_build_object('lens', (25 + (g % 5) * 15)::text || 'mm', 'iso', 800,
	           'white_balance', 5600, 'shutter', 172.8, 'sensor_fps', '23.976',
	           'look', 'ARRI 709'),
	       dy.shoot_date + time '08:00' + g * interval '2 min',
	       dy.shoot_date + time '08:00' + g * interval '2 min'
	FROM cards k JOIN days dy ON dy.id = k.day_id, generate_series(1, :nclips) g,
	LATERAL (SELECT ((dy.id - 1) * 2 * :ncards + (k.id - 1) % :ncards * 2 + (g - 1) / 6 % 2 + 1)::text
	                || CASE WHEN g % 3 = 0 THEN 'A' ELSE '' END scene) s
	ORDER BY k.id, g;
INSERT INTO files (card_id, clip_id, rel_path, size, mtime, role)
	SELECT c.card_id, c.id, k.label || '/' || c.name || '.mxf', 2800000000 + (c.id * 7919) % 900000000,
	       c.created_at, 'media'
	FROM clips c JOIN cards k ON k.id = c.card_id ORDER BY c.id;
INSERT INTO hashes (file_id, algorithm, value, computed_at)
	SELECT id, 'xxh64', substr(md5(rel_path), 1, 16), created_at FROM files ORDER BY id;
INSERT INTO copies (file_id, volume_id, rel_path, state, verified_at)
	SELECT f.id, v.id, f.rel_path, 'verified', f.mtime + interval '30 min'
	FROM files f, volumes v ORDER BY f.id, v.id;
INSERT INTO events (at, actor, kind, subject_type, subject_id, data)
	SELECT created_at, 'offload', 'clip.registered', 'clip', id, jsonb_build_object('card', card_id)
	FROM clips ORDER BY id;
COMMIT;
VACUUM ANALYZE;
EOF
t1=$(date +%s.%N)
read -r nclips nfiles ncopies < <(sql -At -F' ' -c "SELECT (SELECT count(*) FROM clips),
	(SELECT count(*) FROM files), (SELECT count(*) FROM copies WHERE state = 'verified')")
echo "   $nclips clips, $nfiles files, $ncopies verified copies in $(calc %.1f "$t1 - $t0") s"

# --- the bodies nginx serves: one page of the list and one clip's detail, as setpost sends them -
mkdir -p "$work/www" "$work/nginx/logs" "$work/nginx/tmp"
api() { curl -sf -H "$auth" "$url$1"; }
api "/api/v1/clips?limit=50" >"$work/www/clips.json"
cur2=$(jq -r '.next_cursor // empty' "$work/www/clips.json")
[ -n "$cur2" ] || { echo "api bench: the first page has no next_cursor" >&2; exit 1; }
cur3=$(api "/api/v1/clips?limit=50&cursor=$cur2" | jq -r '.next_cursor // empty')
[ -n "$cur3" ] || { echo "api bench: the second page has no next_cursor" >&2; exit 1; }
api "/api/v1/clips?limit=50&cursor=$cur3" >"$work/page3.json"
id=$(jq -r '.items[0].id' "$work/page3.json")
api "/api/v1/clips/$id" >"$work/www/clip.json"
[ "$(jq '.items | length' "$work/www/clips.json")" -eq 50 ] && [ "$(jq '.items | length' "$work/page3.json")" -eq 50 ] &&
	[ "$(jq '.files[0].copies | length' "$work/www/clip.json")" -eq 2 ] ||
	{ echo "api bench: unexpected list or detail bodies" >&2; exit 1; }
chmod 755 "$work/www" && chmod 644 "$work/www"/*.json

# --- nginx: a throwaway master in the foreground, its own prefix, conf and port ----------------
nport=$(freeport)
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user nobody nogroup;"
cat >"$work/nginx/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	types { application/json json; }
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 65;
	keepalive_requests 100000000;
	client_body_temp_path $work/nginx/tmp/body;
	proxy_temp_path $work/nginx/tmp/proxy;
	fastcgi_temp_path $work/nginx/tmp/fastcgi;
	uwsgi_temp_path $work/nginx/tmp/uwsgi;
	scgi_temp_path $work/nginx/tmp/scgi;
	server {
		listen 127.0.0.1:$nport;
		root $work/www;
		location / { }
	}
}
EOF
nginx -p "$work/nginx/" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" \
	>"$work/nginx/out.log" 2>&1 &
ngx=$!
nurl=http://127.0.0.1:$nport
for _ in $(seq 1 100); do
	curl -sf -o /dev/null "$nurl/clips.json" && break
	kill -0 "$ngx" 2>/dev/null || { cat "$work/nginx/out.log" "$work/nginx/logs/error.log" >&2; exit 1; }
	sleep 0.1
done
cmp -s <(curl -sf "$nurl/clips.json") "$work/www/clips.json" ||
	{ echo "api bench: nginx does not serve the list file" >&2; exit 1; }
ngx_pids() { pgrep -P "$ngx" || true; echo "$ngx"; }
pg_pids() { pgrep -P "$pgpid" || true; echo "$pgpid"; }

# --- wrk ------------------------------------------------------------------------------------
# to_ms VALUE_WITH_UNIT: wrk's 812.00us, 1.23ms, 2.01s in milliseconds
to_ms() {
	case $1 in
	*us) calc %.2f "${1%us} / 1000" ;;
	*ms) calc %.2f "${1%ms}" ;;
	*s) calc %.2f "${1%s} * 1000" ;;
	*) echo "?" ;;
	esac
}
declare -A CPU BYTES URL HDR WHO
# bench NAME URL SERVER(setpost|nginx) [HEADER]: one wrk run; its rate and latencies as samples
# rps_NAME, p50_NAME, p99_NAME; the CPU of the server (and of PostgreSQL) of the last run.
bench() {
	local name=$1 u=$2 who=$3 out=$work/wrk.$1 c0 c1 p0 p1 pids hdr=()
	if [ -n "${4:-}" ]; then hdr=(-H "$4"); fi
	if [ "$who" = setpost ]; then pids="$serve"; else pids=$(ngx_pids); fi
	c0=$(ticks $pids)
	p0=$(ticks $(pg_pids))
	wrk -t2 -c32 -d${secs}s --latency "${hdr[@]}" "$u" >"$out"
	c1=$(ticks $pids)
	p1=$(ticks $(pg_pids))
	if grep -q "Non-2xx\|Socket errors" "$out"; then
		echo "api bench: $name: errors during the run:" >&2
		grep "Non-2xx\|Socket errors" "$out" >&2
		exit 1
	fi
	bench_record "rps_$name" "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")"
	bench_record "p50_$name" "$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")"
	bench_record "p99_$name" "$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")"
	CPU[$name]=$(calc "%3.0f%% + %3.0f%%" "100 * ($c1 - $c0) / $hz / $secs, 100 * ($p1 - $p0) / $hz / $secs")
	[ -n "${BYTES[$name]:-}" ] || BYTES[$name]=$(curl -sf "${hdr[@]}" -o /dev/null -w '%{size_download}' "$u")
}

# And with the page cache off (a second server, same database): what every miss costs.
SETPOST_PAGE_CACHE=off bench_serve serve2 "$work/data2" --database-url "$db"
serve2=$bench_pid url2=$bench_url
row_list() { bench list "$url/api/v1/clips?limit=50" setpost "$auth"; }
row_page3() { bench page3 "$url/api/v1/clips?limit=50&cursor=$cur3" setpost "$auth"; }
row_detail() { bench detail "$url/api/v1/clips/$id" setpost "$auth"; }
row_health() { bench health "$url/api/v1/health" setpost; }
# The same list while clips change: a PATCH every 50 ms, each invalidating every cached page.
row_churn() {
	( while :; do
		curl -sf -o /dev/null -X PATCH -H "$auth" -H 'Content-Type: application/json' \
			-d "{\"notes\":\"bench $RANDOM\"}" "$url/api/v1/clips/$id" || true
		sleep 0.05
	done ) &
	writer=$!
	bench churn "$url/api/v1/clips?limit=50" setpost "$auth"
	kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null || true
	writer=""
}
row_nocache() {
	local saved=$serve
	serve=$serve2
	bench nocache "$url2/api/v1/clips?limit=50" setpost "$auth"
	serve=$saved
}
row_nginx_list() { bench nginx_list "$nurl/clips.json" nginx; }
row_nginx_detail() { bench nginx_detail "$nurl/clip.json" nginx; }
rows=(row_list row_nginx_list row_page3 row_detail row_nginx_detail row_health row_churn row_nocache)

echo "== wrk -t2 -c32 -d${secs}s --latency on loopback, $bench_rounds rounds (order reversed every other round); $(nproc) cores shared by all"
if [ "$bench_smoke" != 1 ]; then
	for u in "$url/api/v1/clips?limit=50" "$url/api/v1/clips?limit=50&cursor=$cur3" "$url/api/v1/clips/$id" \
		"$url2/api/v1/clips?limit=50"; do
		wrk -t2 -c32 -d1s -H "$auth" "$u" >/dev/null # warm-up: prepared statements, caches
	done
	wrk -t2 -c32 -d1s "$nurl/clips.json" >/dev/null
fi
bench_interleave "${rows[@]}"
kill -TERM "$serve2"; wait "$serve2" 2>/dev/null || true
serve2=""

row() { printf "   %-38s %18s %18s %18s %8s  %s\n" "$@"; }
mmr() { printf "%s (%s-%s)" "$(bench_median "$1")" "$(bench_min "$1")" "$(bench_max "$1")"; }
echo "== medians (min-max) of $bench_rounds rounds"
row "" "req/s" "p50 ms" "p99 ms" "bytes" "CPU: server + PostgreSQL (of one core, last round)"
for r in "list:setpost clip list (limit=50)" "page3:setpost clip list, page 3 (cursor)" \
	"detail:setpost clip detail" "health:setpost health (no auth)" \
	"churn:setpost clip list, 20 writes/s" "nocache:setpost clip list, page cache off" \
	"nginx_list:nginx, the list as a file" "nginx_detail:nginx, the detail as a file"; do
	k=${r%%:*}
	row "${r#*:}" "$(mmr "rps_$k")" "$(mmr "p50_$k")" "$(mmr "p99_$k")" "${BYTES[$k]}" "${CPU[$k]}"
done
bench_ratio "api, clip list rate / nginx's" rps_list rps_nginx_list ">=" 0.333
bench_ratio "api, clip list page 3 rate / nginx's" rps_page3 rps_nginx_list ">=" 0.333
bench_target "api, clip list p99 ms" p99_list "<" 50
bench_target "api, clip list page 3 p99 ms" p99_page3 "<" 50
bench_end
