/*
 * session.c - the life of a connection as the shell sees it: connect,
 * greeting, TLS (implicit at once, or after the server accepted
 * STARTTLS/STLS), disconnect.
 *
 * TLS happens in exactly two places: right after the TCP connect for
 * pop3s/imaps/smtps (RFC 8314 §3.3), and right after a success reply to
 * STLS (RFC 2595 §4) or STARTTLS (RFC 3207 §4, RFC 9051 §6.2.1) - which
 * multiline.c notices through track.want_tls, whether the learner typed
 * the command or used :starttls.
 */
#include "shell.h"

#include "record.h"

#include "../common/tls.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int shell_connect(struct shell *sh, const struct conn_url *url)
{
	char text[300];
	const char *error;
	if (sh->conn != NULL)
		shell_disconnect(sh, "connecting elsewhere");
	conn_url_text(url, text, sizeof(text));
	out_info(sh, "connecting to %s", text);
	sh->url = *url;
	sh->have_url = true;
	track_init(&sh->track, url->proto, false);
	sh->conn = conn_open(url, sh->opts.timeout_s, &error);
	if (sh->conn == NULL) {
		out_error(sh, "cannot connect to %s: %s", text, error);
		track_closed(&sh->track, "no connection");
		track_clear_notes(&sh->track);
		shell_unexpected(sh, "no connection");
		return -1;
	}
	history_open(sh);
	record_connected(sh);
	if (url->implicit_tls && !shell_handshake(sh))
		return -1;
	shell_read_reply(sh);
	if (sh->conn != NULL && sh->opts.starttls && !url->implicit_tls)
		shell_starttls(sh);
	return sh->conn != NULL ? 0 : -1;
}

void shell_disconnect(struct shell *sh, const char *why)
{
	if (sh->conn == NULL)
		return;
	record_finish(sh); /* a recording covers one connection */
	conn_close(sh->conn);
	sh->conn = NULL;
	track_closed(&sh->track, why);
	out_notes(sh);
	free(sh->file_data);
	sh->file_data = NULL;
	sh->literal_left = 0;
}

bool shell_handshake(struct shell *sh)
{
	const char *error;
	bool upgrade = sh->track.want_tls;
	if (sh->tls == NULL) {
		const char *keylog = sh->opts.keylog ? sh->opts.keylog
						     : getenv("SSLKEYLOGFILE");
		if (keylog != NULL && keylog[0] == '\0')
			keylog = NULL;
		sh->tls = tls_client_new(sh->opts.cafile, keylog, &error);
		if (sh->tls == NULL) {
			out_error(sh, "TLS: %s", error);
			shell_disconnect(sh, "no TLS");
			shell_unexpected(sh, "TLS could not start");
			return false;
		}
	}
	/* response injection: conn_start_tls() drops what came before */
	size_t dropped;
	int r = conn_start_tls(sh->conn, sh->tls, &dropped, &error);
	if (dropped > 0)
		out_warn(sh, "discarded %zu octets the server sent between its "
			 "STARTTLS answer and the handshake: they were not "
			 "protected by TLS (response injection?)", dropped);
	if (r < 0) {
		out_error(sh, "TLS handshake failed: %s", error);
		shell_disconnect(sh, "TLS handshake failed");
		shell_unexpected(sh, "TLS handshake failed");
		return false;
	}
	if (tlsinfo_show(sh) < 0) {
		shell_disconnect(sh, "the certificate is not trusted");
		shell_unexpected(sh, "certificate not trusted");
		return false;
	}
	if (upgrade) {
		record_tls(sh);
		track_tls_started(&sh->track);
	} else {
		sh->track.tls = true;
	}
	out_notes(sh);
	return true;
}

void shell_starttls(struct shell *sh)
{
	if (sh->conn == NULL) {
		out_error(sh, "not connected");
		return;
	}
	switch (sh->track.proto) {
	case TRACK_POP3:
		shell_command(sh, "STLS");            /* RFC 2595 §4 */
		break;
	case TRACK_IMAP:
		shell_command(sh, "STARTTLS");        /* RFC 9051 §6.2.1 */
		break;
	case TRACK_SMTP:
		/* RFC 3207 §4: STARTTLS is an extension, so EHLO comes first */
		if (sh->track.state == 0) {
			char host[256] = "localhost";
			char line[300];
			(void)gethostname(host, sizeof(host) - 1);
			snprintf(line, sizeof(line), "EHLO %s", host);
			shell_command(sh, line);
		}
		if (sh->conn != NULL)
			shell_command(sh, "STARTTLS");
		break;
	}
}
