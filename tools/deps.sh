#!/usr/bin/env bash
# deps.sh MODE - make sure the Debian packages maillab needs are installed.
#
#   MODE=run   what building and running the servers needs
#   MODE=test  that, plus what the tests need (Check, Python 3, curl, and
#              the third-party peers mailsh is tested against: Dovecot,
#              aiosmtpd; Postfix for the smtp-source that make bench's
#              smoke run uses, installed with debconf's "No configuration"
#              so that it runs no server), and what make slides, make docs and their tests
#              use (doxygen, graphviz, pandoc, npm, chromium, pdfinfo, groff),
#              and the robustness tools: clang with libFuzzer and the
#              sanitizer runtimes (libclang-rt-14-dev carries libFuzzer in
#              Debian 12; libfuzzer-14-dev only adds its headers), strace
#              for the durability order tests, valgrind for memcheck
#   MODE=bench that, plus what `make bench` compares with and draws with:
#              Dovecot and Postfix (started as throwaway peers, never as
#              system services: Postfix is installed with debconf's "No
#              configuration"), gnuplot, and perf for profiling
#
# Silent when everything is there.  As root, missing packages are installed
# with apt-get (running `apt-get update` only if the first try fails, e.g.
# on a fresh machine with no package lists); otherwise the script says what
# to install and exits 1.
set -euo pipefail

mode=${1:-}
run_pkgs=(gcc make pkg-config libssl-dev libcrypt-dev openssl libreadline-dev)
test_pkgs=(check python3 curl swaks libnet-ssleay-perl
	dovecot-imapd dovecot-pop3d python3-aiosmtpd isync tshark
	doxygen graphviz pandoc chromium poppler-utils groff-base
	clang libclang-rt-14-dev strace valgrind postfix)
# make slides fetches reveal.js with npm; a machine with Node.js from
# elsewhere already has npm, a plain Debian one needs the package.
command -v npm >/dev/null 2>&1 || test_pkgs+=(npm)
bench_pkgs=(python3 openssl dovecot-imapd dovecot-pop3d postfix gnuplot-nox
	linux-perf)

case $mode in
run) wanted=("${run_pkgs[@]}") ;;
test) wanted=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
bench) wanted=("${run_pkgs[@]}" "${bench_pkgs[@]}") ;;
*)
	echo "usage: $0 run|test|bench" >&2
	exit 2
	;;
esac

missing=()
for pkg in "${wanted[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	if [[ $status != installed ]]; then
		missing+=("$pkg")
	fi
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

if ((EUID != 0)); then
	echo "maillab needs these Debian packages: ${missing[*]}" >&2
	echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# make bench runs its own Postfix on a loopback port; the package must not
# configure and start one on port 25.
if [[ " ${missing[*]} " == *" postfix "* ]]; then
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections
fi
# tshark (the capture in lab 06's test) asks whether non-root users may
# capture; answer "no" instead of waiting for a terminal.
if [[ " ${missing[*]} " == *" tshark "* ]]; then
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections
fi
install=(apt-get install -y --no-install-recommends "${missing[@]}")
if ! "${install[@]}"; then
	# Usually a machine that never fetched its package lists.
	apt-get update
	"${install[@]}"
fi
