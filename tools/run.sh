#!/usr/bin/env bash
# run.sh DATA BINDIR - what `make run` does: set up DATA (tools/mkdata.sh),
# start every maillab server found in BINDIR on the lab ports, print how to
# connect, and wait.  The servers' trace goes to this terminal (stderr), to
# be projected next to the shell.  Ctrl-C here, SIGTERM, or `make stop` in
# another terminal stops them all.
set -euo pipefail

if (($# != 2)); then
	echo "usage: $0 DATA BINDIR" >&2
	exit 2
fi
data=$1
bindir=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# The servers: name, then its listening ports as PORT:MODE (plain,
# starttls, tls).  Lab ports are the standard ones plus 10000.  A server
# whose binary is not in BINDIR is skipped.
servers=(
	"pop3d 10110:starttls 10995:tls"
	"smtpd 10025:starttls:mx 10587:starttls:submission 10465:tls:submission"
	"imapd 10143:starttls 10993:tls"
)

"$here/mkdata.sh" "$data" "$bindir"

# True once every PORT of a started server is listening (read from
# /proc/net/tcp*, state 0A = LISTEN, so probing adds no session to the
# trace).
listening() {
	local port hex
	for port in "$@"; do
		printf -v hex ':%04X ' "$port"
		grep -q "${hex}[0-9A-F:]* 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null ||
			return 1
	done
}

# How to reach one server, printed once it is up.
howto() {
	local ca=$data/tls/ca.pem
	case $1 in
	pop3d)
		cat <<-TXT
		POP3  10110 (like 110, STLS)  10995 (like 995, implicit TLS)
		  curl pop3://alice:wonderland@127.0.0.1:10110/
		  curl --ssl-reqd --cacert $ca pop3://alice:wonderland@127.0.0.1:10110/1
		  curl --cacert $ca pop3s://alice:wonderland@127.0.0.1:10995/
		  openssl s_client -connect 127.0.0.1:10995 -CAfile $ca
		  openssl s_client -connect 127.0.0.1:10110 -starttls pop3 -CAfile $ca
		  python3 -c 'import poplib; p = poplib.POP3("127.0.0.1", 10110); p.user("alice"); p.pass_("wonderland"); print(p.list()); p.quit()'
		TXT
		;;
	smtpd)
		cat <<-TXT
		SMTP  10025 (like 25: MX, mail for maillab.test)  10587 (like 587: submission, STARTTLS + AUTH)
		      10465 (like 465: submission over implicit TLS)
		  swaks --server 127.0.0.1:10025 --from carol@example.org --to alice@maillab.test
		  swaks --server 127.0.0.1:10587 --tls --tls-ca-path $ca --auth PLAIN --auth-user alice --auth-password wonderland --from alice@maillab.test --to bob@maillab.test
		  curl --ssl-reqd --cacert $ca -u alice:wonderland --mail-from alice@maillab.test --mail-rcpt bob@maillab.test -T message.eml smtp://localhost:10587
		  curl --cacert $ca -u bob:builder --mail-from bob@maillab.test --mail-rcpt alice@maillab.test -T message.eml smtps://localhost:10465
		  python3 -c 'import smtplib; s = smtplib.SMTP("127.0.0.1", 10025); s.sendmail("carol@example.org", ["alice@maillab.test"], "Subject: hi\n\nhello\n"); s.quit()'
		  openssl s_client -connect 127.0.0.1:10587 -starttls smtp -CAfile $ca
		  relaying to other domains: routes in $data/routes ("domain host:port", see docs/smtpd.md)
		TXT
		;;
	imapd)
		cat <<-TXT
		IMAP  10143 (like 143, STARTTLS)  10993 (like 993, implicit TLS)
		  curl imap://alice:wonderland@127.0.0.1:10143/                 (list mailboxes)
		  curl imap://alice:wonderland@127.0.0.1:10143/INBOX/\;UID=1     (fetch message UID 1)
		  curl --ssl-reqd --cacert $ca "imap://alice:wonderland@localhost:10143/INBOX?SUBJECT%20hello"
		  curl --cacert $ca imaps://alice:wonderland@localhost:10993/INBOX/\;UID=1
		  openssl s_client -connect 127.0.0.1:10993 -CAfile $ca -crlf
		  openssl s_client -connect 127.0.0.1:10143 -starttls imap -CAfile $ca -crlf
		  python3 -c 'import imaplib; m = imaplib.IMAP4("127.0.0.1", 10143); m.login("alice", "wonderland"); print(m.select()); print(m.fetch("1", "(ENVELOPE)"))'
		  nc -C 127.0.0.1 10143   (and type: a LOGIN alice wonderland, b SELECT INBOX, c FETCH 1 BODY[], d LOGOUT)
		TXT
		;;
	esac
}

declare -A pid_of=()   # server name -> pid
declare -A name_of=()  # pid -> server name
stopping=0

# Called from the traps below (shellcheck cannot see that).
# shellcheck disable=SC2317
stop_all() {
	((stopping)) && return
	stopping=1
	if ((${#pid_of[@]})); then
		"$here/stop.sh" "$data" || true
		wait || true
	fi
}
trap 'stop_all; exit 0' INT TERM
trap 'stop_all' EXIT

for entry in "${servers[@]}"; do
	read -r -a words <<<"$entry"
	name=${words[0]}
	ports=("${words[@]:1}")
	[[ -x $bindir/$name ]] || continue
	pidfile=$data/run/$name.pid
	if [[ -s $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
		echo "run: $name is already running (pid $(cat "$pidfile")); use make stop first" >&2
		exit 1
	fi
	args=(-d "$data")
	nums=()
	for p in "${ports[@]}"; do
		args+=(--listen "$p")
		nums+=("${p%%:*}")
	done
	for n in "${nums[@]}"; do
		if listening "$n"; then
			echo "run: port $n is already in use (another make run?)" >&2
			exit 1
		fi
	done
	"$bindir/$name" "${args[@]}" &
	pid=$!
	echo "$pid" >"$pidfile"
	pid_of[$name]=$pid
	name_of[$pid]=$name
	for _ in $(seq 100); do
		listening "${nums[@]}" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! kill -0 "$pid" 2>/dev/null || ! listening "${nums[@]}"; then
		echo "run: $name did not start listening on ${nums[*]}" >&2
		exit 1
	fi
done

if ((${#pid_of[@]} == 0)); then
	echo "run: no servers found in $bindir (run make first)" >&2
	exit 1
fi

echo
echo "maillab is running: ${!pid_of[*]}  (data in $data)"
echo
for name in "${!pid_of[@]}"; do
	howto "$name"
	echo
done
cat <<TXT
Users  alice / wonderland  (stored as SHA512-CRYPT)
       bob   / builder     (stored as plaintext: for APOP and CRAM-MD5)
Lab CA $data/tls/ca.pem

Ctrl-C here, or 'make stop' elsewhere, stops the servers.  Trace follows.
TXT

# Wait until every server has exited.  One that exits on its own (crash,
# `make stop`) is reported; the others keep running.
failed=0
while ((${#name_of[@]})); do
	set +e
	wait -n -p done_pid
	status=$?
	set -e
	[[ -n ${done_pid:-} ]] || continue
	name=${name_of[$done_pid]:-?}
	unset "name_of[$done_pid]" "pid_of[$name]"
	rm -f "$data/run/$name.pid"
	echo "run: $name exited (status $status)" >&2
	((status == 0)) || failed=1
	done_pid=
done
exit "$failed"
