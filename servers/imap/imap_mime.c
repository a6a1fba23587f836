/*
 * imap_mime.c - a MIME parser for FETCH and SEARCH (see imap_mime.h).
 *
 * RFC 5322 §2.1-2.2: a message is header fields, an empty line, a body;
 * a field may be folded over several lines, each continuation starting
 * with a space or tab.  RFC 2045 §5.1: Content-Type is type "/" subtype
 * and ";"-separated parameters, each a token or a quoted string, with
 * comments in parentheses allowed between them; without the field a part
 * is text/plain; charset=us-ascii (§5.2), or message/rfc822 inside a
 * multipart/digest (RFC 2046 §5.1.5).  RFC 2046 §5.1.1: a multipart body
 * is cut by lines "--boundary"; the CRLF before each such line belongs
 * to the delimiter, not to the part before it; "--boundary--" closes.
 * RFC 2231 §3-4: long or non-ASCII parameter values may be split into
 * name*0, name*1, ... and percent-encoded (name*=charset'lang'value);
 * they are put back together here, as RFC 9051 §7.5.2 asks.
 */
#include "imap_mime.h"

#include "../../proto/limits.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- header fields ---------------------------------------------------- */

/* line_end - the offset just past the CRLF (or LF) ending the line that
 * starts at @p pos, or @p end. */
static size_t line_end(const char *d, size_t pos, size_t end)
{
	const char *nl = memchr(d + pos, '\n', end - pos);
	return nl != NULL ? (size_t)(nl - d) + 1 : end;
}

/* header_length - the header and its empty line; all of it if there is
 * no empty line (a message may be only a header). */
static size_t header_length(const char *d, size_t off, size_t end)
{
	for (size_t pos = off; pos < end;) {
		size_t next = line_end(d, pos, end);
		if (d[pos] == '\n' || (d[pos] == '\r' && pos + 1 < end &&
				       d[pos + 1] == '\n'))
			return next - off;
		pos = next;
	}
	return end - off;
}

/* unfold - the value of the field whose line starts at @p pos (after its
 * colon at @p colon), with its continuation lines and without the line
 * breaks (RFC 5322 §2.2.3), trimmed.  Returns where the next field starts. */
static size_t unfold(const char *hdr, size_t len, size_t colon,
		     struct buf *out)
{
	size_t v = colon + 1, next = line_end(hdr, colon, len);
	buf_reset(out);
	buf_append(out, "", 0); /* never NULL data */
	for (;;) {
		for (size_t i = v; i < next; i++)
			if (hdr[i] != '\r' && hdr[i] != '\n')
				buf_append(out, &hdr[i], 1);
		if (next >= len || (hdr[next] != ' ' && hdr[next] != '\t'))
			break;
		v = next;
		next = line_end(hdr, next, len);
	}
	size_t s = 0, e = out->len;
	while (s < e && (out->data[s] == ' ' || out->data[s] == '\t'))
		s++;
	while (e > s && isspace((unsigned char)out->data[e - 1]))
		e--;
	memmove(out->data, out->data + s, e - s);
	out->len = e - s;
	out->data[out->len] = '\0';
	return next;
}

bool imap_mime_field_next(const char *hdr, size_t len, size_t *pos,
			  const char *name, struct buf *out)
{
	size_t n = strlen(name);
	while (*pos < len) {
		size_t start = *pos, next = line_end(hdr, start, len);
		const char *line = hdr + start;
		*pos = next;
		if (next - start <= n || strncasecmp(line, name, n) != 0)
			continue;
		size_t c = n;
		while (start + c < next && (line[c] == ' ' || line[c] == '\t'))
			c++; /* RFC 5322 §4.5: obsolete space before ':' */
		/* a name and spaces up to the end of the data is no field:
		 * reading line[c] there was one octet past the header
		 * (fuzz/regress/imap_mime/) */
		if (start + c < next && line[c] == ':') {
			*pos = unfold(hdr, len, start + c, out);
			return true;
		}
	}
	return false;
}

bool imap_mime_field(const char *hdr, size_t len, const char *name,
		     struct buf *out)
{
	size_t pos = 0;
	return imap_mime_field_next(hdr, len, &pos, name, out);
}

/* ---- structured values: Content-Type and Content-Disposition ---------- */

struct lex {
	const char *p, *end;
};

/* skip_cfws - white space and (nested (comments)), RFC 5322 §3.2.2. */
static void skip_cfws(struct lex *l)
{
	int depth = 0;
	while (l->p < l->end) {
		char c = *l->p;
		if (depth > 0 && c == '\\' && l->p + 1 < l->end)
			l->p++;
		else if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && c != ' ' && c != '\t')
			return;
		l->p++;
	}
}

/* RFC 2045 §5.1: tspecials */
static bool token_char(char c)
{
	return (unsigned char)c > ' ' && (unsigned char)c < 0x7f &&
	       strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* value - a token or a quoted string, malloc'ed; NULL if neither. */
static char *value(struct lex *l)
{
	skip_cfws(l);
	if (l->p < l->end && *l->p == '"') {
		struct buf b;
		buf_init(&b, IMAP_LINE_MAX);
		for (l->p++; l->p < l->end && *l->p != '"'; l->p++) {
			if (*l->p == '\\' && l->p + 1 < l->end)
				l->p++;
			buf_append(&b, l->p, 1);
		}
		if (l->p < l->end)
			l->p++;
		char *s = strdup(b.data != NULL ? b.data : "");
		buf_free(&b);
		return s;
	}
	const char *start = l->p;
	while (l->p < l->end && token_char(*l->p))
		l->p++;
	return l->p > start ? strndup(start, (size_t)(l->p - start)) : NULL;
}

/* A list of parameters being built. */
struct params {
	struct imap_param *v;
	size_t n;
};

static int add_param(struct params *ps, char *name, char *val)
{
	void *q = reallocarray(ps->v, ps->n + 1, sizeof(*ps->v));
	if (q == NULL) {
		free(name);
		free(val);
		return -1;
	}
	ps->v = q;
	ps->v[ps->n++] = (struct imap_param){ name, val };
	return 0;
}

static void free_params(struct imap_param *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

/* percent_decode - RFC 2231 §4: %XX in an extended value. */
static void percent_decode(char *s)
{
	char *o = s;
	for (char *p = s; *p != '\0'; p++) {
		if (*p == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], '\0' };
			*o++ = (char)strtol(hex, NULL, 16);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

/* rfc2231_join - "name*0*", "name*1", ... become one "name" parameter.
 * Segments are taken in the order of their numbers; an extended first
 * segment loses its "charset'language'" prefix. */
static void rfc2231_join(struct params *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		char *star = strchr(ps->v[i].name, '*');
		if (star == NULL)
			continue;
		bool ext = star[strlen(star) - 1] == '*';
		long seq = isdigit((unsigned char)star[1]) ? strtol(star + 1, NULL, 10)
							   : 0;
		*star = '\0';
		char *v = ps->v[i].value;
		if (ext && seq == 0) {
			char *q = strchr(v, '\'');
			char *q2 = q != NULL ? strchr(q + 1, '\'') : NULL;
			if (q2 != NULL)
				memmove(v, q2 + 1, strlen(q2 + 1) + 1);
		}
		if (ext)
			percent_decode(v);
		/* append to an earlier segment of the same name */
		for (size_t j = 0; j < i && seq > 0; j++) {
			if (strcasecmp(ps->v[j].name, ps->v[i].name) != 0)
				continue;
			size_t a = strlen(ps->v[j].value), b = strlen(v);
			char *joined = realloc(ps->v[j].value, a + b + 1);
			if (joined == NULL)
				break;
			memcpy(joined + a, v, b + 1);
			ps->v[j].value = joined;
			free(ps->v[i].name);
			free(ps->v[i].value);
			memmove(&ps->v[i], &ps->v[i + 1],
				(ps->n - i - 1) * sizeof(*ps->v));
			ps->n--;
			i--;
			break;
		}
	}
}

/* parse_params - "; name=value" pairs to the end of the field. */
static int parse_params(struct lex *l, struct params *ps)
{
	for (;;) {
		skip_cfws(l);
		if (l->p >= l->end || *l->p != ';')
			break;
		l->p++;
		char *name = value(l);
		skip_cfws(l);
		if (name == NULL || l->p >= l->end || *l->p != '=') {
			free(name);
			continue; /* lenient: "; ;" and friends are skipped */
		}
		l->p++;
		char *val = value(l);
		if (val == NULL)
			val = strdup("");
		if (val == NULL || add_param(ps, name, val) < 0)
			return -1;
	}
	rfc2231_join(ps);
	return 0;
}

static bool has_param(const struct params *ps, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (strcasecmp(ps->v[i].name, name) == 0)
			return true;
	return false;
}

/* content_type - type, subtype and parameters, or the defaults; text
 * without a charset is US-ASCII (RFC 2045 §5.2), which is said, as
 * BODYSTRUCTURE readers expect. */
static int content_type(const char *hdr, size_t len, bool in_digest,
			struct imap_part *p, struct buf *tmp)
{
	struct params ps = { 0 };
	int r = 0;
	if (imap_mime_field(hdr, len, "Content-Type", tmp)) {
		struct lex l = { tmp->data, tmp->data + tmp->len };
		p->type = value(&l);
		skip_cfws(&l);
		if (p->type != NULL && l.p < l.end && *l.p == '/') {
			l.p++;
			p->subtype = value(&l);
		}
		if (p->type != NULL && p->subtype != NULL) {
			r = parse_params(&l, &ps);
		} else {
			/* RFC 2045 §5.2: a Content-Type that cannot be read
			 * is taken as the default */
			free(p->type);
			free(p->subtype);
			p->type = p->subtype = NULL;
		}
	}
	if (p->type == NULL) {
		p->type = strdup(in_digest ? "message" : "text");
		p->subtype = strdup(in_digest ? "rfc822" : "plain");
		if (p->type == NULL || p->subtype == NULL)
			r = -1;
	}
	if (r == 0 && strcasecmp(p->type, "text") == 0 &&
	    !has_param(&ps, "charset")) {
		char *n = strdup("charset"), *v = strdup("us-ascii");
		r = n != NULL && v != NULL ? add_param(&ps, n, v)
					   : (free(n), free(v), -1);
	}
	p->params = ps.v;
	p->nparams = ps.n;
	return r;
}

/* content_disposition - RFC 2183: type and parameters, if the field is
 * there. */
static int content_disposition(const char *hdr, size_t len,
			       struct imap_part *p, struct buf *tmp)
{
	struct params ps = { 0 };
	if (!imap_mime_field(hdr, len, "Content-Disposition", tmp))
		return 0;
	struct lex l = { tmp->data, tmp->data + tmp->len };
	p->disposition = value(&l);
	if (p->disposition == NULL)
		return 0;
	int r = parse_params(&l, &ps);
	p->dparams = ps.v;
	p->ndparams = ps.n;
	return r;
}

const char *imap_mime_param(const struct imap_part *p, const char *name)
{
	for (size_t i = 0; i < p->nparams; i++)
		if (strcasecmp(p->params[i].name, name) == 0)
			return p->params[i].value;
	return NULL;
}

/* ---- the tree ---------------------------------------------------------- */

static size_t count_lines(const char *d, size_t len)
{
	size_t n = 0;
	for (const char *p = d; (p = memchr(p, '\n', len - (size_t)(p - d))) != NULL; p++)
		n++;
	return n + (len > 0 && d[len - 1] != '\n');
}

static int new_part(struct imap_mime *m)
{
	if (m->count == m->cap) {
		size_t n = m->cap ? m->cap * 2 : 8;
		void *p = reallocarray(m->parts, n, sizeof(*m->parts));
		if (p == NULL)
			return -1;
		m->parts = p;
		m->cap = n;
	}
	m->parts[m->count] = (struct imap_part){ .first_child = -1, .next = -1,
						 .message = -1 };
	return (int)m->count++;
}

static int parse_node(struct imap_mime *m, size_t off, size_t len,
		      int depth, bool in_digest, struct buf *tmp);

/* delimiter - is the line at @p pos "--boundary" or "--boundary--"
 * (with optional trailing white space)?  1 delimiter, 2 close, 0 no. */
static int delimiter(const char *d, size_t pos, size_t end, const char *b,
		     size_t blen)
{
	size_t next = line_end(d, pos, end);
	if (next - pos < blen + 2 || d[pos] != '-' || d[pos + 1] != '-' ||
	    memcmp(d + pos + 2, b, blen) != 0)
		return 0;
	size_t p = pos + 2 + blen;
	int kind = 1;
	if (p + 1 < next && d[p] == '-' && d[p + 1] == '-') {
		kind = 2;
		p += 2;
	}
	while (p < next && (d[p] == ' ' || d[p] == '\t' || d[p] == '\r' ||
			    d[p] == '\n'))
		p++;
	return p == next ? kind : 0;
}

/* add_child - the part between @p start and the delimiter line at
 * @p pos joins node @p idx (after @p *last).  The CRLF before the
 * delimiter belongs to the delimiter (RFC 2046 §5.1.1), not to the part. */
static int add_child(struct imap_mime *m, int idx, int *last, size_t start,
		     size_t pos, int depth, bool digest, struct buf *tmp)
{
	size_t stop = pos;
	if (stop > start && m->data[stop - 1] == '\n')
		stop--;
	if (stop > start && m->data[stop - 1] == '\r')
		stop--;
	int child = parse_node(m, start, stop - start, depth + 1, digest, tmp);
	if (child < 0)
		return -1;
	if (*last < 0)
		m->parts[idx].first_child = child;
	else
		m->parts[*last].next = child;
	m->parts[idx].nchildren++;
	*last = child;
	return 0;
}

/* split_multipart - the parts between the delimiters of node @p idx. */
static int split_multipart(struct imap_mime *m, int idx, int depth,
			   struct buf *tmp)
{
	struct imap_part *p = &m->parts[idx];
	const char *b = imap_mime_param(p, "boundary");
	bool digest = strcasecmp(p->subtype, "digest") == 0;
	bool open = false; /* a part has begun (after the first delimiter) */
	size_t start = 0, pos = p->body_off, end = p->body_off + p->body_len;
	size_t blen = b != NULL ? strlen(b) : 0;
	int last = -1, r = 0;
	if (b == NULL || blen == 0 || blen > 70) /* RFC 2046 §5.1.1: 1..70 */
		return 0;
	char *bound = strdup(b); /* parts[] may move while we recurse */
	if (bound == NULL)
		return -1;
	for (; r == 0 && pos < end; pos = line_end(m->data, pos, end)) {
		int kind = delimiter(m->data, pos, end, bound, blen);
		if (kind == 0)
			continue;
		if (open)
			r = add_child(m, idx, &last, start, pos, depth, digest, tmp);
		if (kind == 2 || m->count >= IMAP_MIME_PARTS_MAX)
			break;
		start = line_end(m->data, pos, end);
		open = true;
	}
	free(bound);
	return r;
}

/* parse_node - one message or body part at [off, off + len). */
static int parse_node(struct imap_mime *m, size_t off, size_t len,
		      int depth, bool in_digest, struct buf *tmp)
{
	int idx = new_part(m);
	if (idx < 0)
		return -1;
	struct imap_part *p = &m->parts[idx];
	p->hdr_off = off;
	p->hdr_len = header_length(m->data, off, off + len);
	p->body_off = off + p->hdr_len;
	p->body_len = len - p->hdr_len;
	p->lines = count_lines(m->data + p->body_off, p->body_len);
	if (content_type(m->data + off, p->hdr_len, in_digest, p, tmp) < 0 ||
	    content_disposition(m->data + off, p->hdr_len, p, tmp) < 0)
		return -1;
	bool deeper = depth < IMAP_MIME_DEPTH_MAX &&
		      m->count < IMAP_MIME_PARTS_MAX;
	if (deeper && strcasecmp(p->type, "multipart") == 0) {
		if (split_multipart(m, idx, depth, tmp) < 0)
			return -1;
		/* without a single part it is read as an opaque body */
		m->parts[idx].multipart = m->parts[idx].nchildren > 0;
	} else if (depth <= IMAP_MIME_DEPTH_MAX &&
		   strcasecmp(p->type, "message") == 0 &&
		   strcasecmp(p->subtype, "rfc822") == 0) {
		/* the message inside is always parsed (its header gives the
		 * ENVELOPE that BODYSTRUCTURE needs); its own parts only
		 * within the limits */
		size_t boff = p->body_off, blen = p->body_len;
		int inner = parse_node(m, boff, blen, depth + 1, false, tmp);
		if (inner < 0)
			return -1;
		m->parts[idx].message = inner;
	}
	return idx;
}

int imap_mime_parse(const char *data, size_t len, struct imap_mime *m)
{
	struct buf tmp;
	*m = (struct imap_mime){ .data = data, .len = len };
	buf_init(&tmp, IMAP_COMMAND_MAX);
	int r = parse_node(m, 0, len, 0, false, &tmp);
	buf_free(&tmp);
	if (r < 0) {
		imap_mime_free(m);
		return -1;
	}
	return 0;
}

void imap_mime_free(struct imap_mime *m)
{
	for (size_t i = 0; i < m->count; i++) {
		struct imap_part *p = &m->parts[i];
		free(p->type);
		free(p->subtype);
		free(p->disposition);
		free_params(p->params, p->nparams);
		free_params(p->dparams, p->ndparams);
	}
	free(m->parts);
	*m = (struct imap_mime){ 0 };
}

/* child - the @p k-th (from 1) part of multipart node @p node. */
static int child(const struct imap_mime *m, int node, unsigned k)
{
	int c = m->parts[node].first_child;
	for (unsigned i = 1; c >= 0 && i < k; i++)
		c = m->parts[c].next;
	return k == 0 ? -1 : c;
}

int imap_mime_find(const struct imap_mime *m, const unsigned *nums, size_t n,
		   int *message_r)
{
	int node = 0;
	bool as_message = true;
	for (size_t i = 0; i < n; i++) {
		const struct imap_part *p = &m->parts[node];
		/* a message/rfc822 part: its numbers go on inside */
		if (!as_message && p->message >= 0) {
			node = p->message;
			as_message = true;
			p = &m->parts[node];
		}
		/* RFC 9051 §6.4.5: a message that is not multipart has one
		 * part, 1, its body */
		if (as_message && !p->multipart) {
			if (nums[i] != 1)
				return -1;
			as_message = false;
			continue;
		}
		if (!p->multipart || (node = child(m, node, nums[i])) < 0)
			return -1;
		as_message = false;
	}
	*message_r = as_message ? node : m->parts[node].message;
	return node;
}
