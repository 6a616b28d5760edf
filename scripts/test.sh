#!/bin/sh
# make test: unit tests, then end-to-end tests against a throwaway PostgreSQL cluster and the
# sanitizer build of setpost, then the command-line and browser tests.
#   scripts/test.sh [unit] [e2e] [cli] [journey] [fuzz] [bench]   (the stages to run; make test runs all)
# Every test program runs even after one fails, so the closing line counts them all:
#   tests: N passed, N failed, N skipped
# (Criterion's own counts for unit/e2e, the ok/skip/fail lines of tests/cli/lib.sh for cli.)
# SETPOST_ONLY, SETPOST_ONLY_E2E, SETPOST_ONLY_CLI narrow a stage to the files given.
# fuzz: each libFuzzer harness for SETPOST_FUZZ_SECONDS (10), its saved crashes replayed first
# (scripts/fuzz.sh; one check per harness).
# bench: every bench/*.sh at its smallest size (SETPOST_BENCH_SMOKE=1), one check each: it
# completes and prints its ratio (or target) lines; SETPOST_ONLY_BENCH narrows it,
# SETPOST_BENCH_BIN picks the binary (default the sanitizer build).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
stages=${*:-unit e2e cli journey fuzz bench}

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
export SETPOST_TEST_COUNTS="$T/counts"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=66"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
: >"$SETPOST_TEST_COUNTS"
failed_programs=""

# A Criterion program's counts, from its closing "Synthesis: Tested: N | Passing: N | Failing: N
# | Crashing: N" line; a program that died before printing it counts as one failure.
criterion_counts() {
	line=$(grep -a "Synthesis: Tested:" "$T/criterion.out" | tail -n 1 | sed 's/\x1b\[[0-9;]*m//g')
	if [ -z "$line" ]; then echo "fail $1" >>"$SETPOST_TEST_COUNTS"; return; fi
	pass=$(echo "$line" | sed -n 's/.*Passing: *\([0-9]*\).*/\1/p')
	bad=$(echo "$line" | sed -n 's/.*Failing: *\([0-9]*\).*Crashing: *\([0-9]*\).*/\1 \2/p')
	i=0; while [ "$i" -lt "${pass:-0}" ]; do echo "pass $1"; i=$((i + 1)); done >>"$SETPOST_TEST_COUNTS"
	for b in $bad; do i=0; while [ "$i" -lt "$b" ]; do echo "fail $1"; i=$((i + 1)); done; done >>"$SETPOST_TEST_COUNTS"
}

# A Criterion test that leaks (or trips a sanitizer) inside its own process, e.g. in a worker
# thread an e2e test runs, prints the report but may still pass: its output is read too.
run_criterion() {
	rc=0
	"$1" --jobs 2 >"$T/criterion.out" 2>&1 || rc=$?
	cat "$T/criterion.out"
	criterion_counts "$(basename "$1")"
	if grep -q "ERROR: LeakSanitizer\|ERROR: AddressSanitizer\|runtime error:" "$T/criterion.out"; then
		echo "$1: a sanitizer reported an error (above)" >&2
		echo "fail $(basename "$1")" >>"$SETPOST_TEST_COUNTS"
		rc=1
	fi
	[ "$rc" -eq 0 ] || failed_programs="$failed_programs $1"
}
for stage in $stages; do
	case $stage in
	unit)
		for t in ${SETPOST_ONLY:-build/unit/test_*}; do
			# A program whose source is gone (a stale build) is not a test any more.
			[ -x "$t" ] && [ -f "tests/unit/$(basename "$t").c" ] || continue
			echo "== $t"
			run_criterion "$t"
		done ;;
	e2e)
		for t in ${SETPOST_ONLY_E2E:-build/e2e/test_*}; do
			[ -x "$t" ] && [ -f "tests/e2e/$(basename "$t").c" ] || continue
			echo "== $t"
			run_criterion "$t"
		done ;;
	cli|journey)
		if [ "$stage" = cli ]; then list=${SETPOST_ONLY_CLI:-tests/cli/*.sh}; else list=${SETPOST_ONLY_JOURNEY:-tests/journey/*.sh}; fi
		for t in $list; do
			[ -f "$t" ] || continue
			[ "$(basename "$t")" = lib.sh ] && continue
			echo "== $t"
			before=$(grep -c "^fail" "$SETPOST_TEST_COUNTS" || true)
			if ! bash "$t" "$SETPOST_BIN"; then
				failed_programs="$failed_programs $t"
				# A script that stopped without its fail() (set -e, a crash) is one failure.
				after=$(grep -c "^fail" "$SETPOST_TEST_COUNTS" || true)
				[ "$after" -gt "$before" ] || echo "fail $(basename "$t")" >>"$SETPOST_TEST_COUNTS"
			fi
		done ;;
	bench)
		for t in ${SETPOST_ONLY_BENCH:-bench/*.sh}; do
			[ "$(basename "$t")" = common.sh ] && continue
			echo "== $t (smoke)"
			rc=0
			SETPOST_BENCH_SMOKE=1 SETPOST_BENCH_DIR="$T/bench" bash "$t" "${SETPOST_BENCH_BIN:-$SETPOST_BIN}" \
				>"$T/bench.out" 2>&1 || rc=$?
			grep "^== load\|^ratio \|^target " "$T/bench.out" || true
			if [ "$rc" -eq 0 ] && grep -q "^ratio \|^target " "$T/bench.out"; then
				echo "pass $(basename "$t")" >>"$SETPOST_TEST_COUNTS"
			else
				tail -n 20 "$T/bench.out"
				echo "$t: did not complete with its ratio lines (exit $rc)" >&2
				echo "fail $(basename "$t")" >>"$SETPOST_TEST_COUNTS"
				failed_programs="$failed_programs $t"
			fi
		done ;;
	fuzz)
		echo "== fuzz: each harness for ${SETPOST_FUZZ_SECONDS:-10} s (scripts/fuzz.sh)"
		SETPOST_FUZZ_SEED=${SETPOST_FUZZ_SEED:-1} scripts/fuzz.sh "${SETPOST_FUZZ_SECONDS:-10}" ||
			failed_programs="$failed_programs scripts/fuzz.sh" ;;
	*) echo "scripts/test.sh: unknown stage '$stage' (unit, e2e, cli, journey, fuzz, bench)" >&2; exit 2 ;;
	esac
done

count() { grep -c "^$1" "$SETPOST_TEST_COUNTS" || true; }
skipped=$(grep "^skip" "$SETPOST_TEST_COUNTS" | cut -d' ' -f2- | sort | uniq -c | sed 's/^ */ /' | tr '\n' ';' || true)
[ -n "$skipped" ] && echo "== skipped checks by program:$skipped"
[ -n "$failed_programs" ] && echo "== failed:$failed_programs"
echo "tests: $(count pass) passed, $(count fail) failed, $(count skip) skipped"
[ -z "$failed_programs" ] && [ "$(count fail)" -eq 0 ]
