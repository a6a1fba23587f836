/*
 * fuzz_imap_parser.c - the IMAP command parser, with literals.
 *
 * RFC 9051 §2.2 and §4.3: an IMAP command is not a line; any argument may
 * be a literal "{n}" or "{n+}" (RFC 7888) followed by n octets of
 * anything, so the parser tokenizes as bytes come and says "need more"
 * until a whole command is there (imap_parser.h).
 *
 * The promise this target checks is the one that makes that work over a
 * real socket: how the bytes are split must not matter.  Every input is
 * parsed twice, once handed over in one piece and once a byte at a time
 * (Dovecot's test-imap-parser does the same), and the two readings must
 * give the same commands, the same continuation requests and the same
 * errors.  Each finished command's tree is also walked, checking that
 * every string is NUL-terminated at its stated length and that nesting
 * stays within IMAP_LIST_DEPTH_MAX.
 */
#include "support.h"

#include "../common/buf.h"
#include "../servers/imap/imap_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* describe - one argument tree, as text, checking it on the way. */
static void describe(const struct imap_arg *args, size_t n, int depth,
		     struct buf *out)
{
	if (depth > IMAP_LIST_DEPTH_MAX)
		fuzz_fail("lists nested %d deep", depth);
	for (size_t i = 0; i < n; i++) {
		const struct imap_arg *a = &args[i];
		if (a->type == IMAP_ARG_LIST) {
			buf_puts(out, "(");
			describe(a->list, a->count, depth + 1, out);
			buf_puts(out, ")");
			continue;
		}
		if (a->str[a->len] != '\0')
			fuzz_fail("a string is not NUL-terminated");
		buf_printf(out, "%c%zu:", a->type == IMAP_ARG_ATOM ? 'a'
			   : a->literal ? 'l' : 'q', a->len);
		buf_append(out, a->str, a->len);
	}
}

/* parse - the whole input in pieces of @step octets; the results, one
 * line each, go into @log. */
static void parse(const uint8_t *data, size_t size, size_t step,
		  struct buf *log)
{
	struct imap_parser p;
	imap_parser_init(&p);
	size_t pos = 0;
	while (pos < size) {
		size_t len = size - pos < step ? size - pos : step;
		enum imap_parse_status st;
		size_t used = imap_parser_feed(&p, data + pos, len, &st);
		if (used == 0 || used > len)
			fuzz_fail("feed consumed %zu of %zu octets", used, len);
		pos += used;
		if (st == IMAP_PARSE_LITERAL) {
			buf_puts(log, "+\n");
		} else if (st == IMAP_PARSE_DONE) {
			buf_printf(log, "done %s ", p.tag);
			describe(p.args, p.nargs, 0, log);
			buf_puts(log, "\n");
		} else if (st == IMAP_PARSE_ERROR) {
			buf_printf(log, "error %d %s %s\n", (int)p.error,
				   p.tag != NULL ? p.tag : "*", p.error_text);
		}
	}
	buf_printf(log, "left %llu busy %d\n",
		   (unsigned long long)imap_parser_literal_left(&p),
		   (int)imap_parser_busy(&p));
	imap_parser_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole, bytes;
	buf_init(&whole, 64 * 1024 * 1024);
	buf_init(&bytes, 64 * 1024 * 1024);
	parse(data, size, size ? size : 1, &whole);
	parse(data, size, 1, &bytes);
	if (whole.len != bytes.len || memcmp(whole.data, bytes.data, whole.len))
		fuzz_fail("split input read differently:\n%s---\n%s",
			  whole.data, bytes.data);
	buf_free(&whole);
	buf_free(&bytes);
	return 0;
}
