#!/usr/bin/env bash
# Confinement (issue 21, item 5), tried as an attacker holding an admin token and as one holding
# a post token would: the server and the worker touch only declared volumes and their own data
# folder, which is never a volume. Every attempt is listed; each must be a 400 or 403 that says
# nothing about the host's files (no size, no "exists"), and must change nothing.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_journey journey_confine
on_fail() { tail -n 20 "$tmp/serve.log" >&2 || true; }

bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1
mkdir -p "$tmp/raid" "$tmp/shuttle" "$tmp/elsewhere"
cli_serve "$tmp/serve" --data "$tmp/data"
admin=$("$bin" token create --role admin --name cart | tail -n 1)
post=$("$bin" token create --role post --name posthouse | tail -n 1)
cli_worker "$tmp/worker" --slots 1 --data "$tmp/data"

# A card offloaded and registered the ordinary way: its destinations are declared for it.
out=$(SETPOST_TOKEN=$admin "$bin" offload "$tmp/cards/sound/SR001" --to "$tmp/raid" --to "$tmp/shuttle" \
	--register "$url" --day 2026-11-25 --no-progress 2>&1)
grep -q "registered: card id" <<<"$out" || fail "offload --register: $out"
roots=$(curl -s -H "Authorization: Bearer $admin" "$url/api/v1/volume-roots")
[[ $(jq -r '[.items[].path] | sort | join(",")' <<<"$roots") == "$tmp/raid,$tmp/shuttle" ]] ||
	fail "offload --register declares its destinations: $roots"
file=$(curl -s -H "Authorization: Bearer $admin" "$url/api/v1/cards/1" >/dev/null;
	psql -tA "$SETPOST_DATABASE_URL" -c "SELECT id FROM files ORDER BY id LIMIT 1")
ok "offload --register declares its destinations as volumes"

n=0
# attempt ROLE METHOD PATH BODY EXPECTED-STATUS...: the answer is one JSON error, with no size
# nor existence in it, and the cards are unchanged.
attempt() {
	local role=$1 method=$2 path=$3 body=$4 tok code msg before after
	shift 4
	tok=$admin
	[ "$role" = post ] && tok=$post
	before=$(curl -s -H "Authorization: Bearer $admin" "$url/api/v1/cards" | jq -c '[.items[] | [.id, .files]]')
	code=$(curl -s -o "$tmp/ans" -w "%{http_code}" -X "$method" -H "Authorization: Bearer $tok" \
		-H "Content-Type: application/json" ${body:+-d "$body"} "$url$path")
	msg=$(jq -r '.error.message // empty' "$tmp/ans" 2>/dev/null || true)
	n=$((n + 1))
	echo "  attempt $n: $role $method $path ${body:0:90} -> $code $msg"
	local want
	for want in "$@"; do [[ $code == "$want" ]] && break; done
	[[ $code == "$want" ]] || fail "attempt $n ($role $method $path $body): $code, expected $*: $(cat "$tmp/ans")"
	jq -e '.error.code and .error.message' "$tmp/ans" >/dev/null || fail "attempt $n: not one JSON error: $(cat "$tmp/ans")"
	if grep -Eiq "bytes|exist|on disk|no such|[0-9]+ ?B\b" <<<"$msg"; then
		fail "attempt $n reveals something about the host's files: $msg"
	fi
	after=$(curl -s -H "Authorization: Bearer $admin" "$url/api/v1/cards" | jq -c '[.items[] | [.id, .files]]')
	[[ $before == "$after" ]] || fail "attempt $n changed the cards: $before -> $after"
}
reg() { # a registration of FILE (size SIZE) in copy PATH on a volume mounted at MOUNT
	jq -nc --arg m "$1" --arg p "$2" --arg f "$3" --argjson s "$4" --arg h "$(hostname)" '{card:{label:"EVIL"}, day:"2026-11-25",
		files:[{path:$f, size:$s, hashes:{xxh64:"0123456789abcdef"}}],
		copies:[{volume:{key:"uuid:evil", name:"evil", host:$h, mount_path:$m}, path:$p,
		files:[{path:$f, state:"verified", hashes:{xxh64:"0123456789abcdef"}}]}]}'
}

for role in admin post; do
	if [ "$role" = admin ]; then deny=400; else deny=403; fi
	attempt $role POST /api/v1/offloads "$(reg / etc shadow 631)" $deny
	attempt $role POST /api/v1/offloads "$(reg / etc nosuchfile 1)" $deny
	attempt $role POST /api/v1/offloads "$(reg "$tmp/raid" ../../etc shadow 631)" $deny
	attempt $role POST /api/v1/offloads "$(reg "$tmp/raid/../../etc" "" shadow 631)" $deny
	attempt $role POST /api/v1/offloads "$(reg "$tmp/elsewhere" SR001 a.wav 10)" $deny
	attempt $role POST /api/v1/offloads "$(reg "$tmp/data" keys server.key 32)" $deny
	attempt $role POST /api/v1/offload-jobs "{\"source\":\"$tmp/data/keys\",\"destinations\":[\"$tmp/raid\"]}" $deny
	attempt $role POST /api/v1/offload-jobs "{\"source\":\"$tmp/cards/sound\",\"destinations\":[\"/tmp\"]}" $deny
	attempt $role POST /api/v1/offload-jobs "{\"source\":\"$tmp/raid/SR001\",\"destinations\":[\"$tmp/data\"]}" $deny
	attempt $role POST /api/v1/offload-jobs "{\"source\":\"$tmp/raid/../data\",\"destinations\":[\"$tmp/shuttle\"]}" $deny
	attempt $role POST /api/v1/volume-roots '{"name":"root","path":"/"}' $deny
	attempt $role POST /api/v1/volume-roots '{"name":"etc","path":"/etc"}' $deny
	attempt $role POST /api/v1/volume-roots '{"name":"var","path":"/var"}' $deny
	attempt $role POST /api/v1/volume-roots "{\"name\":\"data\",\"path\":\"$tmp/data\"}" $deny
	attempt $role POST /api/v1/volume-roots "{\"name\":\"above\",\"path\":\"$tmp\"}" $deny
	attempt $role POST /api/v1/volume-roots "{\"name\":\"dots\",\"path\":\"$tmp/raid/../data\"}" $deny
done
# The answers for a file that exists and one that does not are the same but for the name.
a=$(curl -s -H "Authorization: Bearer $admin" -H "Content-Type: application/json" -d "$(reg / etc shadow 631)" "$url/api/v1/offloads")
b=$(curl -s -H "Authorization: Bearer $admin" -H "Content-Type: application/json" -d "$(reg / etc nosuchfile 631)" "$url/api/v1/offloads")
[[ $a == "$b" ]] || fail "existing and missing files answer alike: $a / $b"
ok "registrations, offload jobs and volume declarations outside declared volumes: refused, nothing revealed, nothing changed ($n attempts)"

# Originals: admin only by default; a post token never.
code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $post" "$url/api/v1/files/$file/content")
[[ $code == 403 ]] || fail "a post token downloads an original: $code"
code=$(curl -s -o "$tmp/orig" -w "%{http_code}" -H "Authorization: Bearer $admin" "$url/api/v1/files/$file/content")
[[ $code == 200 ]] || fail "admin downloads an original: $code $(cat "$tmp/orig")"
n=$((n + 2))
echo "  attempt $((n - 1)): post GET /api/v1/files/$file/content -> 403"
echo "  attempt $n: admin GET /api/v1/files/$file/content -> 200"
ok "originals: a post token is refused (403), an admin gets them (SETPOST_ORIGINALS_ROLES=admin)"

# A declared volume whose copy leads out through a symlink is not served.
ln -s /etc "$tmp/raid/LINK"
r=$(curl -s -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
	-d "$(reg "$tmp/raid/LINK" "" passwd "$(stat -c %s /etc/passwd)")" "$url/api/v1/offloads")
id=$(psql -tA "$SETPOST_DATABASE_URL" -c "SELECT id FROM files WHERE rel_path = 'passwd'")
[ -n "$id" ] || fail "the symlinked registration (text under a declared volume) was recorded: $r"
code=$(curl -s -o "$tmp/ans" -w "%{http_code}" -H "Authorization: Bearer $admin" "$url/api/v1/files/$id/content")
[[ $code == 403 ]] || fail "a copy through a symlink out of the volume is served: $code $(head -c 200 "$tmp/ans")"
n=$((n + 1))
echo "  attempt $n: admin GET /api/v1/files/$id/content (volume/LINK -> /etc) -> 403"
ok "a copy that leads out of its declared volume through a symlink is not served"

# The CLI refuses the same declarations with one line.
for p in / /etc "$tmp/data" "$tmp"; do
	if "$bin" volume add bad "$p" --data "$tmp/data" 2>"$tmp/err"; then fail "setpost volume add $p accepted"; fi
	[[ $(wc -l <"$tmp/err") == 1 ]] || fail "one line: $(cat "$tmp/err")"
	n=$((n + 1))
done
"$bin" volume add cards "$tmp/cards" >/dev/null || fail "volume add of a real folder"
"$bin" volume list | grep -q "$tmp/cards" || fail "volume list"
ok "setpost volume add refuses /, system folders and the data folder (one line), declares a real folder"
echo "confinement.sh: $n attempts, all refused or allowed as expected"
