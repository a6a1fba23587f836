/*
 * pop3d.c - main() of the POP3 server: options, TLS, listener.  Nothing
 * else happens here; the protocol is in pop3_core.c and its friends.
 *
 * Default ports are the lab ports (standard + 10000): 10110 with STLS
 * (RFC 1939 §4 port 110, RFC 2595 §4) and 10995 with implicit TLS
 * (RFC 8314 §3.3, port 995).
 */
#include "../core/listener.h"
#include "../core/options.h"
#include "pop3_session.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	static const struct listen_port ports[] = {
		{ 10110, LISTEN_STARTTLS },
		{ 10995, LISTEN_TLS },
	};
	static const struct server_defaults defaults = {
		.prog = "pop3d",
		.summary = "maillab POP3 server (RFC 1939, 2449, 2595, 3206, 5034)",
		.ports = ports,
		.nports = 2,
		.timeout_s = POP3_IDLE_TIMEOUT_S,
	};
	struct server_options opts;
	server_options_parse(argc, argv, &defaults, &opts);

	struct pop3_server srv = { .opts = &opts };
	snprintf(srv.users_file, sizeof(srv.users_file), "%s/users",
		 opts.data_dir);
	struct listener_config cfg = {
		.proto = "pop3",
		.max_line = POP3_COMMAND_MAX,
		.serve = pop3_serve,
		.refuse = pop3_refuse,
		.arg = &srv,
	};
	server_options_apply(&opts, &cfg);

	const char *error;
	int r = listener_run(&cfg, &error);
	if (r < 0)
		fprintf(stderr, "pop3d: %s\n", error);
	server_options_free(&opts, &cfg);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
