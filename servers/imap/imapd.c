/*
 * imapd.c - main() of the IMAP server: options, TLS, listener.  Nothing
 * else happens here; the protocol is in imap_core.c and its friends.
 *
 * Default ports are the lab ports (standard + 10000): 10143 with STARTTLS
 * (RFC 9051 §6.2.1, port 143) and 10993 with implicit TLS (RFC 8314 §3.3,
 * port 993).  The idle timeout is RFC 9051 §5.4's 30 minutes.
 */
#include "../core/listener.h"
#include "../core/options.h"
#include "imap_session.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static const struct listen_port ports[] = {
		{ 10143, LISTEN_STARTTLS },
		{ 10993, LISTEN_TLS },
	};
	static const struct server_defaults defaults = {
		.prog = "imapd",
		.summary = "maillab IMAP server (RFC 3501 IMAP4rev1, RFC 9051; "
			   "IDLE, UIDPLUS, MOVE, LITERAL+, SASL-IR)",
		.ports = ports,
		.nports = 2,
		.timeout_s = IMAP_IDLE_TIMEOUT_S,
		.sleep_after_s = IMAP_SLEEP_AFTER_S,
	};
	struct server_options opts;
	server_options_parse(argc, argv, &defaults, &opts);

	struct imap_server srv = { .opts = &opts };
	snprintf(srv.users_file, sizeof(srv.users_file), "%s/users",
		 opts.data_dir);
	struct listener_config cfg = {
		.proto = "imap",
		.max_line = IMAP_LINE_MAX,
		.serve = imap_serve,
		.refuse = imap_refuse,
		.arg = &srv,
	};
	server_options_apply(&opts, &cfg);

	const char *error;
	int r = listener_run(&cfg, &error);
	if (r < 0)
		fprintf(stderr, "imapd: %s\n", error);
	server_options_free(&opts, &cfg);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
