#!/usr/bin/env bash
# The database goes away in the middle of an offload job (issue 21, item 6). The cart's worker
# is copying a card to two really distinct volumes when PostgreSQL is stopped (pg_ctl stop, as
# the cluster's user, on a cluster of this test's own); the copies finish while it is down and
# stay down past the job's lease. Started again, the card must end registered and safe to
# format and the job done, never dead with the copies unregistered: the worker kept the outcome
# in its journal (DATA/journal) and records it once the database answers. Seen from the CLI and
# the HTTP API only.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_tmp outage
on_fail() { tail -n 15 "$tmp/serve.log" "$tmp/worker.log" >&2 2>/dev/null || true; }

if [ "$(id -u)" -ne 0 ]; then
	skip "offload job across a database outage, on two distinct volumes" "needs root to mount tmpfs"
	exit 0
fi
faults=0 false_verified=0 false_safe=0

# A cluster of our own: stopping the suite's shared one would break the tests after us.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
RUN="runuser -u postgres --"
mkdir -p "$tmp/pg" "$tmp/run"
chown postgres "$tmp/pg" "$tmp/run"
pg() { $RUN "$PGBIN/pg_ctl" -D "$tmp/pg" "$@" >/dev/null; }
pg_start() { pg -l "$tmp/pg/server.log" -w start -o "-c listen_addresses='' -c unix_socket_directories='$tmp/run' -c fsync=off"; }
on_exit() { pg -m immediate -w stop 2>/dev/null || true; }
$RUN "$PGBIN/initdb" -D "$tmp/pg" -U setpost --auth=trust --no-sync -E UTF8 --locale=C >"$tmp/initdb.log" 2>&1 ||
	fail "initdb: $(cat "$tmp/initdb.log")"
pg_start
export SETPOST_DATABASE_URL="host=$tmp/run user=setpost dbname=postgres"

# The card: big enough that the copy is still running when the worker is paused and the
# database stopped (checked below, not assumed), on a volume of its own.
cli_mount "$tmp/cards" 512m || fail "mount the card's tmpfs"
cli_mount "$tmp/raid" 640m || fail "mount raid"
cli_mount "$tmp/shuttle" 640m || fail "mount shuttle"
mkdir -p "$tmp/cards/A001/CLIPS"
head -c $((300 << 20)) /dev/urandom >"$tmp/cards/A001/CLIPS/A001C001.mov"
head -c 4096 /dev/urandom >"$tmp/cards/A001/CLIPS/A001C002.mov"
echo "card A001, roll 1" >"$tmp/cards/A001/notes.txt"

cli_serve "$tmp/serve" --data "$tmp/data"
export SETPOST_TOKEN=$("$bin" token create --role admin --name cart | tail -n 1)
api() { curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url$1"; }
for v in CARDS:cards RAID:raid SHUTTLE:shuttle; do
	"$bin" volume add "${v%%:*}" "$tmp/${v#*:}" --data "$tmp/data" >/dev/null || fail "volume add $v"
done
# A short lease, so the database stays down past it: the job would be reaped as dead.
"$bin" worker --slots 1 --lease 4 --data "$tmp/data" >"$tmp/worker.out" 2>"$tmp/worker.log" &
wpid=$!
cli_track "$wpid"

job=$(curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" \
	-d "{\"source\":\"$tmp/cards/A001\",\"destinations\":[\"$tmp/raid\",\"$tmp/shuttle\"],\"production\":\"Feature\",\"day\":\"2026-11-26\"}" \
	"$url/api/v1/offload-jobs")
id=$(jq -r .job_id <<<"$job")
[[ $id =~ ^[0-9]+$ ]] || fail "offload job created: $job"

# Mid-job: the worker is running it and has not registered anything yet. The worker is paused
# while the database stops, so "mid-job" is a fact, not a race.
for _ in $(seq 400); do [[ $(api "/api/v1/jobs/$id" | jq -r .state) == running ]] && break; sleep 0.05; done
kill -STOP "$wpid"
state=$(api "/api/v1/jobs/$id" | jq -r .state)
cards=$(api "/api/v1/cards" | jq '.items | length')
if [[ $state != running || $cards != 0 ]]; then
	kill -CONT "$wpid"
	fail "the job was not caught mid-way (state $state, $cards cards registered): the card is too small for this machine"
fi
pg -m fast -w stop
faults=$((faults + 1))
kill -CONT "$wpid"
ok "PostgreSQL stopped while offload job $id was copying (nothing registered yet)"

# The copies finish while the database is down; the worker says what became of the outcome.
ended="job=$id kind=offload \(outcome\|done\|attempt=[0-9/]* failed\)"
for _ in $(seq 1200); do grep -q "$ended" "$tmp/worker.log" && break; sleep 0.1; done
grep -q "$ended" "$tmp/worker.log" || fail "the worker never finished job $id"
[ -f "$tmp/raid/A001/CLIPS/A001C001.mov" ] && [ -f "$tmp/shuttle/A001/CLIPS/A001C001.mov" ] ||
	fail "the copies were finished while the database was down"
code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $SETPOST_TOKEN" "$url/api/v1/jobs/$id")
[[ $code == 503 || $code == 500 ]] || fail "the API answers while its database is down? ($code)"
sleep 5   # past the job's 4 s lease
pg_start
ok "PostgreSQL started again after the job's lease ran out"

for _ in $(seq 300); do [[ $(api "/api/v1/jobs/$id" | jq -r .state) == done ]] && break; sleep 0.1; done
j=$(api "/api/v1/jobs/$id")
[[ $(jq -r .state <<<"$j") == done ]] || fail "job $id done after the outage: $j"
jq -e '.result.card_id > 0 and .result.safe_to_format == true' <<<"$j" >/dev/null ||
	fail "job $id carries its registration's answer: $j"
ok "the job ends done (not dead), its result the registration's answer"

card=$(api "/api/v1/cards" | jq -r '.items[] | select(.label == "A001") | .id')
[[ $card =~ ^[0-9]+$ ]] || fail "card A001 registered after the outage: $(api /api/v1/cards)"
c=$(api "/api/v1/cards/$card")
[[ $(jq -r .safe_to_format <<<"$c") == true ]] || fail "card A001 safe to format: $c"
verified=$(psql -tA "$SETPOST_DATABASE_URL" -c "SELECT count(*) FROM copies cp JOIN files f ON f.id = cp.file_id WHERE f.card_id = $card AND cp.state = 'verified'")
[[ $verified == 6 ]] || fail "3 files x 2 copies verified, not $verified"
ok "card A001 is registered and safe to format: 3 files, each verified on both volumes"

# The registration is the real one: the copies on disk are what the server says they are.
"$bin" verify "$tmp/shuttle/A001" --register "$url" >"$tmp/verify.out" 2>&1 ||
	{ false_verified=$((false_verified + 1)); fail "verify of a copy registered after the outage: $(cat "$tmp/verify.out")"; }
grep -q "safe to format: YES" "$tmp/verify.out" || fail "verify reports the card safe: $(cat "$tmp/verify.out")"
jq -e '[.items[] | select(.label == "A001")] | length == 1' <<<"$(api /api/v1/cards)" >/dev/null ||
	fail "one card A001, not two: $(api /api/v1/cards)"
ok "setpost verify of one copy agrees (the card is safe, one card, nothing registered twice)"

# And a card that really is not whole is not called safe: one copy's file removed, verified.
faults=$((faults + 1))
rm "$tmp/raid/A001/notes.txt"
"$bin" verify "$tmp/raid/A001" --register "$url" >"$tmp/verify2.out" 2>&1 && fail "verify of a copy missing a file must fail"
[[ $(api "/api/v1/cards/$card" | jq -r .safe_to_format) == false ]] ||
	{ false_safe=$((false_safe + 1)); fail "card safe with a copy missing a file"; }
ok "a copy missing a file after the outage makes the card not safe"

# The worker itself stops while the database is down: the journal is on disk, so the next
# worker started on this data folder records it.
rm -rf "$tmp/cards/A001"
mkdir -p "$tmp/cards/B001"
head -c $((200 << 20)) /dev/urandom >"$tmp/cards/B001/B001C001.mov"
job=$(curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" \
	-d "{\"source\":\"$tmp/cards/B001\",\"destinations\":[\"$tmp/raid\",\"$tmp/shuttle\"],\"production\":\"Feature\",\"day\":\"2026-11-26\"}" \
	"$url/api/v1/offload-jobs")
id=$(jq -r .job_id <<<"$job")
for _ in $(seq 400); do [[ $(api "/api/v1/jobs/$id" | jq -r .state) == running ]] && break; sleep 0.05; done
kill -STOP "$wpid"
state=$(api "/api/v1/jobs/$id" | jq -r .state)
if [[ $state != running || -n $(api "/api/v1/cards" | jq -r '.items[] | select(.label == "B001") | .id') ]]; then
	kill -CONT "$wpid"
	fail "job $id was not caught mid-way (state $state)"
fi
pg -m fast -w stop
faults=$((faults + 1))
kill -CONT "$wpid"
ended="job=$id kind=offload \(outcome\|done\|attempt=[0-9/]* failed\)"
for _ in $(seq 1200); do grep -q "$ended" "$tmp/worker.log" && break; sleep 0.1; done
kill "$wpid"
wait "$wpid" 2>/dev/null || true
pg_start
sleep 1
[[ $(api "/api/v1/jobs/$id" | jq -r .state) != done ]] || fail "job $id done with no worker running?"
"$bin" worker --slots 1 --lease 4 --data "$tmp/data" >"$tmp/worker2.out" 2>"$tmp/worker2.log" &
cli_track $!
for _ in $(seq 300); do [[ $(api "/api/v1/jobs/$id" | jq -r .state) == done ]] && break; sleep 0.1; done
[[ $(api "/api/v1/jobs/$id" | jq -r .state) == done ]] || fail "job $id done once a worker starts again: $(api "/api/v1/jobs/$id")"
card=$(api "/api/v1/cards" | jq -r '.items[] | select(.label == "B001") | .id')
[[ $card =~ ^[0-9]+$ && $(api "/api/v1/cards/$card" | jq -r .safe_to_format) == true ]] ||
	fail "card B001 registered and safe: $(api /api/v1/cards)"
ok "a worker stopped during the outage: the next worker on the data folder records the job (done, card B001 safe)"
echo "faults tried: $faults, false verified: $false_verified, false safe to format: $false_safe"
