#!/usr/bin/env bash
# A worker on another host (issue 20): the cart's `setpost serve` runs its embedded PostgreSQL
# and opens it on the set network (--db-listen: TLS with the cart's own CA, and a password;
# plain TCP refused); a transcode machine, here a
# network namespace of its own joined to the cart by a veth pair, with a private mount
# namespace where the cart's volumes and renditions folder appear at other paths (and the
# cart's own paths and data folder are hidden), runs `setpost worker` against the cart's
# database over TLS (sslmode=verify-full, given a copy of the cart's CA certificate). It probes and proxies the cart's card with real ffmpeg; the cart serves
# those proxies (download, `setpost pull`) and delivers one to a post house. Then it is killed
# with -9 in the middle of a transcode: its lease runs out and a worker on the cart finishes
# the job.
#   tests/journey/remote_worker.sh build/setpost
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$(realpath "$1")
what="a worker in its own network namespace proxies the cart's card over TCP"

if [ "$(id -u)" -ne 0 ]; then
	skip "$what" "need root for a network namespace and tmpfs volumes"
	exit 0
fi
cli_need_tools "$what" ffmpeg xxhsum age jq ip unshare

cli_tmp rw
ns=sprw$$ veth=sprw$$
net=10.213.$(($$ % 250)) port=$((20000 + $$ % 20000))
remote_pid=""
on_exit() {
	if [ -n "$remote_pid" ]; then kill -9 $(remote_tree) 2>/dev/null || true; fi
	ip netns del "$ns" 2>/dev/null || true
	ip link del "${veth}a" 2>/dev/null || true
}
on_fail() {
	for f in remote.log cart-worker.log cart.log; do
		echo "== $f" >&2
		tail -n 12 "$tmp/$f" >&2 2>/dev/null || true
	done
}
# The remote worker and its children (ffmpeg): a machine that dies takes both.
remote_tree() {
	echo "$remote_pid"
	ps -o pid= --ppid "$remote_pid" 2>/dev/null || true
}

# Refused before anything starts, each with one line: a kind no worker knows, a port 0 for the
# database (the workers on other hosts must know it).
code=0
"$bin" worker --data "$tmp/nothing" --kinds transcode,bogus >"$tmp/bad.out" 2>&1 || code=$?
[[ $code != 0 && $(wc -l <"$tmp/bad.out") == 1 ]] && grep -q "unknown job kind 'bogus'" "$tmp/bad.out" ||
	fail "worker --kinds transcode,bogus: $code $(cat "$tmp/bad.out")"
code=0
"$bin" serve --listen 127.0.0.1:0 --data "$tmp/nothing" --db-listen 127.0.0.1:0 >"$tmp/bad.out" 2>&1 || code=$?
[[ $code != 0 ]] && grep -q "db-listen" "$tmp/bad.out" && [ ! -e "$tmp/nothing/pgdata" ] ||
	fail "serve --db-listen 127.0.0.1:0: $code $(cat "$tmp/bad.out")"
ok "refused at once: worker --kinds with an unknown kind, serve --db-listen with port 0 (no cluster made)"

# The set network: the cart at $net.1, the transcode machine at $net.2 in its own namespace.
ip netns add "$ns"
ip link add "${veth}a" type veth peer name "${veth}b"
ip link set "${veth}b" netns "$ns"
ip addr add "$net.1/24" dev "${veth}a"
ip link set "${veth}a" up
ip netns exec "$ns" ip addr add "$net.2/24" dev "${veth}b"
ip netns exec "$ns" ip link set "${veth}b" up
ip netns exec "$ns" ip link set lo up

# The post house: its own setpost on a database of the test cluster.
cli_db rw_post
"$bin" keygen -o "$tmp/post.key" 2>/dev/null
recipient=$(sed -n 's/^# public key: //p' "$tmp/post.key")
SETPOST_DATABASE_URL=$CLI_DB cli_serve "$tmp/post" --data "$tmp/post" --age-identity "$tmp/post.key"
post=$url
post_token=$(SETPOST_DATABASE_URL=$CLI_DB "$bin" token create --role post --name cart | tail -n 1)

# The cart: its embedded database, also listening on the set network.
mkdir -p "$tmp/cart/renditions"
"$bin" serve --listen 127.0.0.1:0 --data "$tmp/cart" --db-listen "$net.1:$port" \
	--outbound-allow 127.0.0.1/32 >"$tmp/cart.out" 2>"$tmp/cart.log" &
cli_track $!
for _ in $(seq 600); do grep -qs "listening on" "$tmp/cart.out" && break; sleep 0.1; done
cart=$(sed -n 's/.*listening on //p' "$tmp/cart.out")
[ -n "$cart" ] || fail "the cart did not start: $(tail -n 5 "$tmp/cart.log")"
[[ $(stat -c %a "$tmp/cart/pg-password") == 600 ]] || fail "pg-password: $(ls -l "$tmp/cart/pg-password")"
grep -q "listens on $net.1:$port" "$tmp/cart.log" || fail "the cart does not say where its database listens: $(cat "$tmp/cart.log")"
export SETPOST_TOKEN=$("$bin" token create --role admin --name dit --data "$tmp/cart" | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" "$cart$@"; }
# The cart's own worker delivers (it holds the keys that open the targets' secrets).
"$bin" worker --data "$tmp/cart" --kinds upload,webhook --outbound-allow 127.0.0.1/32 \
	--worker-name cart-delivery >"$tmp/cart-worker.out" 2>"$tmp/cart-worker.log" &
cli_track $!

# The network refuses anyone without the password or without TLS, and the database is not
# reachable on the cart's loopback at that port (it listens on the set network only). The
# transcode machine is given a copy of the cart's CA certificate, and checks the server's.
[[ $(stat -c %a "$tmp/cart/pg-ca.key") == 600 ]] || fail "pg-ca.key: $(ls -l "$tmp/cart/pg-ca.key")"
grep -q "over TLS only.*CA certificate $tmp/cart/pg-ca.crt" "$tmp/cart.log" ||
	fail "the cart does not name its CA certificate: $(cat "$tmp/cart.log")"
mkdir -p "$tmp/remote"
cp "$tmp/cart/pg-ca.crt" "$tmp/remote/ca.crt"
remote_db="host=$net.1 port=$port dbname=setpost user=setpost connect_timeout=5 sslmode=verify-full sslrootcert=$tmp/remote/ca.crt"
ip netns exec "$ns" psql -w "$remote_db" -Atc "select 1" >"$tmp/nopw.out" 2>&1 &&
	fail "the cart's database answered without a password: $(cat "$tmp/nopw.out")"
grep -q "password" "$tmp/nopw.out" || fail "without a password: $(cat "$tmp/nopw.out")"
PGPASSWORD=not-it ip netns exec "$ns" psql -w "$remote_db" -Atc "select 1" >"$tmp/badpw.out" 2>&1 &&
	fail "the cart's database answered a wrong password"
grep -q "password authentication failed" "$tmp/badpw.out" || fail "a wrong password: $(cat "$tmp/badpw.out")"
export PGPASSWORD=$(cat "$tmp/cart/pg-password")
plain_db="host=$net.1 port=$port dbname=setpost user=setpost connect_timeout=5 sslmode=disable"
ip netns exec "$ns" psql -w "$plain_db" -Atc "select 1" >"$tmp/plain.out" 2>&1 &&
	fail "the cart's database answered over plain TCP (sslmode=disable): $(cat "$tmp/plain.out")"
grep -q "no encryption" "$tmp/plain.out" || fail "sslmode=disable: $(cat "$tmp/plain.out")"
other_db="host=$net.1 port=$port dbname=setpost user=setpost connect_timeout=5 sslmode=verify-full sslrootcert=/etc/ssl/certs/ca-certificates.crt"
ip netns exec "$ns" psql -w "$other_db" -Atc "select 1" >"$tmp/otherca.out" 2>&1 &&
	fail "the cart's certificate passed verify-full against the system's CAs: $(cat "$tmp/otherca.out")"
grep -q "certificate verify failed" "$tmp/otherca.out" || fail "verify-full, other CAs: $(cat "$tmp/otherca.out")"
tls=$(ip netns exec "$ns" psql -w "$remote_db" -Atc "select ssl, version from pg_stat_ssl where pid = pg_backend_pid()" 2>&1)
[[ $tls == t\|TLSv1.[23] ]] || fail "verify-full with the cart's CA: $tls"
ok "the cart's database listens on $net.1:$port over TLS ($(cut -d'|' -f2 <<<"$tls"), verify-full against a copy of DATA/pg-ca.crt) with a password (none, a wrong one, sslmode=disable, another CA: refused)"

# A real card offloaded on the cart to two tmpfs volumes.
bash "$top/tests/fixtures/make-qc-clips.sh" "$tmp/fx" >/dev/null 2>&1
mkdir -p "$tmp/cards/A001R1AB"
cp "$tmp/fx/A001R1AB/A001C001_250101_R1AB.mov" "$tmp/fx/A001R1AB/A001C002_250101_R1AB.mov" "$tmp/cards/A001R1AB/"
cli_mount "$tmp/raid" || fail "tmpfs on $tmp/raid"
cli_mount "$tmp/shuttle" || fail "tmpfs on $tmp/shuttle"
mkdir -p "$tmp/remote/raid" "$tmp/remote/renditions" "$tmp/remote/data"
"$bin" volume add remote "$tmp/remote" --data "$tmp/cart" >/dev/null

# The transcode machine: its mount points for the same storage, under other paths, and the
# cart's own paths gone (its volumes, its data folder with the database's socket).
# (A command line, not a function: started in the background, its pid is the worker's own.)
remote=(ip netns exec "$ns" unshare -m --propagation private sh -c '
	mount --bind "$1/raid" "$1/remote/raid" && mount --bind "$1/cart/renditions" "$1/remote/renditions" &&
	umount -l "$1/raid" && umount -l "$1/shuttle" && mount -t tmpfs -o size=1m tmpfs "$1/cart" &&
	shift && exec env SETPOST_HOST=edit-bay "$@"' sh "$tmp")
"${remote[@]}" "$bin" worker --database-url "$remote_db" --data "$tmp/remote/data" \
	--renditions "$tmp/remote/renditions" --kinds probe,thumbnails,qc,soundsync,transcode \
	--worker-name edit-bay --lease 5 --slots 1 >"$tmp/remote.out" 2>"$tmp/remote.log" &
remote_pid=$!
"$bin" offload "$tmp/cards/A001R1AB" --to "$tmp/raid" --to "$tmp/shuttle" --register "$cart" \
	--production Feature --day 2026-12-07 --no-progress >"$tmp/offload.out" 2>&1 ||
	fail "offload: $(cat "$tmp/offload.out")"
grep -q "safe to format: YES" "$tmp/offload.out" || fail "offload: $(cat "$tmp/offload.out")"
raid_vol=$(api /api/v1/volumes | jq -r --arg p "$tmp/raid" '.items[] | select(.mounts[] | .mount_path == $p) | .id')
[[ $raid_vol =~ ^[0-9]+$ ]] || fail "the raid's volume: $(api /api/v1/volumes)"
"${remote[@]}" "$bin" volume mount "$raid_vol" "$tmp/remote/raid" --database-url "$remote_db" >"$tmp/mount.out" 2>&1 ||
	fail "volume mount on the transcode machine: $(cat "$tmp/mount.out")"
api /api/v1/volumes | jq -e --argjson v "$raid_vol" --arg p "$tmp/remote/raid" \
	'.items[] | select(.id == $v) | .mounts | any(.host == "edit-bay" and .mount_path == $p)' >/dev/null ||
	fail "the raid's mounts: $(api /api/v1/volumes)"
code=0
"${remote[@]}" "$bin" volume mount "$raid_vol" /tmp --database-url "$remote_db" >"$tmp/bad.out" 2>&1 || code=$?
[[ $code != 0 && $(wc -l <"$tmp/bad.out") == 1 ]] && grep -q "declared" "$tmp/bad.out" || fail "a mount outside a declared volume: $code $(cat "$tmp/bad.out")"
ok "setpost volume mount, on the transcode machine over TCP: the raid is at $tmp/remote/raid on host edit-bay (outside a declared volume: refused)"

until_api 180 '[.items[] | select(.state == "done")] | length == 2' /api/v1/renditions ||
	fail "proxies not made by the remote worker: $got"
jobs=$(api "/api/v1/jobs?kind=transcode&limit=50")
jq -e '[.items[] | select(.state == "done")] | length == 2 and all(.worker == "edit-bay")' <<<"$jobs" >/dev/null ||
	fail "transcodes not done by edit-bay: $(jq -c '[.items[] | {id, state, worker}]' <<<"$jobs")"
[[ $(api "/api/v1/jobs?kind=probe&limit=50" | jq '[.items[] | select(.state == "done" and .worker == "edit-bay")] | length') == 2 ]] ||
	fail "probes not done by edit-bay: $(api "/api/v1/jobs?kind=probe&limit=50" | jq -c '[.items[] | {state, worker, last_error}]')"
rid=$(jq -r '[.items[] | select(.clip == "A001C001_250101_R1AB")][0].id' <<<"$got")
proxy_xxh=$(jq -r ".items[] | select(.id == $rid) | .xxh64" <<<"$got")
api "/api/v1/renditions/$rid/file" -o "$tmp/proxy.mp4"
[[ $(xxhsum -H1 "$tmp/proxy.mp4" 2>/dev/null | cut -d' ' -f1) == "$proxy_xxh" ]] || fail "the cart serves rendition $rid: $(head -c 200 "$tmp/proxy.mp4")"
ok "the worker on edit-bay probed and proxied both clips (real ffmpeg); the cart serves rendition $rid (xxh64 $proxy_xxh)"

editor=$("$bin" token create --role editor --name avid --data "$tmp/cart" | tail -n 1)
SETPOST_TOKEN=$editor "$bin" pull "$cart" "$tmp/pulled" >"$tmp/pull.out" 2>&1 || fail "pull: $(cat "$tmp/pull.out")"
pulled=$(find "$tmp/pulled" -type f -name "*.mp4" | wc -l)
[[ $pulled == 2 ]] || fail "pull brought $pulled proxies: $(cat "$tmp/pull.out")"
ok "setpost pull from the cart (editor) brings both proxies the remote worker made, checked against their xxh64"

target=$(api /api/v1/targets -d "{\"production_id\":1,\"name\":\"Post\",\"url\":\"$post/api/v1/uploads/\",
	\"recipient\":\"$recipient\",\"headers\":{\"Authorization\":\"Bearer $post_token\"}}" | jq -r .id)
[[ $target =~ ^[0-9]+$ ]] || fail "target: $target"
did=$(api /api/v1/deliveries -d "{\"target_id\":$target,\"rendition_id\":$rid}" | jq -r .id)
[[ $did =~ ^[0-9]+$ ]] || fail "delivery: $did"
until_api 90 ".items[] | select(.id == $did) | .state == \"delivered\" or .state == \"failed\"" /api/v1/deliveries ||
	fail "delivery $did never ended: $got"
jq -e ".items[] | select(.id == $did) | .state == \"delivered\" and .receipt.plain_xxh64 == \"$proxy_xxh\"" <<<"$got" >/dev/null ||
	fail "delivery: $(jq -c ".items[] | select(.id == $did)" <<<"$got")"
ok "the cart delivered the remote worker's proxy to the post house (delivered on its verified receipt)"

# Killed mid-job: a longer clip, so its transcode is still running when the machine dies.
mkdir -p "$tmp/cards2/A002R1AB"
ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc2=s=1920x1080:r=25:d=16" \
	-f lavfi -i "sine=frequency=440:sample_rate=48000:d=16" -ac 2 -c:v mjpeg -q:v 6 -c:a pcm_s24le \
	-timecode 02:00:00:00 "$tmp/cards2/A002R1AB/A002C001_250101_R1AB.mov"
"$bin" offload "$tmp/cards2/A002R1AB" --to "$tmp/raid" --to "$tmp/shuttle" --register "$cart" \
	--production Feature --day 2026-12-07 --no-progress >"$tmp/offload2.out" 2>&1 ||
	fail "offload 2: $(cat "$tmp/offload2.out")"
job=""
for _ in $(seq 600); do
	job=$(api "/api/v1/jobs?kind=transcode&limit=50" | jq -r '[.items[] | select(.state == "running" and .worker == "edit-bay")][0].id // empty')
	[ -n "$job" ] && break
	sleep 0.2
done
[ -n "$job" ] || fail "no transcode running on edit-bay: $(api "/api/v1/jobs?limit=50" | jq -c '[.items[] | {kind, state, worker}]')"
# Mid-job: ffmpeg has made some of it (the job's progress), not all.
for _ in $(seq 100); do
	api "/api/v1/jobs/$job" | jq -e '.progress > 0' >/dev/null 2>&1 && break
	sleep 0.2
done
kill -9 $(remote_tree)
wait "$remote_pid" 2>/dev/null || true
remote_pid=""
row=$(api "/api/v1/jobs?kind=transcode&limit=50" | jq -c ".items[] | select(.id == $job)")
jq -e '.state == "running" and .worker == "edit-bay" and .attempts == 1' <<<"$row" >/dev/null ||
	fail "the job had finished before the kill (the clip is too short for this machine): $row"
ok "edit-bay killed with -9 in the middle of transcode job $job ($(jq -r .progress <<<"$row") done)"

"$bin" worker --data "$tmp/cart" --kinds probe,thumbnails,qc,soundsync,transcode --worker-name cart-media \
	>"$tmp/cart-media.out" 2>"$tmp/cart-media.log" &
cli_track $!
until_api 240 ".items[] | select(.id == $job) | .state == \"done\" or .state == \"dead\"" "/api/v1/jobs?kind=transcode&limit=50" ||
	fail "job $job not finished by the cart: $(jq -c ".items[] | select(.id == $job)" <<<"$got")"
row=$(jq -c ".items[] | select(.id == $job)" <<<"$got")
jq -e '.state == "done" and .worker == "cart-media" and .attempts == 2 and (.last_error | test("lease expired on worker edit-bay"))' <<<"$row" >/dev/null ||
	fail "job $job after the kill: $row"
until_api 30 '[.items[] | select(.clip == "A002C001_250101_R1AB" and .state == "done")] | length >= 1' /api/v1/renditions ||
	fail "no proxy of A002C001: $got"
r2=$(jq -r '[.items[] | select(.clip == "A002C001_250101_R1AB")][0].id' <<<"$got")
x2=$(jq -r ".items[] | select(.id == $r2) | .xxh64" <<<"$got")
api "/api/v1/renditions/$r2/file" -o "$tmp/proxy2.mp4"
[[ $(xxhsum -H1 "$tmp/proxy2.mp4" 2>/dev/null | cut -d' ' -f1) == "$x2" ]] || fail "rendition $r2 as served"
ffprobe -v error -show_entries format=duration -of csv=p=0 "$tmp/proxy2.mp4" | awk '{ exit !($1 > 15) }' ||
	fail "the finished proxy is not whole: $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$tmp/proxy2.mp4")"
ok "its lease ran out; the cart's worker took job $job (attempt 2, 'lease expired on worker edit-bay') and finished it: a whole 16 s proxy, served by the cart"
echo "remote_worker.sh: all passed"
