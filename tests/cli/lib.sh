# Sourced by every tests/cli/*.sh: the way a check reports itself, counted for make test's
# closing line. scripts/test.sh sets SETPOST_TEST_COUNTS to a file each line is appended to.
#   ok "what held"              a check that ran and passed
#   skip "what" "why"           a check that could not run here (never an `ok`); under CI (CI
#                               set, as root with every package) a skip counts as a failure
#   fail "what went wrong"      the check failed: the message on stderr, the script exits 1
_cli_name=$(basename "$0")
_cli_count() { [ -n "${SETPOST_TEST_COUNTS:-}" ] && echo "$1 $_cli_name" >>"$SETPOST_TEST_COUNTS"; return 0; }
ok() { echo "ok - $*"; _cli_count pass; }
skip() {
	echo "skip - $1 ($2)"
	if [ -n "${CI:-}" ]; then
		echo "$_cli_name: FAIL: under CI this check must run: $1 ($2)" >&2
		_cli_count fail
		exit 1
	fi
	_cli_count skip
}
fail() {
	echo "$_cli_name: FAIL: $*" >&2
	if declare -F on_fail >/dev/null; then on_fail; fi
	_cli_count fail
	exit 1
}

# The shared prologue of tests that run setpost against a database of their own. Everything
# they set up is undone by one EXIT trap; a test's own extra clean-up goes in a function
# `on_exit`, which runs first.
#   cli_tmp NAME              $tmp: a folder of its own (mode 755: the embedded cluster's user
#                             must reach it when tests run as root)
#   cli_db NAME               $CLI_DB: the conninfo of a new database NAME_<pid>
#   cli_serve PREFIX ARGS...  `$bin serve --listen 127.0.0.1:0 ARGS` on $SETPOST_DATABASE_URL,
#                             output in PREFIX.out/.log; $url and $serve_pid once it answers
#   cli_track PID             a background process to kill at exit (the last started first)
#   cli_mount DIR [SIZE]      a tmpfs on DIR, unmounted at exit (as root; 1 when it could not)
# And what journeys (tests/journey/*.sh) share besides:
#   cli_journey NAME          cli_tmp NAME, cli_db NAME, SETPOST_DATABASE_URL exported to it
#   cli_site NAME ARGS...     a setpost of its own (a cart, a post house): database NAME_<pid>
#                             ($CLI_DB), `serve --data $tmp/NAME ARGS` ($url, $tmp/NAME.out/.log)
#   cli_post_house ARGS...    a post house: an age identity ($tmp/post.key, $recipient), cli_site
#                             post ARGS ($post, $POST_DB) and a post token for the cart
#                             ($post_token)
#   cli_worker PREFIX ARGS... `$bin worker ARGS` in the background, output added to PREFIX.out/.log;
#                             $worker_pid
#   cli_need_root WHAT        not root: WHAT is a skip ("needs root to mount tmpfs volumes"), exit 0
#   cli_need_tools WHAT TOOL... a tool missing: WHAT is a skip naming it, exit 0
#   cli_until SECONDS FILTER CMD...  runs CMD every 0.2 s until jq's FILTER holds on what it
#                             prints (kept in $got); 1 when SECONDS pass first
#   cli_hook FILE             a webhook receiver on loopback (tests/cli/hook_receiver.py): every
#                             POST body appended to FILE, one a line; $hook_port
#   cli_screenshot PAGE NAME  Chromium renders the file PAGE into tests/journey/artifacts/NAME
#                             (fails when it cannot)
#   cli_job_end ID            waits (60 s at most) until job ID on $url is done or dead; $got is
#                             the job as GET /api/v1/jobs/ID last answered ($SETPOST_TOKEN)
#   cli_offload_job JSON      POST /api/v1/offload-jobs JSON ($SETPOST_TOKEN), then cli_job_end;
#                             fails unless the job is done ($got, $tmp/worker.log's tail if not)
#   cli_idle                  waits (180 s at most) until the server at $url has no job queued or
#                             running (asked with $SETPOST_TOKEN); else fails naming them
top=${top:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
_cli_pids=()
_cli_mounts=()
_cli_dbs=()
_cli_tmps=()
cli_cleanup() {
	local p i
	if declare -F on_exit >/dev/null; then on_exit || true; fi
	for ((i = ${#_cli_pids[@]} - 1; i >= 0; i--)); do    # the last started stops first
		p=${_cli_pids[i]}
		# A killed process's status (143...) is no failure of the test (set -e holds here).
		kill "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }
	done
	for p in "${_cli_mounts[@]}"; do umount -l "$p" 2>/dev/null; done
	cd /    # a test may work inside $tmp: psql cannot start in a removed folder
	for p in "${_cli_tmps[@]}"; do rm -rf "$p"; done
	for p in "${_cli_dbs[@]}"; do
		psql -q "$SETPOST_TEST_PG" -c "DROP DATABASE IF EXISTS $p" >/dev/null 2>&1
	done
	return 0
}
cli_tmp() {
	tmp=$(mktemp -d "/tmp/sp-$1.XXXXXX")
	chmod 755 "$tmp"
	_cli_tmps+=("$tmp")
	trap cli_cleanup EXIT
}
cli_db() {
	psql -q "$SETPOST_TEST_PG" -c "CREATE DATABASE $1_$$" >/dev/null
	_cli_dbs+=("$1_$$")
	trap cli_cleanup EXIT
	CLI_DB="${SETPOST_TEST_PG/dbname=postgres/dbname=$1_$$}"
}
cli_track() { _cli_pids+=("$1"); }
cli_serve() {
	local out=$1
	shift
	"${bin:?}" serve --listen 127.0.0.1:0 "$@" >"$out.out" 2>"$out.log" &
	serve_pid=$!
	cli_track "$serve_pid"
	for _ in $(seq "${CLI_SERVE_WAIT:-100}"); do grep -qs "listening on" "$out.out" && break; sleep 0.1; done
	url=$(sed -n 's/.*listening on //p' "$out.out")
	[ -n "$url" ] || fail "setpost serve did not start: $(tail -n 5 "$out.log")"
}
cli_mount() {
	[ "$(id -u)" -eq 0 ] || return 1
	mkdir -p "$1"
	mount -t tmpfs -o "size=${2:-64m}" tmpfs "$1" || return 1
	_cli_mounts+=("$1")
}
cli_journey() {
	cli_tmp "$1"
	cli_db "$1"
	export SETPOST_DATABASE_URL=$CLI_DB
}
cli_site() {
	local name=$1
	shift
	cli_db "$name"
	SETPOST_DATABASE_URL=$CLI_DB cli_serve "$tmp/$name" --data "$tmp/$name" "$@"
}
cli_worker() {
	local out=$1
	shift
	"${bin:?}" worker "$@" >>"$out.out" 2>>"$out.log" &
	worker_pid=$!
	cli_track "$worker_pid"
}
cli_need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	skip "$1" "needs root to mount tmpfs volumes"
	exit 0
}
cli_need_tools() {
	local what=$1 t
	shift
	for t in "$@"; do
		command -v "$t" >/dev/null || { skip "$what" "$t is missing"; exit 0; }
	done
}
got=""
cli_until() {
	local secs=$1 filter=$2
	shift 2
	for _ in $(seq $((secs * 5))); do
		got=$("$@") || true
		jq -e "$filter" <<<"$got" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
# until_api SECONDS JQ-FILTER PATH: polls `api PATH` (the test's own function, with its server
# and token) until the filter answers true; the last answer is left in $got.
until_api() { cli_until "$1" "$2" api "$3"; }
cli_idle() {
	local busy='[.items[] | select(.state == "queued" or .state == "running")]'
	cli_until 180 "$busy | length == 0" \
		curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url/api/v1/jobs?limit=200" && return 0
	fail "jobs still running: $(jq -c "$busy | map([.kind, .state, .progress_text])" <<<"$got")"
}
cli_hook() {
	hook_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	: >"$1"
	python3 "$top/tests/cli/hook_receiver.py" "$hook_port" "$1" &
	cli_track $!
}
cli_post_house() {
	"${bin:?}" keygen -o "$tmp/post.key" 2>/dev/null
	recipient=$(sed -n 's/^# public key: //p' "$tmp/post.key")
	cli_site post --age-identity "$tmp/post.key" "$@"
	post=$url POST_DB=$CLI_DB
	post_token=$(SETPOST_DATABASE_URL=$POST_DB "$bin" token create --role post --name cart | tail -n 1)
}
cli_screenshot() {
	mkdir -p "$top/tests/journey/artifacts"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$tmp/chrome" --window-size=1280,1600 \
		--screenshot="$top/tests/journey/artifacts/$2" "file://$1" >"$tmp/chrome.log" 2>&1 ||
		fail "chromium: $(tail -3 "$tmp/chrome.log")"
	[ -s "$top/tests/journey/artifacts/$2" ] || fail "no screenshot"
}
cli_job_end() {
	cli_until 60 '.state == "done" or .state == "dead"' \
		curl -s -H "Authorization: Bearer $SETPOST_TOKEN" "$url/api/v1/jobs/$1" || true
}
cli_offload_job() {
	local job
	job=$(curl -s -H "Authorization: Bearer $SETPOST_TOKEN" -H "Content-Type: application/json" \
		-d "$1" "$url/api/v1/offload-jobs" | jq -r .job_id)
	[[ $job =~ ^[0-9]+$ ]] || fail "offload job queued: $job"
	cli_job_end "$job"
	[[ $(jq -r .state <<<"$got") == done ]] || fail "offload job: $got $(tail -n 5 "$tmp/worker.log" 2>/dev/null)"
}
