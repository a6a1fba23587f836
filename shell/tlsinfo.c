/*
 * tlsinfo.c - what a learner sees after every TLS handshake: the
 * protocol version and cipher, the server's certificate (subject, issuer,
 * the names it is valid for, its validity period, its fingerprint), and
 * whether it verified, in plain words.
 *
 * RFC 8314 §3.4 / RFC 6125: a client must check that the certificate
 * chains to a CA it trusts and names the host it meant to reach; mailsh
 * shows the outcome and closes on failure unless --insecure says to go
 * on, and then it says loudly what that means.
 *
 * With --keylog FILE (or SSLKEYLOGFILE in the environment, as curl and
 * browsers honour it) the session keys are written in the format
 * Wireshark reads, and the tshark command that decrypts a capture of this
 * very connection is printed: the port/TLS demonstrations need exactly
 * that.
 */
#include "shell.h"

#include "../common/tls.h"

#include <stdlib.h>
#include <string.h>

/* verdict_words - the verification result for a learner. */
static void verdict_words(const struct tls_peer_info *p, const char *host,
			  char *out, size_t size)
{
	switch (p->verdict) {
	case TLS_VERIFY_OK:
		snprintf(out, size, "ok: signed by a CA you trust, valid now, "
			 "and issued for %s", host);
		break;
	case TLS_VERIFY_SELF_SIGNED:
		snprintf(out, size, "self-signed: the certificate vouches for "
			 "itself, so nothing proves who the server is");
		break;
	case TLS_VERIFY_EXPIRED:
		snprintf(out, size, "expired: the certificate was valid only "
			 "until %s", p->not_after);
		break;
	case TLS_VERIFY_NOT_YET_VALID:
		snprintf(out, size, "not yet valid: the certificate starts on %s",
			 p->not_before);
		break;
	case TLS_VERIFY_NAME_MISMATCH:
		snprintf(out, size, "name mismatch: the certificate is not for "
			 "%s (it names %s)", host, p->sans[0] ? p->sans : "no host");
		break;
	case TLS_VERIFY_UNKNOWN_CA:
		snprintf(out, size, "unknown CA: signed by an authority you do "
			 "not trust (give its certificate with --cafile)");
		break;
	case TLS_VERIFY_NO_CERTIFICATE:
		snprintf(out, size, "no certificate: the server did not say "
			 "who it is");
		break;
	case TLS_VERIFY_OTHER:
		snprintf(out, size, "failed: %s", p->verify_text);
		break;
	}
}

int tlsinfo_show(struct shell *sh)
{
	struct tls_peer_info p;
	char words[1024];
	tls_peer_info(netio_tls(sh->conn->io), &p);
	verdict_words(&p, sh->conn->url.host, words, sizeof(words));
	out_info(sh, "TLS %s, cipher %s", p.version, p.cipher);
	if (p.verdict != TLS_VERIFY_NO_CERTIFICATE)
		fprintf(sh->out, "   certificate  subject %s\n"
			"                issuer  %s\n"
			"                names   %s\n"
			"                valid   %s to %s\n"
			"                sha256  %s\n",
			p.subject, p.issuer, p.sans[0] ? p.sans : "(none)",
			p.not_before, p.not_after, p.sha256);
	const char *role = p.verdict == TLS_VERIFY_OK ? "ok" : "err";
	fprintf(sh->out, "   verified     %s%s%s\n", out_colour(sh, role), words,
		out_colour(sh, "reset"));
	tlsinfo_tshark_hint(sh);
	if (p.verdict == TLS_VERIFY_OK)
		return 0;
	if (sh->opts.insecure) {
		out_warn(sh, "--insecure: going on with a certificate that did "
			 "NOT verify.  Anyone between you and %s can read and "
			 "change this whole session, passwords included.",
			 sh->conn->url.host);
		return 0;
	}
	out_error(sh, "the certificate is not trusted: closing.  Trust a lab "
		  "CA with --cafile FILE, or go on anyway with --insecure.");
	return -1;
}

void tlsinfo_tshark_hint(struct shell *sh)
{
	const char *keylog = sh->opts.keylog ? sh->opts.keylog
					     : getenv("SSLKEYLOGFILE");
	if (keylog == NULL || keylog[0] == '\0' || sh->conn == NULL)
		return;
	static const char *const dissectors[] = {
		[TRACK_POP3] = "pop", [TRACK_SMTP] = "smtp", [TRACK_IMAP] = "imap",
	};
	const struct conn_url *u = &sh->conn->url;
	const char *proto = dissectors[u->proto];
	out_info(sh, "TLS keys are appended to %s (SSLKEYLOGFILE format)", keylog);
	out_info(sh, "capture:  tcpdump -i lo -w mail.pcap port %s", u->port);
	out_info(sh, "decrypt:  tshark -r mail.pcap -o tls.keylog_file:%s "
		 "-d tcp.port==%s,%s -Y %s", keylog, u->port,
		 u->implicit_tls ? "tls" : proto, proto);
}
