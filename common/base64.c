/*
 * base64.c - strict RFC 4648 §4 base64 (see base64.h).
 */
#include "base64.h"

#include <string.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_size(size_t len)
{
	return (len + 2) / 3 * 4 + 1;
}

size_t base64_encode(const void *data, size_t len, char *out)
{
	const unsigned char *p = data;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

/* value - the 6-bit value of one base64 character, or -1. */
static int value(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;
	return p ? (int)(p - alphabet) : -1;
}

long base64_decode(const char *in, size_t in_len, unsigned char *out)
{
	if (in_len % 4 != 0)
		return -1;
	long o = 0;
	for (size_t i = 0; i < in_len; i += 4) {
		int pad = 0;
		int v[4];
		for (int k = 0; k < 4; k++) {
			char c = in[i + k];
			/* '=' only in the last group, only in the last two places,
			 * and never followed by data (RFC 4648 §3.3) */
			if (c == '=' && i + 4 == in_len && k >= 2) {
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad > 0 || (v[k] = value(c)) < 0)
				return -1;
		}
		unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 |
			     (unsigned)v[2] << 6 | (unsigned)v[3];
		out[o++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)w;
	}
	out[o] = '\0';
	return o;
}
