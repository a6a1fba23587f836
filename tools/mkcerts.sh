#!/usr/bin/env bash
# mkcerts.sh DIR - make the lab's own certificate authority and a server
# certificate for localhost, with the openssl command-line tool.
#
#   DIR/ca.key      CA private key (0600)
#   DIR/ca.pem      "maillab lab CA", self-signed, 10 years, CA:TRUE
#   DIR/server.key  server private key (0600)
#   DIR/server.pem  CN=localhost, SAN DNS:localhost IP:127.0.0.1 IP:::1,
#                   serverAuth, 825 days (the most Apple's clients accept),
#                   signed by the CA
#
# Clients trust the lab by being given ca.pem (curl --cacert, openssl
# s_client -CAfile, Python's ssl cafile=), never by turning checks off.
# Keys are EC P-256: quick to make and accepted everywhere.
# Idempotent: if DIR/server.pem exists nothing is done.
set -euo pipefail

if (($# != 1)); then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1
if [[ -e $dir/server.pem ]]; then
	exit 0
fi
mkdir -p "$dir"

work=$(mktemp -d "$dir/.mkcerts.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Keys are created with a umask that keeps them private from the start.
(
	umask 077
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$work/ca.key" 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$work/server.key" 2>/dev/null
)

openssl req -new -x509 -key "$work/ca.key" -sha256 -days 3650 \
	-subj "/O=maillab/CN=maillab lab CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" \
	-addext "subjectKeyIdentifier=hash" \
	-out "$work/ca.pem"

openssl req -new -key "$work/server.key" -subj "/O=maillab/CN=localhost" \
	-out "$work/server.csr"

cat >"$work/server.ext" <<'EXT'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT

openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" \
	-CAkey "$work/ca.key" -CAcreateserial -days 825 -sha256 \
	-extfile "$work/server.ext" -out "$work/server.pem" 2>/dev/null

chmod 0600 "$work/ca.key" "$work/server.key"
chmod 0644 "$work/ca.pem" "$work/server.pem"
# server.pem last: its presence means the set is complete.
mv "$work/ca.key" "$work/ca.pem" "$work/server.key" "$dir/"
mv "$work/server.pem" "$dir/"
