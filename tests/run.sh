#!/usr/bin/env bash
# tests/run.sh - every test, twice: what `make test` runs after the build.
#
#   1. unit          build/bin/check_unit (Check suites in tests/unit/)
#   2. integration   tests/integration/run.py: the real servers over TCP,
#                    driven by poplib, curl and raw sockets
#   3. the same two again on the sanitizer build (make BUILD=build/asan
#      SAN=1), with AddressSanitizer, LeakSanitizer and UBSan watching;
#      the integration harness fails a test whose server printed a report
#   4. fuzz         make fuzz-check: every libFuzzer target in fuzz/ replays
#                    its regressions and runs a fixed number of inputs
#   5. valgrind     tests/valgrind.py: the servers under memcheck for a
#                    few hundred sessions, no leaked memory or descriptors
#
# Each step ends with a line "<step>: N passed, N failed"; the last line is
# the sum, "N passed, N failed".  A step that crashes (or whose runner
# prints no counts) counts as one failure.  Exit status is non-zero if
# anything failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
make=${MAKE:-make}
python=${PYTHON:-python3}
logdir=$(mktemp -d "${TMPDIR:-/tmp}/maillab-tests.XXXXXX")
trap 'rm -rf "$logdir"' EXIT

total_passed=0
total_failed=0

# run_step NAME LOGNAME COMMAND... - run a test runner, echo its output, and
# take the counts from its last "...: N passed, N failed" line.
run_step() {
	local name=$1 log=$logdir/$2.log
	shift 2
	local status=0
	"$@" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
	local counts passed failed
	counts=$(grep -Eo '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
	if [[ -z $counts ]]; then
		echo "$name: runner printed no counts (exit status $status): counted as 1 failure"
		passed=0
		failed=1
	else
		counts=${counts#*: }
		passed=${counts%% passed*}
		failed=${counts#*passed, }
		failed=${failed%% failed*}
		if ((status != 0 && failed == 0)); then
			echo "$name: exit status $status with no test failed: counted as 1 failure"
			failed=1
		fi
	fi
	# check_unit already ends with exactly this line; say it only once.
	if [[ $(tail -n 1 "$log") != "$name: $passed passed, $failed failed" ]]; then
		echo "$name: $passed passed, $failed failed"
	fi
	total_passed=$((total_passed + passed))
	total_failed=$((total_failed + failed))
}

# Tests must not hang a CI run: every runner gets a generous time limit.
limit=(timeout --kill-after=10 900)

run_step unit unit "${limit[@]}" build/bin/check_unit
run_step integration integration env MAILLAB_BIN=build/bin \
	"${limit[@]}" "$python" tests/integration/run.py

# ---- the same under the sanitizers ----------------------------------------

echo "building the sanitizer variant into build/asan"
if "$make" --no-print-directory BUILD=build/asan SAN=1 all >"$logdir/asan-build.log" 2>&1; then
	# LeakSanitizer stops the process with ptrace to scan its memory; where
	# ptrace is forbidden (some containers) it cannot run at all and makes
	# every program fail.  Probe once with a tiny program that leaks
	# nothing: if LSan works here, leaks are checked; if not, they are
	# turned off (the ASan and UBSan checks still run) and we say so.
	leaks=1
	probe=build/asan/lsan-probe
	if printf 'int main(void){return 0;}\n' |
		"${CC:-cc}" -fsanitize=address -x c -o "$probe" - 2>/dev/null; then
		if ! ASAN_OPTIONS=detect_leaks=1 "$probe" >"$logdir/lsan-probe.log" 2>&1; then
			leaks=0
			echo "LeakSanitizer cannot run here ($(head -n 1 "$logdir/lsan-probe.log")); leak checks off"
		fi
	fi
	export ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=0
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	run_step unit-asan unit-asan "${limit[@]}" build/asan/bin/check_unit
	run_step integration-asan integration-asan env MAILLAB_BIN=build/asan/bin \
		"${limit[@]}" "$python" tests/integration/run.py --label integration-asan
else
	tail -n 40 "$logdir/asan-build.log"
	echo "asan-build: 0 passed, 1 failed"
	total_failed=$((total_failed + 1))
fi

# ---- fuzzing and memcheck (docs/robustness.md) ----------------------------

run_step fuzz fuzz "${limit[@]}" "$make" --no-print-directory fuzz-check
run_step valgrind valgrind env MAILLAB_BIN=build/bin "${limit[@]}" "$python" tests/valgrind.py

echo "$total_passed passed, $total_failed failed"
((total_failed == 0))
