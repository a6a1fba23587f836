/*
 * replay_live.c - a session replayed against a real server
 * (mailsh --replay-live FILE [URL]).
 *
 * Each client line is sent (its secrets filled in, sessfile_client.c),
 * the server's reply is read to its real end (replay.c explains why the
 * tracker decides where that is), and the lines are compared with the
 * recorded lines and patterns.  The first difference stops the replay and
 * is reported with the step, the line sent, the expected and the actual
 * line; the exit status (replay.h) is what a lab checker or a test reads.
 * A "= STATE" line is checked too: it must be the state mailsh tracks.
 *
 * The connection is mailsh's own (conn.c): the same URLs, the same TLS
 * with the same certificate check, and a STARTTLS/STLS upgrade where the
 * session has "~ TLS" (RFC 2595 §4, RFC 3207 §4, RFC 9051 §6.2.1).
 */
#include "replay.h"

#include "shell.h"

#include "../common/tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct live {
	const struct shell_opts *o;
	const char *path;
	struct sessfile sf;
	struct conn *conn;
	struct tls_client *tls;
	struct replay_track rt;
	size_t step;
	enum track_reply last;  /* what the tracker made of the last line read */
	/* lines read but not yet compared: a literal brings several at once */
	struct queued {
		char *text;
		bool literal;  /* inside a literal: printed as it is */
	} *queue;
	size_t nqueue, head;
	/* the start of a line whose end is still to come (inside a literal) */
	char part[SHELL_REPLY_LINE_MAX + 1];
	size_t part_len;
};

/* ---- reporting ------------------------------------------------------------ */

static void where(const struct live *lv, const char *what)
{
	const struct sessfile_step *st = &lv->sf.steps[lv->step];
	if (st->client != NULL)
		printf("-- step %zu %s (%s, line %u)\n   sent:     C: %s\n",
		       lv->step, what, lv->path, st->client_line, st->client);
	else
		printf("-- step 0, the greeting, %s (%s)\n", what, lv->path);
}

/* diverge - report the first difference; @actual is a server line, or a
 * description of what happened instead when @is_line is false. */
static int diverge(const struct live *lv, const char *expected,
		   const char *actual, bool is_line)
{
	where(lv, "diverged");
	if (expected != NULL)
		printf("   expected: S: %s\n", expected);
	else
		printf("   expected: the end of the reply\n");
	printf("   actual:   %s%s\n", is_line ? "S: " : "", actual);
	return -1;
}

/* ---- reading a reply ------------------------------------------------------ */

static void part_add(struct live *lv, const char *data, size_t len)
{
	if (len > SHELL_REPLY_LINE_MAX - lv->part_len)
		len = SHELL_REPLY_LINE_MAX - lv->part_len;
	memcpy(lv->part + lv->part_len, data, len);
	lv->part_len += len;
}

/* part_done - the line in part is complete: queue it for comparing. */
static void part_done(struct live *lv, bool literal)
{
	if (lv->part_len > 0 && lv->part[lv->part_len - 1] == '\r')
		lv->part_len--;
	lv->part[lv->part_len] = '\0';
	struct queued *grown = realloc(lv->queue,
				       (lv->nqueue + 1) * sizeof(*grown));
	if (grown != NULL) {
		lv->queue = grown;
		grown[lv->nqueue] = (struct queued){ strdup(lv->part), literal };
		if (grown[lv->nqueue].text != NULL)
			lv->nqueue++;
	}
	lv->part_len = 0;
}

/* read_literal - the n bytes after a line ending in {n} (RFC 9051 §4.3),
 * split into lines the way the recorder splits them. */
static enum netio_status read_literal(struct live *lv)
{
	size_t left = lv->rt.t.literal_left;
	while (left > 0) {
		const char *data;
		size_t n;
		enum netio_status st = conn_read_bytes(lv->conn, left, &data, &n);
		if (st != NETIO_OK)
			return st;
		for (size_t i = 0; i < n; i++) {
			if (data[i] == '\n')
				part_done(lv, true);
			else
				part_add(lv, data + i, 1);
		}
		left -= n;
	}
	lv->rt.t.literal_left = 0;
	return NETIO_OK;
}

/* read_more - one line from the server (and the literal it announces). */
static enum netio_status read_more(struct live *lv)
{
	char *line;
	size_t len;
	enum netio_status st = conn_read_line(lv->conn, &line, &len);
	if (st != NETIO_OK)
		return st;
	lv->last = replay_track_server(&lv->rt, line);
	if (lv->part_len > 0)
		part_done(lv, true);  /* a literal ends a line, CRLF or not */
	part_add(lv, line, len);
	part_done(lv, false);
	return lv->last == TRACK_LITERAL ? read_literal(lv) : NETIO_OK;
}

static const char *why_not(enum netio_status st)
{
	switch (st) {
	case NETIO_TOO_LONG:
		return "(a line longer than mailsh reads)";
	case NETIO_EOF:
		return "(nothing: the server closed the connection)";
	case NETIO_TIMEOUT:
		return "(nothing within the --timeout)";
	default:
		return "(nothing: reading from the server failed)";
	}
}

/* read_reply - read the reply of the current step to its end, comparing
 * each line as it comes. */
static int read_reply(struct live *lv, const struct sessfile_step *st)
{
	struct replay_match m;
	replay_match_init(&m, st);
	lv->last = TRACK_MORE;
	for (;;) {
		if (lv->head == lv->nqueue) {
			bool ended = lv->last == TRACK_DONE ||
				     lv->last == TRACK_GO_ON;
			if (ended && replay_match_complete(&m))
				return 0;
			/* IDLE: what the server pushes comes after its "+" */
			if (ended && lv->rt.t.input != TRACK_INPUT_IDLE)
				return diverge(lv, replay_match_next(&m), "(nothing "
					       "more: the reply ended here)", false);
			enum netio_status ns = read_more(lv);
			if (ns != NETIO_OK)
				return diverge(lv, replay_match_next(&m),
					       why_not(ns), false);
			continue;
		}
		char *line = lv->queue[lv->head].text;
		bool literal = lv->queue[lv->head++].literal;
		if (literal)  /* as batch mode shows a literal */
			printf("%s\n", line);
		else
			replay_print_line('S', line);
		bool ok = replay_match_line(&m, line);
		int r = ok ? 0 : diverge(lv, replay_match_next(&m), line, true);
		free(line);
		if (r < 0)
			return -1;
	}
}

/* ---- sending, TLS, state ---------------------------------------------------- */

static void wait_s(double seconds)
{
	struct timespec ts = { (time_t)seconds,
			       (long)((seconds - (double)(time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int send_client(struct live *lv, const struct sessfile_step *st)
{
	char wire[SHELL_INPUT_MAX + 2];
	const char *error;
	struct sessfile_ctx ctx = replay_ctx(&lv->rt);
	if (sessfile_expand(&lv->sf, st->client, &ctx, SESSFILE_TO_SEND, wire,
			    sizeof(wire) - 2, &error) < 0) {
		where(lv, "cannot be sent");
		printf("   why:      %s\n", error);
		return -1;
	}
	if (st->delay_s > 0)
		wait_s(st->delay_s);
	replay_print_line('C', st->client);
	size_t len = strlen(wire);
	size_t crlf = replay_literal_ends(&lv->rt, wire) ? 0 : 2;
	memcpy(wire + len, "\r\n", 2);
	if (conn_send(lv->conn, wire, len + crlf) < 0)
		return diverge(lv, st->nserver ? st->server[0] : NULL,
			       "(the connection is closed: could not send)", false);
	wire[len] = '\0';
	replay_track_client(&lv->rt, wire);
	return 0;
}

/* start_tls - implicit TLS, or the upgrade after "~ TLS". */
static int start_tls(struct live *lv, bool upgrade)
{
	const char *error;
	struct tls_peer_info info;
	const char *keylog = lv->o->keylog ? lv->o->keylog : getenv("SSLKEYLOGFILE");
	if (lv->tls == NULL &&
	    (lv->tls = tls_client_new(lv->o->cafile, keylog && keylog[0] ? keylog
				      : NULL, &error)) == NULL) {
		printf("-- TLS: %s\n", error);
		return -1;
	}
	/* response injection: conn_start_tls() drops what came before */
	size_t dropped;
	int r = conn_start_tls(lv->conn, lv->tls, &dropped, &error);
	if (dropped > 0)
		printf("-- warning: discarded %zu octets the server sent between "
		       "its STARTTLS answer and the handshake (response "
		       "injection?)\n", dropped);
	if (r < 0) {
		printf("-- the TLS handshake failed: %s\n", error);
		return -1;
	}
	tls_peer_info(netio_tls(lv->conn->io), &info);
	printf("-- TLS %s, %s; certificate for %s: %s\n", info.version,
	       info.cipher, info.subject, info.verify_text);
	if (info.verdict != TLS_VERIFY_OK && !lv->o->insecure) {
		printf("-- the certificate did not verify: give the lab CA with "
		       "--cafile, or -k to replay anyway\n");
		return -1;
	}
	if (upgrade)
		track_tls_started(&lv->rt.t);
	else
		lv->rt.t.tls = true;
	track_clear_notes(&lv->rt.t);
	return 0;
}

static int check_state(struct live *lv, const struct sessfile_step *st)
{
	const char *now = track_state_name(lv->rt.t.proto, lv->rt.t.state);
	if (strcasecmp(st->state, now) == 0)
		return 0;
	where(lv, "diverged");
	printf("   expected: state %s\n   actual:   state %s (as mailsh "
	       "follows the dialogue)\n", st->state, now);
	return -1;
}

static int run_step(struct live *lv)
{
	const struct sessfile_step *st = &lv->sf.steps[lv->step];
	if (st->client != NULL && send_client(lv, st) < 0)
		return -1;
	if (st->nserver > 0 && read_reply(lv, st) < 0)
		return -1;
	if (st->tls_after && start_tls(lv, true) < 0)
		return -1;
	/* after the handshake: STARTTLS takes SMTP back to INIT */
	if (st->state != NULL && check_state(lv, st) < 0)
		return -1;
	return 0;
}

/* ---- start and end ---------------------------------------------------------- */

/* live_url - the URL given, or the one the header describes. */
static int live_url(const struct live *lv, struct conn_url *url)
{
	char text[600];
	const char *error = NULL;
	const struct sessfile *sf = &lv->sf;
	bool tls = sf->tls != NULL && strcmp(sf->tls, "tls") == 0;
	if (lv->o->url != NULL)
		snprintf(text, sizeof(text), "%s", lv->o->url);
	else if (sf->server != NULL)
		snprintf(text, sizeof(text), "%s%s://%s", sf->protocol,
			 tls ? "s" : "", sf->server);
	else
		error = "the session names no server: give a URL";
	if ((lv->o->url != NULL || sf->server != NULL) &&
	    conn_parse_url(text, url, &error) == 0) {
		if (strcmp(track_proto_name(url->proto), sf->protocol) != 0)
			error = "the URL is for another protocol than the session";
		else if (url->implicit_tls != tls)
			error = tls ? "the session starts with TLS (tls: tls): use "
				      "a pop3s://, imaps:// or smtps:// URL"
				    : "the session starts without TLS: use a "
				      "pop3://, imap:// or smtp:// URL";
		else
			return 0;
	}
	fprintf(stderr, "mailsh: %s: %s\n", lv->path, error);
	return -1;
}

static int replay(struct live *lv)
{
	struct conn_url url;
	char name[64], text[300];
	const char *error;
	if (sessfile_missing_secret(&lv->sf, name, sizeof(name)) != NULL) {
		fprintf(stderr, "mailsh: %s: the session needs the secret \"%s\": "
			"give --secret %s=VALUE\n", lv->path, name, name);
		return REPLAY_USAGE;
	}
	if (live_url(lv, &url) < 0)
		return REPLAY_USAGE;
	conn_url_text(&url, text, sizeof(text));
	printf("-- replaying %s against %s (%zu steps)\n", lv->path, text,
	       lv->sf.nsteps);
	if ((lv->conn = conn_open(&url, lv->o->timeout_s, &error)) == NULL) {
		printf("-- cannot connect to %s: %s\n", text, error);
		return REPLAY_DIVERGED;
	}
	replay_track_init(&lv->rt, url.proto, false);
	if (url.implicit_tls && start_tls(lv, false) < 0)
		return REPLAY_DIVERGED;
	for (lv->step = 0; lv->step < lv->sf.nsteps; lv->step++)
		if (run_step(lv) < 0)
			return REPLAY_DIVERGED;
	printf("-- replay: all %zu steps went as recorded\n", lv->sf.nsteps);
	return REPLAY_OK;
}

int replay_live(const struct shell_opts *o)
{
	struct live *lv = calloc(1, sizeof(*lv));
	if (lv == NULL)
		return REPLAY_USAGE;
	lv->o = o;
	lv->path = o->replay_live;
	int status = REPLAY_USAGE;
	if (replay_load(o, lv->path, &lv->sf) == 0) {
		status = replay(lv);
		sessfile_free(&lv->sf);
	}
	conn_close(lv->conn);
	tls_client_free(lv->tls);
	for (size_t i = lv->head; i < lv->nqueue; i++)
		free(lv->queue[i].text);
	free(lv->queue);
	free(lv);
	return status;
}
