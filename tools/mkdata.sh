#!/usr/bin/env bash
# mkdata.sh DATA BINDIR - set up a lab data directory, once.
#
#   DATA/users                   alice (SHA512-CRYPT) and bob ({PLAIN}, for
#                                the APOP and CRAM-MD5 labs)
#   DATA/mail/NAME/Maildir       demo mail from tools/demo-mail/NAME-*.eml
#   DATA/tls/{ca,server}.{pem,key}  the lab CA and the server certificate
#   DATA/run/                    pid files of running servers
#   DATA/log/                    logs
#
# Users and mail are created only if DATA/users does not exist yet, so a
# second run keeps whatever the class did to the mailboxes.  They are built
# in a scratch directory first and moved in with `users` last: an
# interrupted run leaves no half-made data directory behind.
set -euo pipefail

if (($# != 2)); then
	echo "usage: $0 DATA BINDIR" >&2
	exit 2
fi
data=$1
bindir=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

mkdir -p "$data/run" "$data/log"
"$here/mkcerts.sh" "$data/tls"

if [[ -e $data/users ]]; then
	exit 0
fi

mailctl=$bindir/mailctl
if [[ ! -x $mailctl ]]; then
	echo "mkdata: $mailctl not found (run make first)" >&2
	exit 1
fi

stage=$(mktemp -d "$data/.mkdata.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# mailctl's own messages name the scratch directory: keep them quiet.
"$mailctl" -d "$stage" useradd alice wonderland >/dev/null
"$mailctl" -d "$stage" useradd bob builder --plain >/dev/null

shopt -s nullglob
for eml in "$here"/demo-mail/*.eml; do
	base=$(basename "$eml")
	user=${base%%-*}
	"$mailctl" -d "$stage" deliver "$user" <"$eml" >/dev/null
done

if [[ -d $stage/mail ]]; then
	mkdir -p "$data/mail"
	for userdir in "$stage"/mail/*; do
		name=$(basename "$userdir")
		if [[ -e $data/mail/$name ]]; then
			echo "mkdata: keeping the existing $data/mail/$name" >&2
		else
			mv "$userdir" "$data/mail/"
		fi
	done
fi
mv "$stage/users" "$data/users"
echo "mkdata: created $data: users alice and bob, demo mail, lab CA in $data/tls"
