#!/usr/bin/env bash
# bench/upload: a 1 GiB file, encrypted and uploaded by `setpost send` (exactly as a delivery
# does it: age while reading, tus PATCHes) to setpost's own receiver on loopback, against
# `curl -T` of the plain file to nginx (dav_methods PUT) on loopback, in the same run.
# Target: setpost at 0.8 of curl's rate or better, with encryption on.
# The plaintext's xxh64 goes to the receiver in the upload's metadata. A delivery knows it
# already (recorded when the rendition was made or the card offloaded) and checks the file
# against it while sending; the timed row does the same with `send --xxh64`, the hash computed
# by xxhsum BEFORE the timed rounds. The second setpost row is `send` without it, which hashes
# the whole file before its first byte goes out (what a one-off send of an unknown file costs).
#   bench/upload.sh [build/setpost]
set -euo pipefail
bin=$(realpath "${1:-build/setpost}")
cache=/var/tmp/setpost-bench
mkdir -p "$cache"
chmod 755 "$cache"
file=$cache/upload-1g.bin
[ -s "$file" ] || head -c 1073741824 /dev/urandom >"$file"
tmp=$(mktemp -d "$cache/upload.XXXXXX")
chmod 755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
known=$(xxhsum -H1 "$file" | cut -d' ' -f1)   # not timed: a delivery has it from the database

"$bin" keygen -o "$tmp/post.key" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$tmp/post.key")
"$bin" serve --listen 127.0.0.1:0 --data "$tmp/post" --age-identity "$tmp/post.key" \
	--log-level warn >"$tmp/serve.out" 2>"$tmp/serve.log" &
pids+=($!)
for _ in $(seq 300); do grep -q "listening on" "$tmp/serve.out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on //p' "$tmp/serve.out")
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

# The machine is shared: three rounds, curl and setpost taking turns, the best of each kept
# (same file, same loopback, encryption on in every setpost round).
rounds=${ROUNDS:-3}
best_curl=0 best_send=0 best_first=0 best_synced=0
for r in $(seq "$rounds"); do
	cat "$file" >/dev/null   # both read from the page cache
	rm -f "$tmp/nginx/up/plain.bin"
	t0=$(date +%s.%N)
	curl -sS -f -T "$file" "http://127.0.0.1:$port/up/plain.bin" -o /dev/null
	t1=$(date +%s.%N)
	# nginx answers before its copy is on disk; setpost's receiver answers the last PATCH after
	# fdatasync. For context only (not the target's baseline): curl plus that flush.
	sync "$tmp/nginx/up/plain.bin"
	t1s=$(date +%s.%N)
	cmp -s "$file" "$tmp/nginx/up/plain.bin" || { echo "nginx copy differs" >&2; exit 1; }
	rm -f "$tmp/nginx/up/plain.bin" && sync
	# send ARGS...: one timed `setpost send` to the receiver, waiting for its verified receipt
	# (not timed); sets $secs.
	send() {
		rm -rf "$tmp/cart"
		local t2 t3 state
		t2=$(date +%s.%N)
		"$bin" send "$file" --to "$url/api/v1/uploads/" --recipient "$recipient" \
			--header "Authorization: Bearer $token" --data "$tmp/cart" "$@" >"$tmp/send.out" 2>"$tmp/send.err"
		t3=$(date +%s.%N)
		secs=$(echo "$t3 - $t2" | bc -l)
		state=$(verdict "$(sed -n 's|^complete .*/||p' "$tmp/send.out")")
		[ "$state" = verified ] || { echo "round $r: the receiver says $state, not verified" >&2; exit 1; }
		rm -rf "$tmp/post/uploads"/* && sync
	}
	send --xxh64 "$known"
	send_s=$secs
	send
	first_s=$secs
	curl_s=$(echo "$t1 - $t0" | bc -l)
	synced_s=$(echo "$t1s - $t0" | bc -l)
	{ [ "$best_synced" = 0 ] || [ "$(echo "$synced_s < $best_synced" | bc -l)" = 1 ]; } && best_synced=$synced_s
	printf 'round %d: curl %.2f s, setpost --xxh64 %.2f s, setpost hashing first %.2f s (%s, receipts verified)\n' \
		"$r" "$curl_s" "$send_s" "$first_s" "$(sed -n 's/.*retries, //p' "$tmp/send.out")"
	{ [ "$best_curl" = 0 ] || [ "$(echo "$curl_s < $best_curl" | bc -l)" = 1 ]; } && best_curl=$curl_s
	{ [ "$best_send" = 0 ] || [ "$(echo "$send_s < $best_send" | bc -l)" = 1 ]; } && best_send=$send_s
	{ [ "$best_first" = 0 ] || [ "$(echo "$first_s < $best_first" | bc -l)" = 1 ]; } && best_first=$first_s
done
mb=$(echo "1073741824 / 1000000" | bc -l)
ratio=$(echo "$best_curl / $best_send" | bc -l)
printf 'curl -T plain to nginx (PUT)         %6.2f s  %7.1f MB/s  (best of %d)\n' "$best_curl" \
	"$(echo "$mb / $best_curl" | bc -l)" "$rounds"
printf 'setpost send --xxh64 (as a delivery)  %6.2f s  %7.1f MB/s  (best of %d; receipts verified)\n' \
	"$best_send" "$(echo "$mb / $best_send" | bc -l)" "$rounds"
printf 'setpost send, hashing first           %6.2f s  %7.1f MB/s  (best of %d; receipts verified)\n' \
	"$best_first" "$(echo "$mb / $best_first" | bc -l)" "$rounds"
printf 'setpost / curl rate, as a delivery    %6.2f   (target >= 0.80: %s)\n' "$ratio" \
	"$(echo "$ratio >= 0.8" | bc -l | sed 's/1/PASS/; s/0/MISS/')"
printf 'setpost / curl rate, hashing first    %6.2f\n' "$(echo "$best_curl / $best_first" | bc -l)"
printf 'for context: curl -T, then the copy flushed to disk %6.2f s; setpost as a delivery / that %6.2f\n' \
	"$best_synced" "$(echo "$best_synced / $best_send" | bc -l)"
