#!/usr/bin/env bash
# bench/upload: a 1 GiB file (SETPOST_BENCH_MIB, default 1024; 8 under SETPOST_BENCH_SMOKE=1), encrypted and uploaded by `setpost send` (exactly as a delivery
# does it: age while reading, tus PATCHes) to setpost's own receiver on loopback, against
# `curl -T` of the plain file to nginx (dav_methods PUT) on loopback, in the same run.
# Target: setpost at curl's rate or better (1.0), with encryption on: the median of the
# per-round ratios, the sides taking turns (SETPOST_BENCH_ROUNDS rounds, default 5).
# The plaintext's xxh64 goes to the receiver in the upload's metadata. A delivery knows it
# already (recorded when the rendition was made or the card offloaded) and checks the file
# against it while sending; the timed row does the same with `send --xxh64`, the hash computed
# by xxhsum BEFORE the timed rounds. SETPOST_BENCH_PERF=DIR: one more send under perf (see
# bench/common.sh). The second setpost row is `send` without it, which hashes
# the whole file before its first byte goes out (what a one-off send of an unknown file costs).
#   bench/upload.sh [build/setpost]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/common.sh"
[ -x /usr/bin/time ] || { echo "upload bench: /usr/bin/time is required (make deps: package time)" >&2; exit 1; }
bin=$(realpath "${1:-$top/build/setpost}")
cache=${SETPOST_BENCH_DIR:-/var/tmp/setpost-bench}
mib=${SETPOST_BENCH_MIB:-$(bench_size 1024 8)}
size=$((mib << 20))
mkdir -p "$cache"
chmod 755 "$cache"
bench_begin upload
file=$cache/upload-${mib}m.bin
[ "$(stat -c %s "$file" 2>/dev/null || echo 0)" -eq "$size" ] || head -c "$size" /dev/urandom >"$file"
tmp=$(mktemp -d "$cache/upload.XXXXXX")
chmod 755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
known=$(xxhsum -H1 "$file" 2>/dev/null | cut -d' ' -f1)   # not timed: a delivery has it from the database

"$bin" keygen -o "$tmp/post.key" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$tmp/post.key")
work=$tmp sp=$bin
bench_serve serve "$tmp/post" --age-identity "$tmp/post.key" --log-level warn
pids+=("$bench_pid")
url=$bench_url
token=$("$bin" token create --role post --name bench --data "$tmp/post" 2>/dev/null | tail -n 1)

mkdir -p "$tmp/nginx/logs" "$tmp/nginx/up" "$tmp/nginx/body"
cat >"$tmp/nginx/nginx.conf" <<CONF
daemon off;
user root root;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	server {
		listen 127.0.0.1:0;
		client_max_body_size 0;
		location /up/ { root $tmp/nginx; dav_methods PUT; create_full_put_path on; }
	}
}
CONF
# nginx cannot listen on port 0: pick a free port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s/127.0.0.1:0/127.0.0.1:$port/" "$tmp/nginx/nginx.conf"
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
pids+=($!)
sleep 0.5

# The receiver verifies after the last byte (decrypt, size, xxh64): wait for the verdict, so a
# fast but broken upload cannot pass, and so a round's disk work never overlaps the next one.
verdict() {
	local id=$1 state=
	for _ in $(seq 600); do
		state=$(curl -sS -H "Authorization: Bearer $token" "$url/api/v1/uploads/$id/receipt" |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
		case $state in verified|failed) break ;; esac
		sleep 0.2
	done
	echo "$state"
}

# send ARGS...: one timed `setpost send` to the receiver, waiting for its verified receipt
# (not timed); sets $secs.
# CPU seconds (user + system) of the sending side and of the receiving server: what a busy
# machine does not distort as it does wall time. The receiver's count runs to its verdict
# (decrypting and hashing the upload are its work); nginx's to curl's end.
hz=$(getconf CLK_TCK)
ticks() { local t=0 p f; for p in "$@"; do f=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null) || continue; t=$((t + ${f% *} + ${f#* })); done; echo $t; }
# cpu_of FILE CMD...: runs CMD (GNU time writes its CPU seconds, user + system, to FILE).
cpu_of() { local f=$1; shift; /usr/bin/time -f '%U %S' -o "$f" "$@"; }
cpu_read() { awk '{ printf "%.2f", $1 + $2 }' "$1"; }
send() {
	rm -rf "$tmp/cart"
	local t2 t3 state s0
	s0=$(ticks "${pids[0]}")
	t2=$(date +%s.%N)
	cpu_of "$tmp/send.cpu" "$bin" send "$file" --to "$url/api/v1/uploads/" --recipient "$recipient" \
		--header "Authorization: Bearer $token" --data "$tmp/cart" "$@" >"$tmp/send.out" 2>"$tmp/send.err" ||
		{ cat "$tmp/send.err" >&2; exit 1; }
	send_cpu=$(cpu_read "$tmp/send.cpu")
	t3=$(date +%s.%N)
	secs=$(echo "$t3 - $t2" | bc -l)
	state=$(verdict "$(sed -n 's|^complete .*/||p' "$tmp/send.out")")
	[ "$state" = verified ] || { echo "round $bench_round: the receiver says $state, not verified" >&2; exit 1; }
	server_cpu=$(awk -v t="$(($(ticks "${pids[0]}") - s0))" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
	rm -rf "$tmp/post/uploads"/* && sync
}
# curl -T of the plain file to nginx. nginx answers before its copy is on disk; setpost's
# receiver answers the last PATCH after fdatasync. For context only (not the target's
# baseline): curl plus that flush.
side_curl() {
	local t0 t1 t1s
	cat "$file" >/dev/null   # both read from the page cache
	rm -f "$tmp/nginx/up/plain.bin"
	local n0
	n0=$(ticks $(pgrep -P "${pids[1]}"))
	t0=$(date +%s.%N)
	cpu_of "$tmp/curl.cpu" curl -sS -f -T "$file" "http://127.0.0.1:$port/up/plain.bin" -o /dev/null
	t1=$(date +%s.%N)
	bench_record curl_cpu "$(cpu_read "$tmp/curl.cpu")"
	bench_record nginx_cpu "$(awk -v t="$(($(ticks $(pgrep -P "${pids[1]}")) - n0))" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')"
	sync "$tmp/nginx/up/plain.bin"
	t1s=$(date +%s.%N)
	cmp -s "$file" "$tmp/nginx/up/plain.bin" || { echo "nginx copy differs" >&2; exit 1; }
	rm -f "$tmp/nginx/up/plain.bin" && sync
	bench_record curl "$(echo "$t1 - $t0" | bc -l)"
	bench_record curl_synced "$(echo "$t1s - $t0" | bc -l)"
}
side_send() {
	cat "$file" >/dev/null
	send --xxh64 "$known"
	bench_record send "$secs"; bench_record send_cpu "$send_cpu"; bench_record receiver_cpu "$server_cpu"
}
side_first() { cat "$file" >/dev/null; send; bench_record first "$secs"; }

echo "== $bench_rounds rounds of curl -T, setpost send --xxh64, setpost send (order reversed every other round)"
bench_interleave side_curl side_send side_first
echo "== $mib MiB, encrypted tus upload to setpost's receiver against curl -T plain to nginx, loopback"
bench_row "curl -T plain to nginx (PUT)" curl s
bench_row "  then the copy flushed to disk (context)" curl_synced s
bench_row "  CPU: curl" curl_cpu s
bench_row "  CPU: nginx" nginx_cpu s
bench_row "setpost send --xxh64 (as a delivery)" send s
bench_row "  CPU: setpost send (read, xxh64, encrypt, xxh3, send)" send_cpu s
bench_row "  CPU: the receiver (receive, xxh3, write; decrypt, xxh64)" receiver_cpu s
bench_row "setpost send, hashing first" first s
if [ -n "${SETPOST_BENCH_PERF:-}" ]; then
	bench_perf_attach upload-receiver "${pids[0]}"
	cat "$file" >/dev/null
	rm -rf "$tmp/cart"
	bench_perf_run upload-send "$bin" send "$file" --to "$url/api/v1/uploads/" --recipient "$recipient" \
		--header "Authorization: Bearer $token" --data "$tmp/cart" --xxh64 "$known" >"$tmp/send.out" 2>"$tmp/send.err"
	verdict "$(sed -n 's|^complete .*/||p' "$tmp/send.out")" >/dev/null
	bench_perf_report
fi
bench_ratio "upload, setpost send --xxh64 rate / curl -T rate" curl send ">=" 1.0
bench_ratio "upload, setpost send hashing first rate / curl -T rate" curl first ">=" 1.0
bench_end
