#!/usr/bin/env bash
# deps.sh MODE - make sure the Debian packages maillab needs are installed.
#
#   MODE=run   what building and running the servers needs
#   MODE=test  that, plus what the tests need (Check, Python 3, curl, and
#              the third-party peers mailsh is tested against: Dovecot,
#              aiosmtpd)
#
# Silent when everything is there.  As root, missing packages are installed
# with apt-get (running `apt-get update` only if the first try fails, e.g.
# on a fresh machine with no package lists); otherwise the script says what
# to install and exits 1.
set -euo pipefail

mode=${1:-}
run_pkgs=(gcc make pkg-config libssl-dev libcrypt-dev openssl libreadline-dev)
test_pkgs=(check python3 curl swaks libnet-ssleay-perl
	dovecot-imapd dovecot-pop3d python3-aiosmtpd isync)

case $mode in
run) wanted=("${run_pkgs[@]}") ;;
test) wanted=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
*)
	echo "usage: $0 run|test" >&2
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
install=(apt-get install -y --no-install-recommends "${missing[@]}")
if ! "${install[@]}"; then
	# Usually a machine that never fetched its package lists.
	apt-get update
	"${install[@]}"
fi
