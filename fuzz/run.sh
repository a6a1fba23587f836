#!/usr/bin/env bash
# fuzz/run.sh - run the libFuzzer targets built by `make fuzz-build`.
#
#   fuzz/run.sh --bin DIR --runs N     [NAME...]   fixed executions (make test)
#   fuzz/run.sh --bin DIR --seconds S  [NAME...]   S seconds each (make fuzz)
#
# For every target NAME (fuzz/fuzz_NAME.c; all of them if none is named):
#
#   1. each input in fuzz/regress/NAME/ is run once: these are inputs that
#      once crashed a target or broke one of its checks, kept so the bug
#      can never come back unnoticed;
#   2. the target runs from its seeds - fuzz/corpus/NAME/, plus, for the
#      protocol targets and the session-file parser, what the labs'
#      session files (labs/*/*.session) hold - with the dictionary of
#      its protocol (fuzz/dict/), for N executions with a fixed seed
#      (the same inputs every time), or for S seconds.
#
# With --seconds the corpus grows in build/fuzz/corpus/NAME and is used
# again next time.  Anything a run finds is saved in build/fuzz/crashes/
# (the path is printed): put it into fuzz/regress/NAME/ once it is fixed.
#
# The last line is "fuzz: N passed, N failed" (one count per target), the
# line tests/run.sh reads; build/fuzz/last-run.txt keeps the executions
# and time of each target for docs/robustness.md.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=build/fuzz/bin
runs=
seconds=
names=()
while (($#)); do
	case $1 in
	--bin) bin=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	-*) echo "usage: $0 --bin DIR (--runs N | --seconds S) [NAME...]" >&2; exit 2 ;;
	*) names+=("$1"); shift ;;
	esac
done
if [[ -z $runs && -z $seconds ]]; then
	echo "$0: give --runs N or --seconds S" >&2
	exit 2
fi
if ((${#names[@]} == 0)); then
	for f in fuzz/fuzz_*.c; do
		n=${f#fuzz/fuzz_}
		names+=("${n%.c}")
	done
fi

out=build/fuzz
work=$(mktemp -d "${TMPDIR:-/tmp}/maillab-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/crashes" "$out/corpus"
summary=$out/last-run.txt
printf '# target\texecutions\tseconds\tresult\n' >"$summary"

# dict NAME - the dictionary of a target's protocol.
dict() {
	case $1 in
	smtp_*) echo fuzz/dict/smtp.dict ;;
	pop3_*) echo fuzz/dict/pop3.dict ;;
	imap_parser | imap_search) echo fuzz/dict/imap.dict ;;
	imap_mime) echo fuzz/dict/mime.dict ;;
	imap_mutf7) echo fuzz/dict/mutf7.dict ;;
	maildir_*) echo fuzz/dict/maildir.dict ;;
	sessfile) echo fuzz/dict/sessfile.dict ;;
	users_*) echo fuzz/dict/users.dict ;;
	esac
}

# session_seeds NAME DIR - seeds made from the labs' session files: the
# files themselves for the parser, the client lines of one protocol
# (CRLF-ended, after the port byte the target reads first) for a core.
session_seeds() {
	local name=$1 dir=$2 proto= prefix=
	case $name in
	sessfile) cp labs/*/*.session "$dir"/ 2>/dev/null; return ;;
	smtp_session) proto=smtp prefix='\x00' ;;
	pop3_core) proto=pop3 prefix='\x00' ;;
	imap_parser) proto=imap ;;
	*) return ;;
	esac
	local f i=0
	for f in labs/*/*.session; do
		[[ -f $f ]] || continue
		grep -q "^protocol: $proto\$" "$f" || continue
		{
			printf "$prefix"
			sed -n 's/^C: \(.*\)$/\1\r/p' "$f"
		} >"$dir/session-$((i++))"
	done
}

passed=0
failed=0
for name in "${names[@]}"; do
	exe=$bin/fuzz_$name
	if [[ ! -x $exe ]]; then
		echo "fuzz $name: $exe is not built (make fuzz-build)"
		failed=$((failed + 1))
		continue
	fi
	ok=1
	log=$work/$name.log
	# 1. the regressions, each once
	regress=(fuzz/regress/"$name"/*)
	if [[ -e ${regress[0]} ]]; then
		if ! "$exe" "${regress[@]}" >"$log" 2>&1; then
			tail -n 30 "$log"
			echo "fuzz $name: a regression input fails again"
			ok=0
		fi
	fi
	# 2. the run from the seeds
	seeds=$work/seeds-$name
	mkdir -p "$seeds"
	session_seeds "$name" "$seeds"
	args=(-timeout=10 -rss_limit_mb=2560 -max_len=16384 -print_final_stats=1
		-artifact_prefix="$out/crashes/$name-" -dict="$(dict "$name")")
	if [[ -n $runs ]]; then
		corpus=$work/corpus-$name
		args+=(-runs="$runs" -seed=1)
	else
		corpus=$out/corpus/$name
		args+=(-max_total_time="$seconds")
	fi
	mkdir -p "$corpus"
	start=$(date +%s)
	if ((ok)) && ! "$exe" "${args[@]}" "$corpus" "$seeds" \
		"fuzz/corpus/$name" >"$log" 2>&1; then
		grep -E 'ERROR|promise broken|SUMMARY|Test unit written' "$log" | head -n 20
		echo "fuzz $name: found a problem (input saved in $out/crashes/)"
		ok=0
	fi
	took=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	execs=${execs:-0}
	if ((ok)); then
		echo "fuzz $name: $execs executions in ${took}s, ok"
		passed=$((passed + 1))
		printf '%s\t%s\t%s\tok\n' "$name" "$execs" "$took" >>"$summary"
	else
		failed=$((failed + 1))
		printf '%s\t%s\t%s\tFAILED\n' "$name" "$execs" "$took" >>"$summary"
	fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
