/*
 * imap_mutf7.c - modified UTF-7 both ways (see imap_mutf7.h).
 *
 * RFC 3501 §5.1.3 in short: printable ASCII 0x20-0x7e is itself, '&' is
 * "&-", every other character goes into a run "&" modified-base64 "-" of
 * its UTF-16 code units (RFC 2152's UTF-7 with ',' for '/' and no '='
 * padding).  Characters above U+FFFF become surrogate pairs first.
 */
#include "imap_mutf7.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64_value(char c)
{
	const char *p = c != '\0' ? strchr(alphabet, c) : NULL;
	return p != NULL ? (int)(p - alphabet) : -1;
}

/* A bounded output cursor. */
struct out {
	char *p;
	size_t left;
};

static bool emit(struct out *o, char c)
{
	if (o->left <= 1)
		return false;
	*o->p++ = c;
	o->left--;
	*o->p = '\0';
	return true;
}

static bool emit_utf8(struct out *o, uint32_t cp)
{
	if (cp < 0x80)
		return emit(o, (char)cp);
	if (cp < 0x800)
		return emit(o, (char)(0xc0 | cp >> 6)) &&
		       emit(o, (char)(0x80 | (cp & 0x3f)));
	if (cp < 0x10000)
		return emit(o, (char)(0xe0 | cp >> 12)) &&
		       emit(o, (char)(0x80 | ((cp >> 6) & 0x3f))) &&
		       emit(o, (char)(0x80 | (cp & 0x3f)));
	return emit(o, (char)(0xf0 | cp >> 18)) &&
	       emit(o, (char)(0x80 | ((cp >> 12) & 0x3f))) &&
	       emit(o, (char)(0x80 | ((cp >> 6) & 0x3f))) &&
	       emit(o, (char)(0x80 | (cp & 0x3f)));
}

/* decode_run - the base64 part of "&...-" (from *pp, up to the '-'),
 * as UTF-16 turned into UTF-8.  Advances *pp past the '-'. */
static int decode_run(const char **pp, struct out *o)
{
	const char *p = *pp;
	uint32_t bits = 0, high = 0;
	int nbits = 0;
	bool any = false;
	for (; *p != '-'; p++) {
		int v = b64_value(*p);
		if (v < 0)
			return -1;
		bits = bits << 6 | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t unit = (bits >> nbits) & 0xffff;
		bits &= (1u << nbits) - 1;
		any = true;
		if (unit >= 0xd800 && unit < 0xdc00) {
			if (high != 0)
				return -1;
			high = unit;
			continue;
		}
		uint32_t cp = unit;
		if (unit >= 0xdc00 && unit < 0xe000) {
			if (high == 0)
				return -1;
			cp = 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00);
			high = 0;
		} else if (high != 0) {
			return -1;
		}
		/* printable ASCII must not be encoded (only one spelling);
		 * U+0000 would end the name as a C string, so "&AAA...-" and
		 * a shorter name would be one mailbox (found by
		 * fuzz/fuzz_imap_mutf7.c, fuzz/regress/imap_mutf7/) */
		if ((cp >= 0x20 && cp <= 0x7e) || cp == 0 || !emit_utf8(o, cp))
			return -1;
	}
	/* leftover bits must be padding zeros, fewer than 6 of them used */
	if (!any || high != 0 || nbits >= 6 || bits != 0)
		return -1;
	*pp = p + 1;
	return 0;
}

int imap_mutf7_decode(const char *in, char *out, size_t size)
{
	struct out o = { out, size };
	if (size == 0)
		return -1;
	out[0] = '\0';
	for (const char *p = in; *p != '\0';) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c > 0x7e)
			return -1;
		if (c != '&') {
			if (!emit(&o, (char)c))
				return -1;
			p++;
		} else if (p[1] == '-') {
			if (!emit(&o, '&'))
				return -1;
			p += 2;
		} else {
			p++;
			if (decode_run(&p, &o) < 0)
				return -1;
			/* two runs in a row would be a second spelling */
			if (*p == '&' && p[1] != '-')
				return -1;
		}
	}
	return 0;
}

/* next_cp - one UTF-8 character (well-formed, shortest form); 0 at end,
 * -1 if invalid. */
static int next_cp(const unsigned char **pp, uint32_t *cp)
{
	const unsigned char *p = *pp;
	/* RFC 3629 §4: lead octets are C2-DF, E0-EF and F0-F4; F5-FF never
	 * start a character (once they were read as a 3-octet lead, and a
	 * name that is not UTF-8 was encoded as if it were) */
	int n = p[0] < 0x80 ? 0 : p[0] >= 0xf0 && p[0] < 0xf5 ? 3
		: p[0] >= 0xe0 && p[0] < 0xf0 ? 2
		: p[0] >= 0xc2 && p[0] < 0xe0 ? 1 : -1;
	if (n < 0)
		return -1;
	uint32_t v = n == 0 ? p[0] : p[0] & (0x3f >> n);
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		v = v << 6 | (p[i] & 0x3f);
	}
	static const uint32_t least[] = { 0, 0x80, 0x800, 0x10000 };
	if (v < least[n] || v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
		return -1;
	*cp = v;
	*pp = p + n + 1;
	return 1;
}

/* A base64 encoder of 16-bit units into the output. */
struct enc {
	uint32_t bits;
	int nbits;
};

static bool enc_unit(struct enc *e, struct out *o, uint32_t unit)
{
	e->bits = e->bits << 16 | unit;
	e->nbits += 16;
	while (e->nbits >= 6) {
		e->nbits -= 6;
		if (!emit(o, alphabet[(e->bits >> e->nbits) & 0x3f]))
			return false;
	}
	e->bits &= (1u << e->nbits) - 1;
	return true;
}

static bool enc_close(struct enc *e, struct out *o)
{
	if (e->nbits > 0 &&
	    !emit(o, alphabet[(e->bits << (6 - e->nbits)) & 0x3f]))
		return false;
	*e = (struct enc){ 0 };
	return emit(o, '-');
}

int imap_mutf7_encode(const char *in, char *out, size_t size)
{
	struct out o = { out, size };
	struct enc e = { 0 };
	bool in_run = false;
	if (size == 0)
		return -1;
	out[0] = '\0';
	const unsigned char *p = (const unsigned char *)in;
	while (*p != '\0') {
		uint32_t cp;
		if (next_cp(&p, &cp) < 0)
			return -1;
		bool direct = cp >= 0x20 && cp <= 0x7e;
		if (direct && in_run) {
			if (!enc_close(&e, &o))
				return -1;
			in_run = false;
		}
		if (direct) {
			if (!emit(&o, (char)cp) || (cp == '&' && !emit(&o, '-')))
				return -1;
			continue;
		}
		if (!in_run && !emit(&o, '&'))
			return -1;
		in_run = true;
		bool ok = cp < 0x10000
			? enc_unit(&e, &o, cp)
			: enc_unit(&e, &o, 0xd800 + ((cp - 0x10000) >> 10)) &&
			  enc_unit(&e, &o, 0xdc00 + ((cp - 0x10000) & 0x3ff));
		if (!ok)
			return -1;
	}
	return in_run && !enc_close(&e, &o) ? -1 : 0;
}
