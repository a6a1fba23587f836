/*
 * record.c - recording a live session to an annotated session file (see
 * record.h and docs/session-format.md).
 *
 * The steps are kept in memory while the session runs and the file is
 * written at the end, because only then is the header known: whether a
 * STARTTLS/STLS upgrade happened ("tls: starttls") and which secrets were
 * masked.  The file itself is opened at the start, so a path that cannot
 * be written is refused before anything is typed.
 *
 * Masking (the same rules as the history file, exec.c):
 *
 *   PASS x                     PASS {{secret:password}}        RFC 1939 §7
 *   APOP name digest           APOP name {{apop:password}}     RFC 1939 §7
 *   tag LOGIN user pass        tag LOGIN user {{secret:password}}  RFC 9051 §6.2.3
 *   AUTH/AUTHENTICATE PLAIN ir ... {{plain:USER:password}}     RFC 4616 §2
 *   a PLAIN answer             {{plain:USER:password}}
 *   LOGIN's second answer      {{base64:password}}  (the first, the user
 *                              name, is kept: it is no secret)
 *   a CRAM-MD5 answer          {{cram:USER:password}}          RFC 2195 §2
 *   any other SASL answer      {{secret:sasl}}
 *
 * A LOGIN or AUTHENTICATE whose arguments come as literals is masked line
 * by line as {{secret:password}}: safe, though it needs editing to replay.
 *
 * Values that differ in every connection by definition are written as
 * patterns, or no recording could ever replay:
 *
 *   the timestamp <...> of a POP3 greeting   <{{*}}>   RFC 1939 §7
 *   a CRAM-MD5 challenge                     {{word}}  RFC 2195 §2
 *   the queue id "as ID" in the reply to the end of an SMTP message
 *   (after DATA's "." or a BDAT chunk)       {{word}}  (maillab, Postfix
 *                                            and aiosmtpd all say "as ID")
 */
#include "record.h"

#include "shell.h"

#include "../common/base64.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The start of a line whose end has not crossed yet: a literal's last
 * bytes run on into the line after it.  Longer lines are cut when written,
 * so only the beginning is kept, and the full length is counted. */
struct part {
	char text[SESSFILE_TEXT_MAX + 1];
	size_t len;    /* bytes kept */
	size_t total;  /* bytes seen */
	enum track_input input; /* client: what the line was, when it began */
};

struct record {
	char *path;
	FILE *file;         /* opened at the start, written at the end */
	FILE *body;         /* the steps so far (open_memstream) */
	char *body_text;
	size_t body_len;
	bool connected;
	struct conn_url url;
	bool upgraded;      /* a STARTTLS/STLS handshake happened */
	int state;          /* the last state written, -1 before the first */
	unsigned steps;     /* client lines written */
	bool masked;        /* a secret was replaced by a placeholder */
	struct part sent, received;
};

/* ---- masking: pure ------------------------------------------------------- */

struct out {
	char *buf;
	size_t size, len;
};

/* put_escaped - append @len bytes of line text, "{{" escaped. */
static void put_escaped(struct out *o, const char *text, size_t len)
{
	char esc[SESSFILE_LINE_MAX];
	if (sessfile_escape(text, len, esc, sizeof(esc)))
		esc[strlen(esc) - 5] = '\0'; /* client text: no pattern at the end */
	snprintf(o->buf + o->len, o->size - o->len, "%s", esc);
	o->len += strlen(o->buf + o->len);
}

static void put_holder(struct out *o, const char *fmt, const char *arg)
{
	snprintf(o->buf + o->len, o->size - o->len, fmt, arg);
	o->len += strlen(o->buf + o->len);
}

/* user_ok - a user name that can stand inside a placeholder. */
static bool user_ok(const char *user, size_t len)
{
	if (len == 0 || len > 200)
		return false;
	for (size_t i = 0; i < len; i++)
		if (user[i] == ':' || user[i] == '}' || user[i] == '{' ||
		    (unsigned char)user[i] < 0x21)
			return false;
	return true;
}

/* sasl_answer - the placeholder for the base64 answer @b64 of mechanism
 * @mech; false if it is kept as it is. */
static bool sasl_answer(const char *mech, const char *challenge,
			const char *b64, struct out *o)
{
	unsigned char raw[SHELL_INPUT_MAX];
	size_t blen = strlen(b64);
	if (blen == 0 || strcmp(b64, "*") == 0 || strcmp(b64, "=") == 0)
		return false;  /* empty answers and cancels carry nothing */
	long n = blen * 3 / 4 < sizeof(raw) ? base64_decode(b64, blen, raw) : -1;
	char user[256];
	if (n >= 0 && strcasecmp(mech, "PLAIN") == 0) {
		/* RFC 4616 §2: [authzid] NUL authcid NUL passwd */
		const unsigned char *nul1 = memchr(raw, '\0', (size_t)n);
		const unsigned char *nul2 = nul1 ? memchr(nul1 + 1, '\0',
				(size_t)(raw + n - nul1 - 1)) : NULL;
		size_t ulen = nul2 ? (size_t)(nul2 - nul1 - 1) : 0;
		if (nul1 == raw && nul2 && user_ok((const char *)nul1 + 1, ulen)) {
			snprintf(user, sizeof(user), "%.*s", (int)ulen, nul1 + 1);
			put_holder(o, "{{plain:%s:password}}", user);
			return true;
		}
	} else if (n >= 0 && strcasecmp(mech, "LOGIN") == 0) {
		if (challenge != NULL && strncasecmp(challenge, "User", 4) == 0)
			return false; /* the user name: no secret */
		if (challenge != NULL && strncasecmp(challenge, "Pass", 4) == 0) {
			put_holder(o, "{{base64:%s}}", "password");
			return true;
		}
	} else if (n >= 0 && strcasecmp(mech, "CRAM-MD5") == 0) {
		/* RFC 2195 §2: "user" SP 32 hex digits */
		const unsigned char *sp = memchr(raw, ' ', (size_t)n);
		if (sp && user_ok((const char *)raw, (size_t)(sp - raw))) {
			snprintf(user, sizeof(user), "%.*s", (int)(sp - raw), raw);
			put_holder(o, "{{cram:%s:password}}", user);
			return true;
		}
	}
	put_holder(o, "{{secret:%s}}", "sasl");
	return true;
}

/* next_word - [*start, *end) of the word at or after @p; NULL at the end. */
static const char *next_word(const char *p, const char **start)
{
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return NULL;
	*start = p;
	return p + strcspn(p, " ");
}

static bool word_is(const char *w, const char *end, const char *lit)
{
	size_t len = strlen(lit);
	return (size_t)(end - w) == len && strncasecmp(w, lit, len) == 0;
}

/* mask_login - IMAP "tag LOGIN user password" (RFC 9051 §6.2.3): the
 * password is the second argument, an atom or a quoted string; all that
 * follows the user name is replaced, so even a password with spaces in
 * it is never written. */
static bool mask_login(const char *line, const char *args, struct out *o)
{
	const char *user, *pass;
	const char *end = next_word(args, &user);
	if (end == NULL || *user == '{' || next_word(end, &pass) == NULL ||
	    line[strlen(line) - 1] == '}')
		return false; /* literals: masked line by line as they come */
	bool quoted = *pass == '"';
	put_escaped(o, line, (size_t)(pass - line));
	put_holder(o, quoted ? "\"{{secret:%s}}\"" : "{{secret:%s}}", "password");
	return true;
}

/* mask_command - a command line that may carry a secret. */
static bool mask_command(const struct track *t, const char *line, struct out *o)
{
	const char *p = line, *w, *end;
	if (t->proto == TRACK_IMAP && (p = next_word(line, &w)) == NULL)
		return false; /* skip the tag */
	if ((end = next_word(p, &w)) == NULL)
		return false;
	const char *arg = "", *ir = "";
	const char *arg_end = next_word(end, &arg);
	if (t->proto == TRACK_POP3 && word_is(w, end, "PASS") && arg_end) {
		put_escaped(o, line, (size_t)(arg - line));
		put_holder(o, "{{secret:%s}}", "password");
		return true;
	}
	if (t->proto == TRACK_POP3 && word_is(w, end, "APOP") && arg_end &&
	    next_word(arg_end, &ir) != NULL) {
		put_escaped(o, line, (size_t)(ir - line));
		put_holder(o, "{{apop:%s}}", "password");
		return true;
	}
	if (t->proto == TRACK_IMAP && word_is(w, end, "LOGIN"))
		return mask_login(line, end, o);
	bool auth = word_is(w, end, t->proto == TRACK_IMAP ? "AUTHENTICATE" : "AUTH");
	if (!auth || arg_end == NULL || next_word(arg_end, &ir) == NULL)
		return false;
	/* an initial response (RFC 4954 §4, RFC 5034 §4, RFC 4959 §3) */
	char mech[SHELL_CAP_LEN], b64[SHELL_INPUT_MAX];
	snprintf(mech, sizeof(mech), "%.*s", (int)(arg_end - arg), arg);
	snprintf(b64, sizeof(b64), "%.*s", (int)strcspn(ir, " "), ir);
	size_t prefix = o->len;
	put_escaped(o, line, (size_t)(ir - line));
	if (strcasecmp(mech, "LOGIN") == 0 ||  /* its first answer: the user */
	    !sasl_answer(mech, NULL, b64, o)) {
		o->len = prefix;
		o->buf[prefix] = '\0';
		return false;
	}
	return true;
}

/* in_auth - is the command waiting for its reply one that logs in? */
static bool in_auth(const struct track *t)
{
	if (t->pending < 0)
		return false;
	const char *name = track_cmd_at(t->proto, t->pending)->name;
	return strcasecmp(name, "LOGIN") == 0 || strcasecmp(name, "AUTH") == 0 ||
	       strcasecmp(name, "AUTHENTICATE") == 0;
}

bool record_client_text(const struct track *t, const char *line, char *out,
			size_t size)
{
	struct out o = { out, size, 0 };
	out[0] = '\0';
	bool masked = false;
	switch (t->input) {
	case TRACK_INPUT_SASL:
		masked = sasl_answer(t->pending_mech, t->challenge, line, &o);
		break;
	case TRACK_INPUT_LITERAL:
	case TRACK_INPUT_REST:
		if (in_auth(t)) { /* arguments of LOGIN/AUTHENTICATE as literals */
			put_holder(&o, "{{secret:%s}}", "password");
			masked = true;
		}
		break;
	case TRACK_INPUT_COMMAND:
		masked = mask_command(t, line, &o);
		break;
	default: /* DATA text, DONE: as they are */
		break;
	}
	if (!masked) {
		o.len = 0;
		put_escaped(&o, line, strlen(line));
	}
	return masked;
}

/* replace_word - replace the word that starts at @at in @buf by @with. */
static void replace_word(char *buf, size_t size, char *at, const char *with)
{
	char tail[SESSFILE_LINE_MAX];
	snprintf(tail, sizeof(tail), "%s", at + strcspn(at, " )]>"));
	snprintf(at, size - (size_t)(at - buf), "%s%s", with, tail);
}

bool record_server_text(const struct track *t, const char *line, size_t len,
			char *out, size_t size)
{
	bool cut = sessfile_escape(line, len, out, size);
	char *p;
	if (t->proto == TRACK_POP3 && t->pending == TRACK_P_GREETING &&
	    (p = strchr(out, '<')) != NULL && strchr(p, '>') != NULL) {
		replace_word(out, size, p + 1, "{{*}}");  /* RFC 1939 §7 */
		return cut;
	}
	bool challenge = strncmp(out, "+ ", 2) == 0 || strncmp(out, "334 ", 4) == 0;
	if (challenge && in_auth(t) && strcasecmp(t->pending_mech, "CRAM-MD5") == 0) {
		p = strchr(out, ' ') + 1;
		replace_word(out, size, p, "{{word}}");  /* RFC 2195 §2 */
		return cut;
	}
	bool end_of_message = t->pending == TRACK_P_DATA_END ||
		(t->pending >= 0 && strcasecmp(track_cmd_at(t->proto,
						t->pending)->name, "BDAT") == 0);
	if (t->proto == TRACK_SMTP && end_of_message && out[0] == '2' &&
	    (p = strstr(out, " as ")) != NULL && p[4] != '\0')
		replace_word(out, size, p + 4, "{{word}}");
	return cut;
}

/* ---- the recording --------------------------------------------------------- */

struct record *record_new(const char *path, const char **error_r)
{
	struct record *r = calloc(1, sizeof(*r));
	if (r == NULL || (r->path = strdup(path)) == NULL) {
		free(r);
		*error_r = "out of memory";
		return NULL;
	}
	r->state = -1;
	r->file = fopen(path, "w");
	r->body = r->file ? open_memstream(&r->body_text, &r->body_len) : NULL;
	if (r->body == NULL) {
		*error_r = strerror(errno);
		if (r->file != NULL)
			fclose(r->file);
		free(r->path);
		free(r);
		return NULL;
	}
	return r;
}

/* sync_state - write "= STATE" when the tracked state has changed; called
 * before a client line, so a change caused by a reply stays in its step. */
static void sync_state(struct shell *sh)
{
	struct record *r = sh->rec;
	if (!r->connected || r->state == sh->track.state)
		return;
	r->state = sh->track.state;
	fprintf(r->body, "= %s\n", track_state_name(sh->track.proto, r->state));
}

/* write_line - "C: text" or "S: text" ("C:" alone for an empty line). */
static void write_line(FILE *f, char marker, const char *text)
{
	fprintf(f, "%c:%s%s\n", marker, text[0] ? " " : "", text);
}

static void client_line(struct shell *sh, const char *text, size_t total)
{
	struct record *r = sh->rec;
	char out[SESSFILE_LINE_MAX];
	sync_state(sh);
	if (total > SESSFILE_TEXT_MAX)
		fprintf(r->body, "# the next client line was cut to %d of its %zu "
			"characters: this step will not replay as recorded\n",
			SESSFILE_TEXT_MAX, total);
	r->masked |= record_client_text(&sh->track, text, out, sizeof(out));
	write_line(r->body, 'C', out);
	r->steps++;
}

static void server_line(struct shell *sh, const char *text, size_t len,
			size_t total)
{
	char out[SESSFILE_LINE_MAX];
	if (record_server_text(&sh->track, text, len, out, sizeof(out)) ||
	    total > len)
		fprintf(sh->rec->body, "# the next server line (%zu characters) "
			"ends in a pattern: a session line holds at most %d\n",
			total, SESSFILE_TEXT_MAX);
	write_line(sh->rec->body, 'S', out);
}

/* feed - add bytes to a part; at each LF, hand over the line (without
 * its CR) to @p done. */
static void feed(struct shell *sh, struct part *pt, const char *data, size_t len,
		 void (*done)(struct shell *, struct part *))
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			if (pt->len > 0 && pt->text[pt->len - 1] == '\r') {
				pt->len--;
				pt->total--;
			}
			pt->text[pt->len] = '\0';
			done(sh, pt);
			pt->len = pt->total = 0;
			continue;
		}
		if (pt->total == 0)
			pt->input = sh->track.input;
		if (pt->len < SESSFILE_TEXT_MAX)
			pt->text[pt->len++] = data[i];
		pt->total++;
	}
}

/* sent_done - a client line is complete; it is masked as what it was
 * when it began (the end of a literal may be written only once the
 * tracker has moved on). */
static void sent_done(struct shell *sh, struct part *pt)
{
	enum track_input now = sh->track.input;
	pt->text[pt->len] = '\0';
	sh->track.input = pt->input;
	client_line(sh, pt->text, pt->total);
	sh->track.input = now;
	pt->len = pt->total = 0;
}

static void received_done(struct shell *sh, struct part *pt)
{
	server_line(sh, pt->text, pt->len, pt->total);
}

/* A literal ends a line in a session file even when its last octet is
 * not a line end (docs/session-format.md): what follows it is the next
 * line.  So a line begun inside a literal is written as soon as bytes
 * that are not the literal's come. */
static void tap_sent(void *ctx, const char *data, size_t len)
{
	struct shell *sh = ctx;
	struct part *pt = &sh->rec->sent;
	if (pt->total > 0 && sh->track.input != TRACK_INPUT_LITERAL)
		sent_done(sh, pt);
	feed(sh, pt, data, len, sent_done);
}

static void tap_bytes(void *ctx, const char *data, size_t len)
{
	struct shell *sh = ctx;
	feed(sh, &sh->rec->received, data, len, received_done);
}

static void tap_line(void *ctx, const char *line, size_t len)
{
	struct shell *sh = ctx;
	struct part *pt = &sh->rec->received;
	if (sh->rec->sent.total > 0)  /* a BDAT chunk's end, before its reply */
		sent_done(sh, &sh->rec->sent);
	if (pt->total > 0) /* the end of a literal: its own line */
		feed(sh, pt, "\n", 1, received_done);
	feed(sh, pt, line, len, received_done);
	feed(sh, pt, "\n", 1, received_done);
}

void record_connected(struct shell *sh)
{
	struct record *r = sh->rec;
	if (r == NULL || sh->conn == NULL || r->connected)
		return;
	r->connected = true;
	r->url = sh->conn->url;
	sh->conn->tap = (struct conn_tap){ tap_sent, tap_line, tap_bytes, sh };
	if (sh->track.pending != TRACK_P_GREETING) {
		fprintf(r->body, "# the recording began in the middle of the "
			"session, in state %s\n",
			track_state_name(sh->track.proto, sh->track.state));
		sync_state(sh);
	}
}

void record_tls(struct shell *sh)
{
	struct record *r = sh->rec;
	if (r == NULL || !r->connected)
		return;
	sync_state(sh);
	fprintf(r->body, "~ TLS\n");
	r->upgraded = true;
}

/* write_header - the header and the editor's comment, then the steps. */
static int write_file(struct record *r)
{
	char when[64], server[300];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
	bool v6 = strchr(r->url.host, ':') != NULL;
	snprintf(server, sizeof(server), "%s%s%s:%s", v6 ? "[" : "", r->url.host,
		 v6 ? "]" : "", r->url.port);
	const char *proto = track_proto_name(r->url.proto);
	fprintf(r->file, "maillab-session %d\ntitle: %s session with %s, "
		"recorded %s\nprotocol: %s\nserver: %s\ntls: %s\n\n",
		SESSFILE_VERSION, proto, server, when, proto, server,
		r->url.implicit_tls ? "tls" : r->upgraded ? "starttls" : "plain");
	fprintf(r->file, "# Recorded by mailsh.  Add annotations for the "
		"learner (\"> text\") and\n# replace what varies by patterns "
		"({{n}}, {{*}}, {{word}}, {{...}}).\n");
	if (r->masked)
		fprintf(r->file, "# Secrets are masked: to replay live, give "
			"--secret password=VALUE\n# (or, for a public lab "
			"password, a header line \"secret password: VALUE\").\n");
	fprintf(r->file, "\n");
	fwrite(r->body_text, 1, r->body_len, r->file);
	return fclose(r->file);
}

void record_finish(struct shell *sh)
{
	struct record *r = sh->rec;
	if (r == NULL)
		return;
	if (sh->conn != NULL)
		sh->conn->tap = (struct conn_tap){ 0 };
	if (r->sent.total > 0)
		sent_done(sh, &r->sent);
	if (r->received.total > 0)
		feed(sh, &r->received, "\n", 1, received_done);
	sync_state(sh);
	fclose(r->body);
	if (!r->connected) {
		fclose(r->file);
		remove(r->path);
		out_info(sh, "nothing recorded (there was no connection): %s "
			 "not written", r->path);
	} else if (write_file(r) != 0) {
		out_error(sh, "%s: %s", r->path, strerror(errno));
		shell_unexpected(sh, "recording not written");
	} else {
		out_info(sh, "recorded %u step%s to %s", r->steps + 1,
			 r->steps == 0 ? "" : "s", r->path);
	}
	free(r->body_text);
	free(r->path);
	free(r);
	sh->rec = NULL;
}

/* ---- the ':' commands --------------------------------------------------- */

void record_cmd_start(struct shell *sh, int argc, char **argv)
{
	const char *error;
	if (argc != 2) {
		out_error(sh, "usage: :record FILE");
		shell_unexpected(sh, "bad :record");
		return;
	}
	if (sh->rec != NULL) {
		out_error(sh, "already recording (:stop first)");
		shell_unexpected(sh, "already recording");
		return;
	}
	if ((sh->rec = record_new(argv[1], &error)) == NULL) {
		out_error(sh, "%s: %s", argv[1], error);
		shell_unexpected(sh, "cannot record");
		return;
	}
	if (sh->conn != NULL)
		record_connected(sh);
	out_info(sh, "recording to %s%s; :note TEXT annotates, :stop ends",
		 argv[1], sh->conn ? "" : " from the next :connect");
}

void record_cmd_note(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (sh->rec == NULL) {
		out_error(sh, "not recording (:record FILE starts)");
		shell_unexpected(sh, "not recording");
		return;
	}
	const char *text = sh->meta_rest ? sh->meta_rest : "";
	sync_state(sh);
	fprintf(sh->rec->body, ">%s%s\n", text[0] ? " " : "", text);
}

void record_cmd_stop(struct shell *sh, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (sh->rec == NULL) {
		out_info(sh, "not recording");
		return;
	}
	record_finish(sh);
}
