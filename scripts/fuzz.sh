#!/bin/sh
# Runs the libFuzzer harnesses of tests/fuzz/ (built by make into build/fuzz/fuzz_<name>).
#   scripts/fuzz.sh SECONDS [NAME...]     each harness (or those named) for SECONDS
# make fuzz runs it with FUZZ_SECONDS (60); make test's fuzz stage with 10 (SETPOST_FUZZ_SECONDS)
# and a fixed seed (SETPOST_FUZZ_SEED, default 1 there): the same inputs in the same order on
# every run, so a pass or a failure of make test is repeatable; make fuzz explores at random.
# Two run at once (FUZZ_JOBS). Each starts from build/fuzz/corpus/<name> (the seeds make writes),
# its own growing corpus build/fuzz/work/<name>, and tests/fuzz/regress/<name> (inputs that once
# crashed it: all replayed first). A crash or a broken promise leaves its input in
# build/fuzz/crashes/<name>/ and the log in build/fuzz/log/<name>.log.
# With SETPOST_TEST_COUNTS set (scripts/test.sh) each harness is one counted check.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
secs=${1:?usage: scripts/fuzz.sh SECONDS [NAME...]}
shift
count() { [ -n "${SETPOST_TEST_COUNTS:-}" ] && echo "$1 fuzz_$2" >>"$SETPOST_TEST_COUNTS"; return 0; }

if [ "$secs" = --one ]; then
	# One harness (run through xargs below): NAME SECONDS.
	name=$1 secs=$2
	# A seeded run (make test) starts from an empty work corpus, as on a fresh CI machine: a
	# corpus grown by earlier runs here would make its verdict differ from CI's.
	work=build/fuzz/work/$name
	if [ -n "${SETPOST_FUZZ_SEED:-}" ]; then
		work=build/fuzz/work-seeded/$name
		rm -rf "$work"
	fi
	mkdir -p "$work" "build/fuzz/crashes/$name" "build/fuzz/corpus/$name"
	regress=""
	[ -d "tests/fuzz/regress/$name" ] && regress="tests/fuzz/regress/$name"
	rc=0
	ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
	"build/fuzz/fuzz_$name" -max_total_time="$secs" ${SETPOST_FUZZ_SEED:+-seed=$SETPOST_FUZZ_SEED} \
		-timeout=20 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="build/fuzz/crashes/$name/" \
		"$work" "build/fuzz/corpus/$name" $regress \
		>"build/fuzz/log/$name.log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build/fuzz/log/$name.log" | tail -n 1)
	corpus=$(ls "$work" | wc -l)
	if [ "$rc" -eq 0 ]; then
		echo "ok - fuzz_$name: ${runs:-0} runs in ${secs} s, no crash (corpus $corpus)"
		count pass "$name"
	else
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "build/fuzz/log/$name.log" | tail -n 1)
		echo "fuzz_$name: FAIL: exit $rc after ${runs:-?} runs; input: ${art:-none saved}; log: build/fuzz/log/$name.log" >&2
		grep -m 3 -E "ERROR: |runtime error:|fuzz_check failed" "build/fuzz/log/$name.log" >&2
		count fail "$name"
	fi
	exit "$rc"
fi

names=$*
if [ -z "$names" ]; then
	for b in build/fuzz/fuzz_*; do
		[ -x "$b" ] && names="$names ${b#build/fuzz/fuzz_}"
	done
fi
if ! command -v clang >/dev/null 2>&1; then
	# Nothing could be built: each harness is a skip (under CI a failure, like any skip).
	for src in tests/fuzz/fuzz_*.c; do
		n=$(basename "$src" .c)
		echo "skip - $n (clang is not installed: Debian packages clang libclang-rt-14-dev)"
		if [ -n "${CI:-}" ]; then count fail "${n#fuzz_}"; else count skip "${n#fuzz_}"; fi
	done
	[ -z "${CI:-}" ]
	exit
fi
missing=""
for src in tests/fuzz/fuzz_*.c; do
	n=$(basename "$src" .c)
	[ -x "build/fuzz/$n" ] && [ -d "build/fuzz/corpus/${n#fuzz_}" ] && continue
	echo "$n: FAIL: not built (make fuzz or make test build it)" >&2
	count fail "${n#fuzz_}"
	missing=y
done
[ -z "$missing" ] || exit 1
mkdir -p build/fuzz/log
# shellcheck disable=SC2086
printf '%s\n' $names | xargs -P "${FUZZ_JOBS:-2}" -I{} "$0" --one {} "$secs"
