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
