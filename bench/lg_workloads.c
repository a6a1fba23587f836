/*
 * lg_workloads.c - every workload the load generator runs, described once.
 *
 * The names are the ones make bench prints and docs/bench.md explains.
 * Each row says how a client opens its session (set-up), what one
 * measured operation is, and how it says goodbye.  "greeting" works
 * against any of the three protocols: connect, read the first line,
 * close; it measures how soon a new client is served.
 */
#include "loadgen.h"

#include <string.h>

const struct lg_workload lg_workloads[] = {
	{ "greeting", NULL, lg_greeting, NULL,
	  "connect, read the greeting, close" },
	{ "smtp", lg_smtp_setup, lg_smtp_message, lg_smtp_quit,
	  "MAIL, RCPT, DATA of one message per op on one connection" },
	{ "smtp-conn", NULL, lg_smtp_session, NULL,
	  "a new connection per message: EHLO, MAIL, RCPT, DATA, QUIT" },
	{ "pop3", NULL, lg_pop3_session, NULL,
	  "a session per op: USER, PASS, STAT, RETR of every message, QUIT" },
	{ "pop3-login", NULL, lg_pop3_login, NULL,
	  "a session per op: USER, PASS, STAT, QUIT" },
	{ "imap-login", NULL, lg_imap_login, NULL,
	  "a session per op: LOGIN, LOGOUT" },
	{ "imap-select", lg_imap_setup_auth, lg_imap_select, lg_imap_logout,
	  "SELECT --mailbox (again and again)" },
	{ "imap-fetch-flags", lg_imap_setup_selected, lg_imap_fetch_flags,
	  lg_imap_logout, "FETCH 1:* (FLAGS UID RFC822.SIZE)" },
	{ "imap-fetch-body", lg_imap_setup_selected, lg_imap_fetch_body,
	  lg_imap_logout, "FETCH n BODY.PEEK[] of one message, n cycling" },
	{ "imap-search-text", lg_imap_setup_selected, lg_imap_search_text,
	  lg_imap_logout, "UID SEARCH TEXT --text" },
	{ "imap-search-flags", lg_imap_setup_selected, lg_imap_search_flags,
	  lg_imap_logout, "UID SEARCH FLAGGED" },
	{ "imap-store", lg_imap_setup_selected, lg_imap_store, lg_imap_logout,
	  "STORE n +FLAGS / -FLAGS (\\Flagged), n cycling" },
	{ "imap-append", lg_imap_setup_auth, lg_imap_append, lg_imap_logout,
	  "APPEND a --size message to --mailbox" },
	{ "imap-idle", lg_imap_setup_selected, NULL, lg_imap_logout,
	  "open --clients sessions (LOGIN, SELECT), say so, and hold them "
	  "until stdin closes" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct lg_workload *lg_workload_find(const char *name)
{
	for (const struct lg_workload *w = lg_workloads; w->name != NULL; w++)
		if (strcmp(w->name, name) == 0)
			return w;
	return NULL;
}
