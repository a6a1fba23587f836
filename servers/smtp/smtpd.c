/*
 * smtpd.c - main() of the SMTP server: options, the queue runner, the
 * listener.  Nothing else happens here; the protocol is in smtp_core.c
 * and its friends, the relay queue in smtp_queue.c and smtp_runner.c.
 *
 * Default ports are the lab ports (standard + 10000), one per role:
 *   10025  MX, STARTTLS offered        (RFC 5321 port 25, RFC 3207)
 *   10587  submission, STARTTLS        (RFC 6409 port 587)
 *   10465  submission, implicit TLS    (RFC 8314 §3.3, port 465)
 */
#include "../core/flush.h"
#include "../core/listener.h"
#include "../core/maildir.h"
#include "../core/options.h"
#include "smtp_queue.h"
#include "smtp_runner.h"
#include "smtp_session.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* start_runner - fork the queue runner; its pid, or -1. */
static pid_t start_runner(const struct smtp_runner_config *rc)
{
	const char *error;
	if (smtp_queue_init(rc->queue_dir, &error) < 0) {
		fprintf(stderr, "smtpd: queue: %s\n", error);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0)
		smtp_runner_main(rc);
	if (pid < 0)
		perror("smtpd: fork queue runner");
	return pid;
}

static void stop_runner(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	/* the listener may already have reaped it if it died early */
	(void)waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
	static const struct listen_port ports[] = {
		{ 10025, LISTEN_STARTTLS },
		{ 10587, LISTEN_STARTTLS },
		{ 10465, LISTEN_TLS },
	};
	static const struct server_defaults defaults = {
		.prog = "smtpd",
		.summary = "maillab SMTP server (RFC 5321, 3207, 4954, 6409, 8314)",
		.ports = ports,
		.nports = 3,
		.timeout_s = SMTP_IDLE_TIMEOUT_S,
	};
	struct smtp_options so;
	smtp_options_extract(argc, argv, &so);
	struct server_options opts;
	server_options_parse(so.nrest, so.rest, &defaults, &opts);

	struct smtp_server srv = { .opts = &opts, .smtp = &so };
	snprintf(srv.users_file, sizeof(srv.users_file), "%s/users",
		 opts.data_dir);
	struct listener_config cfg = {
		.proto = "smtp",
		.max_line = SMTP_SASL_LINE_MAX,
		.serve = smtp_serve,
		.refuse = smtp_refuse,
		.arg = &srv,
	};
	server_options_apply(&opts, &cfg);
	cfg.max_reuse = so.reuse;
	cfg.reuse_idle_s = so.reuse_idle_s;

	char queue_dir[4096], routes[4096];
	snprintf(queue_dir, sizeof(queue_dir), "%s/queue", opts.data_dir);
	snprintf(routes, sizeof(routes), "%s/routes", opts.data_dir);
	struct smtp_runner_config rc = {
		.data_dir = opts.data_dir, .queue_dir = queue_dir,
		.routes_file = routes, .users_file = srv.users_file,
		.hostname = opts.hostname, .domains = so.domains,
		.ndomains = so.ndomains, .retry_s = so.retry_s,
		.lifetime_s = so.lifetime_s,
		.trace = { "queue", 0, cfg.trace_fd },
	};
	/* before the queue runner and the sessions are forked: they share it */
	struct flush_group *flush = NULL;
	if (!so.flush_file) {
		const char *why;
		flush = flush_group_new(opts.data_dir, &why);
		if (flush == NULL) {
			fprintf(stderr, "smtpd: group flush: %s\n", why);
			return EXIT_FAILURE;
		}
		maildir_set_flush(flush);
	}
	struct trace note = { "smtp", 0, cfg.trace_fd };
	trace_event(&note, "deliveries made durable by %s",
		    flush ? "a group flush (syncfs for many sessions at once)"
			  : "an fsync of each file and directory");
	srv.runner = start_runner(&rc);
	const char *error = "cannot start the queue runner";
	int r = srv.runner < 0 ? -1 : listener_run(&cfg, &error);
	if (r < 0)
		fprintf(stderr, "smtpd: %s\n", error);
	stop_runner(srv.runner);
	maildir_set_flush(NULL);
	flush_group_free(flush);
	server_options_free(&opts, &cfg);
	smtp_options_free(&so);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
