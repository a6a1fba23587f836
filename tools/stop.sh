#!/usr/bin/env bash
# stop.sh DATA - stop the servers that `make run` (tools/run.sh) started.
#
# Each running server has DATA/run/NAME.pid.  For each one: SIGTERM (the
# servers then stop accepting, end their sessions and exit), wait up to 5
# seconds, SIGKILL if it is still there; then the pid file is removed.
# A pid file whose process is gone, or is now some other program, is just
# removed: a pid may have been reused since.
set -euo pipefail

if (($# != 1)); then
	echo "usage: $0 DATA" >&2
	exit 2
fi
rundir=$1/run

# True if PID is alive and is the program NAME (not a reused pid).  A
# zombie (exited, not yet reaped by run.sh) counts as gone.
is_server() {
	local pid=$1 name=$2 comm stat
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ $comm == "$name" && ${stat:0:1} != Z ]]
}

stopped=0
shopt -s nullglob
for pidfile in "$rundir"/*.pid; do
	name=$(basename "$pidfile" .pid)
	pid=$(tr -dc '0-9' <"$pidfile")
	if [[ -z $pid ]] || ! is_server "$pid" "$name"; then
		echo "stop: $name was not running (removed stale $pidfile)"
		rm -f "$pidfile"
		continue
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		is_server "$pid" "$name" || break
		sleep 0.1
	done
	if is_server "$pid" "$name"; then
		kill -KILL "$pid" 2>/dev/null || true
		echo "stop: $name (pid $pid) did not exit within 5 s; killed it"
	else
		echo "stop: stopped $name (pid $pid)"
	fi
	rm -f "$pidfile"
	stopped=$((stopped + 1))
done

if ((stopped == 0)); then
	echo "stop: no maillab servers were running"
fi
