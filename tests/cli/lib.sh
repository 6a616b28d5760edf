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
	for _ in $(seq 100); do grep -qs "listening on" "$out.out" && break; sleep 0.1; done
	url=$(sed -n 's/.*listening on //p' "$out.out")
	[ -n "$url" ] || fail "setpost serve did not start: $(tail -n 5 "$out.log")"
}
cli_mount() {
	[ "$(id -u)" -eq 0 ] || return 1
	mkdir -p "$1"
	mount -t tmpfs -o "size=${2:-64m}" tmpfs "$1" || return 1
	_cli_mounts+=("$1")
}

# until_api SECONDS JQ-FILTER PATH: polls GET PATH with the test's own `api` function (five times
# a second, for at most SECONDS) until the jq filter answers true; $got holds the last answer.
# Returns 1 when it never did.
got=""
until_api() {
	for _ in $(seq $(($1 * 5))); do
		got=$(api "$3")
		jq -e "$2" <<<"$got" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
