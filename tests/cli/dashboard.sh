#!/usr/bin/env bash
# The dashboard in a real browser: Debian's Chromium driven by playwright-core (tests/browser)
# against a real setpost serve and worker on real PostgreSQL. Screenshots go to
# tests/browser/artifacts/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
cli_tmp dash

chromium=${SETPOST_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || fail "no Chromium at $chromium (apt-get install chromium)"
command -v node >/dev/null || fail "node is needed for the browser tests"
[ -d "$top/tests/browser/node_modules/playwright-core" ] ||
	npm ci --prefix "$top/tests/browser" --no-audit --no-fund >/dev/null

cli_db cli_dashboard
export SETPOST_DATABASE_URL=$CLI_DB
bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1
# The QC card (tests/browser/qc.test.js): a frozen take and an empty file.
bash "$top/tests/fixtures/make-qc-clips.sh" "$tmp/qcsrc" >/dev/null 2>&1
mkdir -p "$tmp/cards/qc/A003QC"
cp "$tmp/qcsrc/A001R1AB/A001C008_250101_R1AB.mov" "$tmp/qcsrc/A001R1AB/A001C020_250101_R1AB.mov" "$tmp/cards/qc/A003QC/"
mkdir -p "$tmp/raid" "$tmp/shuttle"
two_volumes=0
cli_mount "$tmp/raid" && cli_mount "$tmp/shuttle" && two_volumes=1
# The stand-in LTO tape (tests/browser/tapes.test.js): a tmpfs with the LTFS attributes.
tape=
if [ "$two_volumes" = 1 ] && cli_mount "$tmp/tape" 64m; then
	python3 -c "import os,sys; [os.setxattr(sys.argv[1], 'user.ltfs.' + k, v.encode()) for k, v in zip(('volumeUUID', 'volumeName', 'volumeSerial'), ('5a17-0001', 'VAULT01', 'VAULT01L8'))]" "$tmp/tape"
	tape=$tmp/tape
fi
cli_serve "$tmp/serve" --data "$tmp/data" --web "$top/web"
printf 'dit password 1\n' | "$bin" user add dit --role admin >/dev/null
printf 'editor password 1\n' | "$bin" user add cutter --role editor >/dev/null
token=$("$bin" token create --role admin --name browser-tests | tail -n 1)
# Offload jobs run only between declared volumes (lib/custody/confine.h): the card reader, the
# two destinations, and /nonexistent for the job that fails in the worker.
for v in "$tmp/cards" "$tmp/raid" "$tmp/shuttle" ${tape:+"$tape"}; do "$bin" volume add "$(basename "$v")" "$v" >/dev/null; done
curl -s -o /dev/null -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
	-d '{"name":"gone","path":"/nonexistent"}' "$url/api/v1/volume-roots"
"$bin" worker --slots 2 --data "$tmp/data" >"$tmp/worker.out" 2>"$tmp/worker.log" &
cli_track $!

mkdir -p "$top/tests/browser/artifacts"
# SETPOST_BROWSER_ONLY=reports runs tests/browser/reports.test.js alone (when changing it).
browser_tests=()
for t in ${SETPOST_BROWSER_ONLY:-cdl dashboard qc rules required_copies look sound tapes reports}; do
	browser_tests+=("$top/tests/browser/$t.test.js")
done
# One file at a time, in name order (node sorts them): dashboard.test.js starts from an empty
# Today, required_copies.test.js adds a later day of a production of its own.
SETPOST_URL=$url SETPOST_TOKEN=$token SETPOST_CHROMIUM=$chromium SETPOST_CARDS=$tmp/cards SETPOST_BIN=$bin \
SETPOST_DESTS="$tmp/raid:$tmp/shuttle" SETPOST_TWO_VOLUMES=$two_volumes SETPOST_TAPE=$tape SETPOST_QC_CARD=$tmp/cards/qc/A003QC \
	node --test --test-concurrency=1 --test-reporter=spec "${browser_tests[@]}" 2>&1 |
	tee "$tmp/node.log" | grep -E "^\s*(✔|✖|ℹ (tests|pass|fail))|not ok|Error|expected|actual" || true
# node's own counts join make test's closing line.
for k in pass fail skipped; do
	n=$(sed -n "s/^ℹ $k \([0-9]*\)$/\1/p" "$tmp/node.log" | tail -n 1)
	[ "$k" = skipped ] && k=skip
	for _ in $(seq "${n:-0}"); do _cli_count "$k"; done
done
grep -q "^ℹ fail 0" "$tmp/node.log" || {
	tail -n 60 "$tmp/node.log" >&2
	tail -n 20 "$tmp/serve.log" "$tmp/worker.log" >&2
	echo "dashboard.sh: FAIL: browser tests failed (screenshots in tests/browser/artifacts/)" >&2
	exit 1
}
echo "dashboard.sh: all passed"
