/*
 * replay_serve.c - a session played from the server's side
 * (mailsh --serve FILE --listen [HOST:]PORT [--tls]), so that a learner's
 * own client can be tested against a known dialogue and told where it
 * went wrong.
 *
 * One client is served, then mailsh exits: 0 if the client sent every
 * recorded client line, 1 with the step, the expected and the received
 * line if it did not (the client is told the same in the protocol's own
 * error reply: -ERR, 503, BAD).  Plain, implicit TLS (--tls, or a session
 * with "tls: tls"), and STARTTLS/STLS where the session has "~ TLS".
 *
 * A client's lines are compared the way a server reads them (see
 * replay_client_fits()), and an IMAP client's own tags are mapped onto
 * the recorded ones: "A0001 LOGIN ..." fits "a001 LOGIN ...", and the
 * recorded "a001 OK" is sent as "A0001 OK" (RFC 9051 §2.2.1: the tag is
 * the client's choice).
 *
 * Patterns in server lines are sent as simple values: {{*}} as nothing,
 * {{n}} as 1, {{word}} as x, {{...}} as no line.  Two values are made up
 * anew for each connection, as a real server does: the timestamp in a
 * POP3 greeting's <{{*}}> (RFC 1939 §7) and a CRAM-MD5 challenge
 * (RFC 2195 §2), so that APOP and CRAM-MD5 clients can be checked too.
 */
#include "replay.h"

#include "record.h"
#include "shell.h"

#include "../common/base64.h"
#include "../common/netio.h"
#include "../common/tls.h"

#include <ctype.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Recorded IMAP tags and the client's own, for the commands in flight. */
#define SERVE_TAGS_MAX 16

struct serve {
	const struct shell_opts *o;
	const char *path;
	struct sessfile sf;
	enum track_proto proto;
	struct tls_server *tls;
	struct netio *io;
	struct replay_track rt;
	size_t step;
	size_t literal;     /* octets of a literal inside the lines being sent */
	char *rest;         /* the rest of a client line after its literal */
	char *pending;      /* that rest, while it is the line being checked */
	char stamp[80];     /* the APOP timestamp / CRAM-MD5 challenge text */
	struct {
		char recorded[SHELL_TAG_LEN];
		char client[SHELL_TAG_LEN];
	} tags[SERVE_TAGS_MAX];
	size_t ntags;
};

/* ---- comparing a client's line: pure ---------------------------------- */

/* atom_char - may this character stand in an IMAP atom (RFC 9051 §9)? */
static bool atom_char(char c)
{
	return (unsigned char)c > 0x20 && (unsigned char)c < 0x7f &&
	       strchr("(){%*\"\\]", c) == NULL;
}

/* normalise - the line as a server reads it (see replay_client_fits()). */
static void normalise(enum track_proto proto, const char *in, char *out,
		      size_t size)
{
	size_t o = 0, word_end = strcspn(in, " ");
	if (word_end == 3 && strncasecmp(in, "UID", 3) == 0 && in[3] == ' ')
		word_end = 4 + strcspn(in + 4, " ");  /* "UID FETCH" is one */
	bool smtp = proto == TRACK_SMTP && word_end == 4;
	bool ehlo = smtp && (strncasecmp(in, "EHLO", 4) == 0 ||
			     strncasecmp(in, "HELO", 4) == 0);
	bool path = smtp && strchr(in, ':') != NULL &&
		    (strncasecmp(in, "MAIL", 4) == 0 || strncasecmp(in, "RCPT", 4) == 0);
	if (path) /* RFC 5321 §2.4: "FROM:" and "TO:" are case-insensitive too */
		word_end = (size_t)(strchr(in, ':') - in) + 1;
	for (size_t i = 0; in[i] != '\0' && o + 1 < size; i++) {
		if (i < word_end) {
			out[o++] = (char)toupper((unsigned char)in[i]);
			continue;
		}
		if (ehlo) /* the client names itself: any name will do */
			break;
		size_t q;
		if (proto == TRACK_IMAP && in[i] == '"' &&
		    (q = strcspn(in + i + 1, "\"")) > 0 && in[i + 1 + q] == '"') {
			bool atom = true;
			for (size_t k = 1; k <= q; k++)
				atom &= atom_char(in[i + k]) && in[i + k] != '{';
			if (atom && o + q + 1 < size) { /* "x" reads as x */
				memcpy(out + o, in + i + 1, q);
				o += q;
				i += q + 1;
				continue;
			}
		}
		out[o++] = in[i];
	}
	out[o] = '\0';
}

bool replay_client_fits(enum track_proto proto, enum track_input input,
			const char *pattern, const char *actual)
{
	if (input != TRACK_INPUT_COMMAND && input != TRACK_INPUT_IDLE)
		return sessfile_match(pattern, actual); /* text, answers: exact */
	char p[SHELL_INPUT_MAX * 2], a[SHELL_INPUT_MAX];
	normalise(proto, pattern, p, sizeof(p));
	normalise(proto, actual, a, sizeof(a));
	return sessfile_match(p, a);
}

/* ---- what is sent ---------------------------------------------------------- */

/* instantiate - a server line with its patterns made plain values. */
static void instantiate(const struct serve *s, const char *line, char *out,
			size_t size)
{
	static const struct { const char *pat, *value; } plain[] = {
		{ "{{{{", "{{" }, { "{{*}}", "" }, { "{{n}}", "1" },
		{ "{{word}}", "x" },
	};
	size_t o = 0;
	for (const char *p = line; *p != '\0' && o + 1 < size;) {
		size_t k = 0, n = sizeof(plain) / sizeof(plain[0]);
		const char *value = NULL;
		if (s->step == 0 && s->proto == TRACK_POP3 &&
		    strncmp(p, "<{{*}}>", 7) == 0) {
			value = s->stamp; /* RFC 1939 §7: new for each connection */
			p += 7;
		}
		for (; value == NULL && k < n; k++)
			if (strncmp(p, plain[k].pat, strlen(plain[k].pat)) == 0) {
				value = plain[k].value;
				p += strlen(plain[k].pat);
			}
		if (value == NULL) {
			out[o++] = *p++;
			continue;
		}
		o += (size_t)snprintf(out + o, size - o, "%s", value);
		if (o >= size)
			o = size - 1;
	}
	out[o] = '\0';
}

/* cram_challenge - "+ {{word}}" or "334 {{word}}" during AUTH CRAM-MD5:
 * a fresh challenge, base64 (RFC 2195 §2). */
static bool cram_challenge(const struct serve *s, const char *line, char *out,
			   size_t size)
{
	const struct track *t = &s->rt.t;
	bool cont = strcmp(line, "+ {{word}}") == 0 ||
		    strcmp(line, "334 {{word}}") == 0;
	if (!cont || strcasecmp(t->pending_mech, "CRAM-MD5") != 0 ||
	    base64_encoded_size(strlen(s->stamp)) + 5 > size)
		return false;
	size_t prefix = (size_t)(strchr(line, ' ') - line) + 1;
	memcpy(out, line, prefix);
	base64_encode(s->stamp, strlen(s->stamp), out + prefix);
	return true;
}

/* retag - a recorded tag at the start of the line becomes the client's. */
static void retag(const struct serve *s, char *line, size_t size)
{
	size_t len = strcspn(line, " ");
	for (size_t i = s->ntags; i-- > 0;) {
		if (strlen(s->tags[i].recorded) != len ||
		    strncmp(line, s->tags[i].recorded, len) != 0)
			continue;
		char rest[SESSFILE_LINE_MAX];
		snprintf(rest, sizeof(rest), "%s", line + len);
		snprintf(line, size, "%s%s", s->tags[i].client, rest);
		return;
	}
}

/* track_served - let the tracker see a sent line; the inside of a literal
 * the server sends is not a line of the protocol.  Returns how many
 * octets of line end to send: none after a literal's last line when the
 * literal's count ends right after its text (RFC 9051 §4.3). */
static size_t track_served(struct serve *s, const char *line)
{
	size_t len = strlen(line);
	if (s->literal > 0) {
		if (len + 2 <= s->literal) {
			s->literal -= len + 2;
			return 2;
		}
		bool exact = len == s->literal;
		line += s->literal < len ? s->literal : len;
		s->literal = 0;
		if (exact)
			return 0;
	}
	if (replay_track_server(&s->rt, line) == TRACK_LITERAL) {
		s->literal = s->rt.t.literal_left;
		s->rt.t.literal_left = 0;
	}
	return 2;
}

static int send_step(struct serve *s, const struct sessfile_step *st)
{
	char line[SESSFILE_LINE_MAX + 2];
	for (size_t k = 0; k < st->nserver; k++) {
		if (sessfile_is_any_lines(st->server[k]))
			continue;
		if (!cram_challenge(s, st->server[k], line, sizeof(line) - 2))
			instantiate(s, st->server[k], line, sizeof(line) - 2);
		bool literal = s->literal > 0;
		if (s->proto == TRACK_IMAP && !literal)
			retag(s, line, sizeof(line) - 2);
		if (literal)  /* as batch mode shows a literal */
			printf("%s\n", line);
		else
			replay_print_line('S', line);
		size_t crlf = track_served(s, line), len = strlen(line);
		memcpy(line + len, "\r\n", 2);
		if (netio_write(s->io, line, len + crlf) < 0) {
			printf("-- step %zu: the client has gone (could not send)\n",
			       s->step);
			return -1;
		}
	}
	return 0;
}

/* ---- what the client sends ------------------------------------------------ */

/* tell_client - the protocol's own error reply, saying what was expected. */
static void tell_client(struct serve *s, const char *client_tag,
			const char *expected)
{
	char reply[600], text[400];
	snprintf(text, sizeof(text), "mailsh: step %zu of this session expects: "
		 "%.300s", s->step, expected);
	if (s->proto == TRACK_POP3)       /* RFC 1939 §3 */
		snprintf(reply, sizeof(reply), "-ERR %s", text);
	else if (s->proto == TRACK_SMTP)  /* RFC 5321 §4.2.2: bad sequence */
		snprintf(reply, sizeof(reply), "503 5.5.1 %s", text);
	else                              /* RFC 9051 §7.1.3 */
		snprintf(reply, sizeof(reply), "%s BAD %s", client_tag, text);
	printf("-- told the client: %s\n", reply);
	strcat(reply, "\r\n");
	(void)netio_write(s->io, reply, strlen(reply));
}

/* fits - the client's line against the step's; maps an IMAP tag. */
static bool fits(struct serve *s, const struct sessfile_step *st, char *line,
		 char *tag, size_t tag_size)
{
	char pattern[SHELL_INPUT_MAX * 2];
	const char *error;
	struct sessfile_ctx ctx = replay_ctx(&s->rt);
	enum track_input input = s->rt.t.input;
	snprintf(tag, tag_size, "*");
	if (sessfile_expand(&s->sf, st->client, &ctx, SESSFILE_TO_PATTERN,
			    pattern, sizeof(pattern), &error) < 0) {
		printf("-- step %zu (%s, line %u): %s\n", s->step, s->path,
		       st->client_line, error);
		return false;
	}
	if (s->proto != TRACK_IMAP || input != TRACK_INPUT_COMMAND)
		return replay_client_fits(s->proto, input, pattern, line);
	size_t plen = strcspn(pattern, " "), alen = strcspn(line, " ");
	snprintf(tag, tag_size, "%.*s", (int)alen, line);
	if (pattern[plen] == '\0' || line[alen] == '\0' ||
	    !replay_client_fits(s->proto, input, pattern + plen + 1, line + alen + 1))
		return false;
	if (s->ntags == SERVE_TAGS_MAX) { /* forget the oldest */
		memmove(s->tags, s->tags + 1,
			(SERVE_TAGS_MAX - 1) * sizeof(s->tags[0]));
		s->ntags--;
	}
	size_t i = s->ntags++;
	snprintf(s->tags[i].recorded, sizeof(s->tags[i].recorded), "%.*s",
		 (int)plen, pattern);
	snprintf(s->tags[i].client, sizeof(s->tags[i].client), "%s", tag);
	return true;
}

/* read_client - the client's next line.  A literal ends a line in a
 * session file: when its last octets and the rest of the command came as
 * one line, they are two, and the rest is kept for the next step. */
static enum netio_status read_client(struct serve *s, char **line_r)
{
	free(s->pending);
	s->pending = NULL;
	if (s->rest != NULL) {
		*line_r = s->pending = s->rest;
		s->rest = NULL;
		return NETIO_OK;
	}
	char *line;
	size_t len;
	unsigned flags;
	enum netio_status ns = netio_read_line(s->io, &line, &len, &flags);
	if (ns != NETIO_OK)
		return ns;
	size_t left = s->rt.literal_left;
	if (s->rt.t.input == TRACK_INPUT_LITERAL && left <= len &&
	    (s->rest = strdup(line + left)) != NULL)
		line[left] = '\0';
	*line_r = line;
	return NETIO_OK;
}

/* client_step - read the client's line for the current step and check it. */
static int client_step(struct serve *s, const struct sessfile_step *st)
{
	char *line, tag[SHELL_TAG_LEN], shown[SESSFILE_LINE_MAX];
	enum netio_status ns = read_client(s, &line);
	if (ns != NETIO_OK) {
		printf("-- step %zu (%s, line %u): %s\n   expected: C: %s\n",
		       s->step, s->path, st->client_line,
		       ns == NETIO_EOF ? "the client closed the connection"
		       : ns == NETIO_TIMEOUT ? "nothing from the client within "
		       "the --timeout" : ns == NETIO_TOO_LONG ? "the client sent "
		       "a line longer than mailsh reads" : "the connection broke "
		       "(closed without a TLS close_notify, or a read error)",
		       st->client);
		return -1;
	}
	if (!fits(s, st, line, tag, sizeof(tag))) {
		/* shown as received: what went wrong may be in a password */
		printf("-- step %zu (%s, line %u): the client sent something "
		       "else\n   expected: C: %s\n   received: C: %s\n", s->step,
		       s->path, st->client_line, st->client, line);
		tell_client(s, tag, st->client);
		return -1;
	}
	record_client_text(&s->rt.t, line, shown, sizeof(shown));
	replay_print_line('C', shown);
	replay_track_client(&s->rt, line);
	return 0;
}

static int start_tls(struct serve *s, bool upgrade)
{
	size_t dropped;
	const char *error;
	if (netio_tls_accept(s->io, s->tls, &dropped, &error) < 0) {
		printf("-- step %zu: the TLS handshake failed: %s\n", s->step, error);
		return -1;
	}
	printf("-- TLS %s, %s\n", netio_tls_version(s->io), netio_tls_cipher(s->io));
	if (upgrade)
		track_tls_started(&s->rt.t);
	else
		s->rt.t.tls = true;
	track_clear_notes(&s->rt.t);
	return 0;
}

static int serve_client(struct serve *s, bool implicit_tls)
{
	snprintf(s->stamp, sizeof(s->stamp), "<%ld.%ld@mailsh>", (long)getpid(),
		 (long)time(NULL));
	replay_track_init(&s->rt, s->proto, false);
	if (implicit_tls && start_tls(s, false) < 0)
		return REPLAY_DIVERGED;
	for (s->step = 0; s->step < s->sf.nsteps; s->step++) {
		const struct sessfile_step *st = &s->sf.steps[s->step];
		if (st->client != NULL && client_step(s, st) < 0)
			return REPLAY_DIVERGED;
		if (send_step(s, st) < 0)
			return REPLAY_DIVERGED;
		if (st->tls_after && start_tls(s, true) < 0)
			return REPLAY_DIVERGED;
	}
	printf("-- the client went through all %zu steps as recorded\n",
	       s->sf.nsteps);
	return REPLAY_OK;
}

/* ---- listening ---------------------------------------------------------------- */

/* listen_on - "PORT", "HOST:PORT" or "[V6]:PORT"; the host defaults to
 * 127.0.0.1, so a lab's fake server is not reachable from elsewhere. */
static int listen_on(const char *spec, char *name, size_t size)
{
	char host[256] = "127.0.0.1";
	const char *port = spec, *colon = strrchr(spec, ':');
	if (colon != NULL) {
		const char *h = spec;
		size_t hlen = (size_t)(colon - spec);
		if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
			h++;
			hlen -= 2;
		}
		snprintf(host, sizeof(host), "%.*s", (int)hlen, h);
		port = colon + 1;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai;
	int gai = getaddrinfo(host, port, &hints, &ai);
	if (gai != 0) {
		fprintf(stderr, "mailsh: --listen %s: %s\n", spec, gai_strerror(gai));
		return -1;
	}
	int one = 1, fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1) < 0) {
		perror("mailsh: --listen");
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	snprintf(name, size, "%s%s%s:%s", strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "", port);
	return fd;
}

static bool needs_tls(const struct serve *s, bool implicit)
{
	for (size_t i = 0; !implicit && i < s->sf.nsteps; i++)
		implicit = s->sf.steps[i].tls_after;
	return implicit;
}

static int serve(struct serve *s)
{
	const char *error;
	char name[300];
	bool implicit = s->o->serve_tls ||
			(s->sf.tls != NULL && strcmp(s->sf.tls, "tls") == 0);
	s->proto = strcmp(s->sf.protocol, "pop3") == 0 ? TRACK_POP3 :
		   strcmp(s->sf.protocol, "smtp") == 0 ? TRACK_SMTP : TRACK_IMAP;
	if (needs_tls(s, implicit) &&
	    (s->tls = tls_server_new(s->o->cert ? s->o->cert : "data/tls/server.pem",
				     s->o->key ? s->o->key : "data/tls/server.key",
				     &error)) == NULL) {
		fprintf(stderr, "mailsh: TLS: %s (give --cert and --key)\n", error);
		return REPLAY_USAGE;
	}
	int lfd = listen_on(s->o->listen, name, sizeof(name));
	if (lfd < 0)
		return REPLAY_USAGE;
	printf("-- serving %s (%s, %zu steps) on %s%s; waiting for a client\n",
	       s->path, s->sf.protocol, s->sf.nsteps, name,
	       implicit ? " with TLS" : "");
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	if (fd < 0 || (s->io = netio_new(fd, SHELL_REPLY_LINE_MAX,
					 s->o->timeout_s)) == NULL) {
		perror("mailsh: accept");
		if (fd >= 0)
			close(fd);
		return REPLAY_DIVERGED;
	}
	printf("-- a client connected\n");
	return serve_client(s, implicit);
}

int replay_serve(const struct shell_opts *o)
{
	struct serve *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return REPLAY_USAGE;
	s->o = o;
	s->path = o->serve;
	int status = REPLAY_USAGE;
	if (replay_load(o, s->path, &s->sf) == 0) {
		status = serve(s);
		sessfile_free(&s->sf);
	}
	netio_free(s->io);
	tls_server_free(s->tls);
	free(s->pending);
	free(s->rest);
	free(s);
	return status;
}
