#!/usr/bin/env bash
# Issue 14's SSRF spellings, each tried over HTTP the two ways in: when a URL is given (a post
# house's webhook, created or re-pointed; an admin's delivery target) it is refused (400) and
# nothing is stored; and when setpost connects (a URL stored while a server allowed it, then
# tested or delivered by a worker that does not), the address actually connected to is checked
# after resolving, so nothing reaches the listener on this host. Last, the same worker with
# --outbound-allow covering 127.0.0.1 does reach it: the refusals are the policy, not a broken
# network. Prints what each spelling got.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_need_tools "SSRF spellings" jq python3 curl xxhsum
cli_journey ssrf
on_fail() { tail -n 20 "$tmp/worker.log" "$tmp/strict.log" >&2 2>/dev/null || true; }

# A listener on this host's loopback, IPv4 and IPv6, counting every connection it gets.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$port" "$tmp/hits" <<'EOF' &
import socket, sys, threading
port, hits = int(sys.argv[1]), sys.argv[2]
open(hits, "w").close()
def serve(fam, addr):
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port)); s.listen(64)
    while True:
        c, peer = s.accept()
        with open(hits, "a") as f:
            f.write("%s\n" % (peer[0],))
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        c.close()
threads = [threading.Thread(target=serve, args=a, daemon=True) for a in
           ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1"))]
for t in threads: t.start()
for t in threads: t.join()
EOF
cli_track $!

# Two servers on one database: strict (the default policy) and open (allows every address:
# what was stored while an operator allowed it, or a name that resolved elsewhere then).
cli_serve "$tmp/strict" --data "$tmp/data"
strict=$url
cli_serve "$tmp/open" --data "$tmp/data" --outbound-allow "0.0.0.0/0,::/0,localhost"
open=$url
admin=$("$bin" token create --role admin --name dit | tail -n 1)
post=$("$bin" token create --role post --name lab | tail -n 1)
call() { # TOKEN METHOD URL [BODY] -> prints "STATUS BODY"
	local out
	out=$(curl -s -o "$tmp/body" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
		-H "Content-Type: application/json" ${4:+-d "$4"} "$3")
	echo "$out $(cat "$tmp/body")"
}
count() { psql -qAt "$SETPOST_DATABASE_URL" -c "$1"; }

# A file to deliver: a registered card with one verified copy under a declared volume.
mkdir -p "$tmp/raid"
printf 'hello' >"$tmp/raid/a.mov"
h=$(xxhsum -H1 "$tmp/raid/a.mov" | cut -d' ' -f1)
"$bin" volume add RAID "$tmp/raid" >/dev/null || fail "volume add"
r=$(call "$admin" POST "$strict/api/v1/offloads" '{"production":"Feature","card":{"label":"A001"},
 "files":[{"path":"a.mov","size":5,"clip":"A001C001","hashes":{"xxh64":"'"$h"'"}}],
 "copies":[{"volume":{"key":"uuid:r","name":"RAID","host":"'"$(hostname)"'","mount_path":"'"$tmp/raid"'"},
 "files":[{"path":"a.mov","state":"verified","hashes":{"xxh64":"'"$h"'"}}]}]}')
[[ $r == 201* ]] || fail "offload registered: $r"
file=$(count "SELECT id FROM files LIMIT 1")
recipient=age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq
# A hook of the post house's with a public name, to re-point.
r=$(call "$post" POST "$strict/api/v1/webhooks" '{"url":"https://post.example.com/hook","events":["day.wrapped"]}')
[[ $r == 201* ]] || fail "a public hook: $r"
public_hook=$(jq -r .id <<<"${r#* }")

spellings=(127.0.0.1 0x7f000001 2130706433 017700000001 127.1 '[::1]' '[::ffff:127.0.0.1]'
	169.254.169.254 10.0.0.1 172.16.0.1 192.168.1.1 '[fe80::1]' 0.0.0.0 '[::]' 224.0.0.1 localhost)

# 1. Given: refused at create and update, nothing stored or changed.
before=$(count "SELECT (SELECT count(*) FROM webhooks), (SELECT count(*) FROM targets), (SELECT string_agg(url, ',') FROM webhooks)")
declare -A created
i=0
for s in "${spellings[@]}"; do
	i=$((i + 1))
	u="http://$s:$port/hook"
	a=$(call "$post" POST "$strict/api/v1/webhooks" "{\"url\":\"$u\",\"events\":[\"day.wrapped\"]}")
	b=$(call "$post" PATCH "$strict/api/v1/webhooks/$public_hook" "{\"url\":\"$u\"}")
	c=$(call "$admin" POST "$strict/api/v1/targets" "{\"production_id\":1,\"name\":\"t$i\",\"url\":\"http://$s:$port/files/\",\"recipient\":\"$recipient\"}")
	[[ $a == 400* && $b == 400* && $c == 400* ]] ||
		fail "$s given: webhook create ${a:0:120} / update ${b:0:120} / target ${c:0:120}"
	created[$s]="create ${a%% *}, update ${b%% *}, target ${c%% *}"
done
after=$(count "SELECT (SELECT count(*) FROM webhooks), (SELECT count(*) FROM targets), (SELECT string_agg(url, ',') FROM webhooks)")
[ "$before" = "$after" ] || fail "a refusal changed webhooks or targets: $before -> $after"
ok "given: ${#spellings[@]} spellings refused (400) at webhook create, webhook update and target create; nothing stored"

# A plain name that resolves to loopback (this host's own name, from /etc/hosts): not resolved
# when given (a name is judged where it is connected to), so accepted then; refused below.
own=$(hostname)
if getent hosts "$own" | grep -qE '^(127\.|::1 )'; then
	a=$(call "$post" POST "$strict/api/v1/webhooks" "{\"url\":\"http://$own:$port/hook\",\"events\":[\"day.wrapped\"]}")
	[[ $a == 201* ]] || fail "$own (a name) given: $a"
	call "$post" DELETE "$strict/api/v1/webhooks/$(jq -r .id <<<"${a#* }")" >/dev/null
	created[$own]="create ${a%% *} (a name: judged when resolved), resolves to $(getent hosts "$own" | cut -d' ' -f1)"
	spellings+=("$own")
else
	skip "a name resolving to loopback" "$own does not resolve to 127.x here"
fi

# 2. Connecting: stored through the open server, tested and delivered by a worker with the
# default policy.
declare -A hook target
i=0
for s in "${spellings[@]}"; do
	i=$((i + 1))
	a=$(call "$post" POST "$open/api/v1/webhooks" "{\"url\":\"http://$s:$port/hook\",\"events\":[\"day.wrapped\"]}")
	[[ $a == 201* ]] || fail "$s through the open server: $a"
	hook[$s]=$(jq -r .id <<<"${a#* }")
	c=$(call "$admin" POST "$open/api/v1/targets" "{\"production_id\":1,\"name\":\"c$i\",\"url\":\"http://$s:$port/files/\",\"recipient\":\"$recipient\"}")
	[[ $c == 201* ]] || fail "$s target through the open server: $c"
	target[$s]=$(jq -r .id <<<"${c#* }")
	t=$(call "$post" POST "$strict/api/v1/webhooks/${hook[$s]}/test")
	[[ $t == 20* ]] || fail "$s: webhook test: $t"
	d=$(call "$admin" POST "$strict/api/v1/deliveries" "{\"target_id\":${target[$s]},\"file_id\":$file}")
	[[ $d == 201* ]] || fail "$s: delivery: $d"
done
"$bin" worker --slots 2 --data "$tmp/data" >"$tmp/worker.out" 2>"$tmp/worker.log" &
worker=$!
cli_track $worker
report=""
for s in "${spellings[@]}"; do
	w="" dl=""
	for _ in $(seq 300); do
		w=$(count "SELECT coalesce(http_status::text, '-') || ' ' || error FROM webhook_deliveries WHERE webhook_id = ${hook[$s]} ORDER BY id LIMIT 1")
		dl=$(count "SELECT error FROM deliveries WHERE target_id = ${target[$s]} AND error IS NOT NULL")
		[ -n "$w" ] && [ -n "$dl" ] && break
		sleep 0.2
	done
	[ -n "$w" ] && [ -n "$dl" ] || fail "$s: no attempt recorded (webhook '$w', delivery '$dl')"
	[[ $w == "- "*--outbound-allow* ]] || fail "$s: the webhook test was not refused by the policy: $w"
	[[ $dl == *--outbound-allow* ]] || fail "$s: the delivery was not refused by the policy: $dl"
	report+="$s: ${created[$s]}; webhook test: ${w#- }; delivery: $dl"$'\n'
done
hits=$(wc -l <"$tmp/hits")
[ "$hits" -eq 0 ] || fail "the listener on this host was reached $hits times: $(sort "$tmp/hits" | uniq -c)"
ok "connecting: ${#spellings[@]} spellings stored while allowed, refused by the worker on the address resolved (webhook test and delivery); the listener got 0 connections"
printf '%s' "$report" | sed 's/^/# /'

# 3. With --outbound-allow covering it, the same worker connects: the listener was reachable.
kill "$worker" && wait "$worker" 2>/dev/null || true
for s in "${spellings[@]}"; do call "$post" DELETE "$strict/api/v1/webhooks/${hook[$s]}" >/dev/null; done
# The refused deliveries still queued for a retry: cancelled as the DIT would (POST .../cancel).
a=$(call "$admin" GET "$strict/api/v1/jobs?kind=upload&state=queued&limit=200")
for j in $(jq -r '.items[].id' <<<"${a#* }"); do
	c=$(call "$admin" POST "$strict/api/v1/jobs/$j/cancel")
	[[ ${c%% *} == 200 ]] || fail "cancel upload job $j: $c"
done
a=$(call "$post" POST "$open/api/v1/webhooks" "{\"url\":\"http://127.0.0.1:$port/ok\",\"events\":[\"day.wrapped\"]}")
ok_hook=$(jq -r .id <<<"${a#* }")
call "$post" POST "$strict/api/v1/webhooks/$ok_hook/test" >/dev/null
"$bin" worker --slots 1 --data "$tmp/data" --outbound-allow 127.0.0.1/32 >"$tmp/worker2.out" 2>"$tmp/worker2.log" &
cli_track $!
for _ in $(seq 150); do [ "$(wc -l <"$tmp/hits")" -ge 1 ] && break; sleep 0.2; done
[ "$(wc -l <"$tmp/hits")" -ge 1 ] || fail "the allowed hook never reached the listener: $(tail -n 5 "$tmp/worker2.log")"
ok "--outbound-allow 127.0.0.1/32: the same hook URL reaches the listener (it was reachable all along)"
