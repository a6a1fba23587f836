/*
 * sessfile_client.c - the client lines of a session file: the
 * placeholders that stand for masked secrets, and what they become when
 * the line is sent again (live replay) or compared with what a learner's
 * client sent (serve mode).  See docs/session-format.md, "Secrets".
 *
 *   {{secret:NAME}}      the secret as it is (PASS, LOGIN's password)
 *   {{base64:NAME}}      the secret in base64 (AUTH LOGIN's second answer)
 *   {{plain:USER:NAME}}  RFC 4616 §2: base64 of NUL, USER, NUL, secret
 *   {{cram:USER:NAME}}   RFC 2195 §2: base64 of "USER " and the hex
 *                        HMAC-MD5 of the server's challenge, keyed with
 *                        the secret
 *   {{apop:NAME}}        RFC 1939 §7: hex MD5 of the greeting's timestamp
 *                        followed by the secret
 *   {{{{                 a literal "{{"
 *
 * The last two depend on what the server said in this very connection,
 * its challenge or its timestamp, so a recording could not hold the
 * answer even if it were no secret: it would be wrong the next time.
 * That is also why nothing here reads a socket: the caller passes what
 * the server said, and the unit tests pass the RFCs' own examples.
 */
#include "sessfile.h"

#include "shell.h"

#include "../common/base64.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Output being built, bounded by its size; overflow is remembered. */
struct out {
	char *buf;
	size_t size, len;
	bool overflow;
};

static void put(struct out *o, const char *text, size_t len)
{
	if (o->len + len + 1 > o->size) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, text, len);
	o->len += len;
	o->buf[o->len] = '\0';
}

/* put_value - a computed value: as it is to send, escaped in a pattern. */
static void put_value(struct out *o, const char *value,
		      enum sessfile_expand_mode mode)
{
	char esc[SESSFILE_LINE_MAX];
	if (mode == SESSFILE_TO_PATTERN) {
		(void)sessfile_escape(value, strlen(value), esc, sizeof(esc));
		value = esc;
	}
	put(o, value, strlen(value));
}

/* One placeholder, split at its colons: kind, and one or two arguments. */
struct holder {
	char kind[16];
	char user[256];
	char name[64];
};

/* split - "kind:NAME" or "kind:USER:NAME" inside the braces. */
static int split(const char *inner, size_t len, struct holder *h)
{
	static const struct {
		const char *kind;
		int args;
	} kinds[] = {
		{ "secret", 1 }, { "base64", 1 }, { "apop", 1 },
		{ "plain", 2 },  { "cram", 2 },
	};
	char text[400];
	if (len >= sizeof(text))
		return -1;
	memcpy(text, inner, len);
	text[len] = '\0';
	char *c1 = strchr(text, ':');
	if (c1 == NULL)
		return -1;
	*c1 = '\0';
	char *c2 = strchr(c1 + 1, ':');
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(text, kinds[i].kind) != 0 ||
		    (kinds[i].args == 2) != (c2 != NULL))
			continue;
		if (c2 != NULL)
			*c2 = '\0';
		const char *name = c2 ? c2 + 1 : c1 + 1;
		const char *user = c2 ? c1 + 1 : "";
		if (*name == '\0' || strlen(name) >= sizeof(h->name) ||
		    strlen(user) >= sizeof(h->user))
			return -1;
		snprintf(h->kind, sizeof(h->kind), "%s", kinds[i].kind);
		snprintf(h->user, sizeof(h->user), "%s", user);
		snprintf(h->name, sizeof(h->name), "%s", name);
		return 0;
	}
	return -1;
}

/* compute - the text a placeholder stands for; -1 with a reason. */
static int compute(const struct holder *h, const char *secret,
		   const struct sessfile_ctx *ctx, char *out, size_t size,
		   const char **error_r)
{
	*error_r = "the value does not fit in a line";
	if (strcmp(h->kind, "secret") == 0) {
		if (strlen(secret) >= size)
			return -1;
		snprintf(out, size, "%s", secret);
		return 0;
	}
	if (strcmp(h->kind, "base64") == 0) {
		if (base64_encoded_size(strlen(secret)) > size)
			return -1;
		base64_encode(secret, strlen(secret), out);
		return 0;
	}
	if (strcmp(h->kind, "plain") == 0)
		return sasl_plain_b64("", h->user, secret, out, size);
	if (strcmp(h->kind, "cram") == 0) {
		*error_r = "{{cram:...}} answers a CRAM-MD5 challenge, and the "
			   "server has sent none";
		if (ctx == NULL || ctx->challenge == NULL)
			return -1;
		return sasl_cram_answer(h->user, secret, ctx->challenge, out, size);
	}
	*error_r = "{{apop:...}} needs the timestamp <...> of a POP3 greeting, "
		   "and the greeting had none";
	if (ctx == NULL || ctx->apop_stamp == NULL || ctx->apop_stamp[0] == '\0')
		return -1;
	return sasl_apop_digest(ctx->apop_stamp, secret, out, size);
}

/* one_holder - expand the placeholder at @p (just after "{{"); returns
 * the length of its inside, or -1. */
static long one_holder(const struct sessfile *sf, const char *p,
		       const struct sessfile_ctx *ctx,
		       enum sessfile_expand_mode mode, struct out *o,
		       const char **error_r)
{
	const char *close = strstr(p, "}}");
	struct holder h;
	if (close == NULL || split(p, (size_t)(close - p), &h) < 0) {
		*error_r = "a client line may hold only {{secret:NAME}}, "
			   "{{base64:NAME}}, {{plain:USER:NAME}}, "
			   "{{cram:USER:NAME}}, {{apop:NAME}} and {{{{ "
			   "(patterns are for server lines)";
		return -1;
	}
	const char *secret = sessfile_secret(sf, h.name);
	if (secret == NULL) {
		*error_r = "a secret of this line has no value (give it with "
			   "--secret NAME=VALUE or a \"secret NAME:\" header)";
		if (mode == SESSFILE_TO_SEND)
			return -1;
		/* serve mode: whatever the client sends for it is accepted */
		put(o, strcmp(h.kind, "secret") == 0 ? "{{*}}" : "{{word}}",
		    strcmp(h.kind, "secret") == 0 ? 5 : 8);
		return close - p;
	}
	char value[SESSFILE_LINE_MAX];
	if (compute(&h, secret, ctx, value, sizeof(value), error_r) < 0)
		return -1;
	put_value(o, value, mode);
	return close - p;
}

int sessfile_expand(const struct sessfile *sf, const char *line,
		    const struct sessfile_ctx *ctx,
		    enum sessfile_expand_mode mode, char *out, size_t size,
		    const char **error_r)
{
	struct out o = { out, size, 0, false };
	out[0] = '\0';
	for (const char *p = line; *p != '\0';) {
		if (strncmp(p, "{{{{", 4) == 0) {
			/* a literal "{{": stays escaped in a pattern */
			put(&o, p, mode == SESSFILE_TO_PATTERN ? 4 : 2);
			p += 4;
		} else if (strncmp(p, "{{", 2) == 0) {
			long n = one_holder(sf, p + 2, ctx, mode, &o, error_r);
			if (n < 0)
				return -1;
			p += 2 + n + 2;
		} else {
			put(&o, p, 1);
			p++;
		}
	}
	if (o.overflow) {
		*error_r = "the expanded line is too long";
		return -1;
	}
	return 0;
}

int sessfile_set_secret(struct sessfile *sf, const char *name,
			const char *value, const char **error_r)
{
	for (size_t i = 0; i < sf->nsecrets; i++)
		if (strcmp(sf->secrets[i].name, name) == 0) {
			char *copy = strdup(value);
			if (copy == NULL)
				goto oom;
			free(sf->secrets[i].value);
			sf->secrets[i].value = copy;
			return 0;
		}
	if (sf->nsecrets == SESSFILE_SECRETS_MAX) {
		*error_r = "too many secrets";
		return -1;
	}
	struct sessfile_secret *s = &sf->secrets[sf->nsecrets];
	s->name = strdup(name);
	s->value = strdup(value);
	if (s->name == NULL || s->value == NULL) {
		free(s->name);
		free(s->value);
		goto oom;
	}
	sf->nsecrets++;
	return 0;
oom:
	*error_r = "out of memory";
	return -1;
}

const char *sessfile_missing_secret(const struct sessfile *sf, char *name,
				    size_t size)
{
	for (size_t i = 0; i < sf->nsteps; i++) {
		const char *p = sf->steps[i].client;
		while (p != NULL && (p = strstr(p, "{{")) != NULL) {
			struct holder h;
			const char *close = strstr(p + 2, "}}");
			if (strncmp(p, "{{{{", 4) == 0) {
				p += 4;
				continue;
			}
			if (close == NULL)
				break;
			if (split(p + 2, (size_t)(close - p - 2), &h) == 0 &&
			    sessfile_secret(sf, h.name) == NULL) {
				snprintf(name, size, "%s", h.name);
				return name;
			}
			p = close + 2;
		}
	}
	return NULL;
}
