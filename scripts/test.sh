#!/bin/sh
# make test: unit tests, then end-to-end tests against a throwaway PostgreSQL cluster and the
# sanitizer build of setpost, then the command-line interop tests. Stops at the first failure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

T=$(mktemp -d /tmp/setpost-test.XXXXXX)
chmod 755 "$T"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
RUN=""
if [ "$(id -u)" -eq 0 ]; then
	RUN="runuser -u postgres --"
	mkdir -p "$T/pg" "$T/run" && chown postgres "$T/pg" "$T/run"
fi
cleanup() {
	$RUN "$PGBIN/pg_ctl" -D "$T/pg" -m immediate -w stop >/dev/null 2>&1 || true
	pkill -f "$T/" 2>/dev/null || true
	[ -n "${SETPOST_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

echo "== test cluster in $T"
$RUN "$PGBIN/initdb" -D "$T/pg" -U setpost --auth=trust --no-sync -E UTF8 --locale=C >"$T/initdb.log" 2>&1 ||
	{ cat "$T/initdb.log"; exit 1; }
$RUN "$PGBIN/pg_ctl" -D "$T/pg" -l "$T/pg/server.log" -w start \
	-o "-c listen_addresses='' -c unix_socket_directories='$T/run' -c fsync=off -c max_connections=300" >/dev/null

export SETPOST_TEST_PG="host=$T/run user=setpost dbname=postgres"
export SETPOST_TEST_TMP="$T"
export SETPOST_BIN="$top/build/setpost-asan"
export SETPOST_WEB="$top/web"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=66"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# A Criterion test that leaks (or trips a sanitizer) inside its own process, e.g. in a worker
# thread an e2e test runs, prints the report but may still pass: its output is read too.
run_criterion() {
	rc=0
	"$1" --jobs 2 >"$T/criterion.out" 2>&1 || rc=$?
	cat "$T/criterion.out"
	if grep -q "ERROR: LeakSanitizer\|ERROR: AddressSanitizer\|runtime error:" "$T/criterion.out"; then
		echo "$1: a sanitizer reported an error (above)" >&2
		exit 1
	fi
	[ "$rc" -eq 0 ] || exit "$rc"
}
for t in ${SETPOST_ONLY:-build/unit/test_*}; do
	[ -x "$t" ] || continue
	echo "== $t"
	run_criterion "$t"
done
for t in ${SETPOST_ONLY_E2E:-build/e2e/test_*}; do
	[ -x "$t" ] || continue
	echo "== $t"
	run_criterion "$t"
done
for t in ${SETPOST_ONLY_CLI:-tests/cli/*.sh}; do
	[ -f "$t" ] || continue
	echo "== $t"
	bash "$t" "$SETPOST_BIN"
done
echo "== all tests passed"
