/*
 * fuzz_imap_search.c - SEARCH keys and sequence sets.
 *
 * Two parsers that turn client text into sets of messages (RFC 9051
 * §6.4.4 SEARCH, §9 sequence-set).  The first byte chooses:
 *
 *   even  the rest is a sequence set, parsed with '*' standing for a
 *         number the next byte gives.  Checked: the ranges come back
 *         sorted, apart and non-empty; membership agrees with the ranges;
 *         and a set written back with imap_seqset_format() (as COPYUID
 *         writes UID sets) reads back as the same set.
 *
 *   odd   the rest is the argument list of "UID SEARCH", run by the real
 *         core on bob's INBOX opened read-only with EXAMINE: the keys, the
 *         dates, the strings and literals, NOT/OR nesting, and the search
 *         through three messages (one of them MIME).  The input is fed as
 *         the session glue feeds it (lines, and the octets of literals);
 *         any command after the SEARCH is not run, so the input cannot
 *         change the mailbox under the next one.
 */
#include "support.h"

#include "../proto/limits.h"
#include "../servers/imap/imap_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set once by LLVMFuzzerInitialize(): a fuzz target has no context. */
static const char *dir;
static char maildir[512];
static struct imap_config cfg;
static const struct trace quiet = { "imap", 1, -1 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = fuzz_data_dir("bob:{PLAIN}builder\n");
	static char users[512];
	fuzz_path(dir, "users", users, sizeof(users));
	fuzz_path(dir, "mail/bob/Maildir", maildir, sizeof(maildir));
	fuzz_deliver(maildir, "From: Alice <alice@maillab.test>\nTo: bob@maillab"
		     ".test\nSubject: =?UTF-8?Q?caf=C3=A9?=\nDate: Mon, 02 Nov "
		     "2026 09:00:00 +0000\n\nHello Bob\n");
	fuzz_deliver(maildir, "From: carol@maillab.test\nSubject: parts\n"
		     "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
		     "boundary=b\n\n--b\nContent-Type: text/plain\n\none\n--b\n"
		     "Content-Type: text/plain; charset=utf-8\n"
		     "Content-Transfer-Encoding: base64\n\nd8O2cmxk\n--b--\n");
	fuzz_deliver(maildir, "Subject: third\n\n.\n");
	cfg = (struct imap_config){
		.hostname = "imap.maillab.test", .data_dir = dir,
		.users_file = users, .cleartext_allowed = true,
	};
	return 0;
}

/* ---- sequence sets ------------------------------------------------------ */

static void seqset(const char *text, uint32_t star)
{
	struct imap_seqset set;
	const char *error;
	if (imap_seqset_parse(text, star, &set, &error) < 0)
		return;
	uint32_t prev = 0;
	size_t members = 0;
	for (size_t i = 0; i < set.count; i++) {
		const struct imap_range *r = &set.ranges[i];
		/* '*' in an empty mailbox is 0 (imap_seqset.h), the one way
		 * a 0 can be in a set */
		bool zero_ok = set.has_star && star == 0;
		if ((r->lo == 0 && !zero_ok) || r->lo > r->hi ||
		    (i > 0 && r->lo <= prev))
			fuzz_fail("range %u:%u after %u in \"%s\"", r->lo, r->hi,
				  prev, text);
		if (!imap_seqset_contains(&set, r->lo) ||
		    !imap_seqset_contains(&set, r->hi) ||
		    (r->lo > 1 && (i == 0 || r->lo - 1 > prev) &&
		     imap_seqset_contains(&set, r->lo - 1)))
			fuzz_fail("membership disagrees with \"%s\"", text);
		members += r->hi - r->lo + 1;
		prev = r->hi;
	}
	if (set.count > 0 && imap_seqset_max(&set) != prev)
		fuzz_fail("max of \"%s\" is %u", text, imap_seqset_max(&set));
	if (members > 0 && members <= 4096 && set.ranges[0].lo > 0) {
		uint32_t *nums = malloc(members * sizeof(*nums));
		size_t n = 0;
		for (size_t i = 0; i < set.count; i++)
			for (uint32_t u = set.ranges[i].lo;; u++) {
				nums[n++] = u;
				if (u == set.ranges[i].hi)
					break;
			}
		struct buf out;
		buf_init(&out, 1024 * 1024);
		imap_seqset_format(nums, n, &out);
		struct imap_seqset back;
		if (imap_seqset_parse(out.data, star, &back, &error) < 0 ||
		    back.count != set.count ||
		    memcmp(back.ranges, set.ranges,
			   set.count * sizeof(*set.ranges)) != 0)
			fuzz_fail("\"%s\" written as \"%s\" reads differently",
				  text, out.data);
		imap_seqset_free(&back);
		buf_free(&out);
		free(nums);
	}
	imap_seqset_free(&set);
}

/* ---- SEARCH through the core -------------------------------------------- */

static void feed(struct imap_session *s, const char *data, size_t len,
		 struct buf *out)
{
	bool slow;
	imap_feed(s, data, len, out, &slow);
	if (out->overflow)
		fuzz_fail("reply passed the output limit");
	buf_reset(out);
}

static void search(const uint8_t *data, size_t size)
{
	struct imap_session *s = imap_session_new(&cfg, &quiet, false);
	struct buf out, cmd;
	buf_init(&out, 4 * 1024 * 1024);
	buf_init(&cmd, size + 32);
	imap_greeting(s, &out);
	static const char login[] = "a LOGIN bob builder\r\nb EXAMINE INBOX\r\n";
	feed(s, login, strlen(login), &out);
	if (imap_session_state(s) != IMAP_SELECTED)
		fuzz_fail("EXAMINE INBOX did not select it");
	buf_puts(&cmd, "c UID SEARCH ");
	buf_append(&cmd, data, size);
	struct fuzz_lines fl;
	fuzz_lines_init(&fl, (const uint8_t *)cmd.data, cmd.len, IMAP_LINE_MAX);
	/* one command: stop once the parser is done with it, run or not */
	for (bool first = true; first || imap_parser_busy(&s->parser);
	     first = false) {
		uint64_t left = imap_literal_left(s);
		const char *raw;
		char *line;
		size_t len;
		unsigned flags;
		if (left > 0) {
			len = fuzz_lines_take(&fl, left < 65536 ? left : 65536,
					      &raw);
			if (len == 0)
				break;
			feed(s, raw, len, &out);
			continue;
		}
		enum linebuf_result r = fuzz_lines_next(&fl, &line, &len, &flags);
		if (r == LINEBUF_NEED_MORE)
			break;
		if (r == LINEBUF_TOO_LONG) {
			imap_line_too_long(s, line, len, &out);
			buf_reset(&out);
			continue;
		}
		/* the glue gives the line end back (the framing cut it off
		 * where it stood, so it fits) */
		bool bare = flags & LINEBUF_BARE_LF;
		memcpy(line + len, bare ? "\n" : "\r\n", bare ? 1 : 2);
		feed(s, line, len + (bare ? 1 : 2), &out);
	}
	fuzz_lines_free(&fl);
	imap_session_free(s);
	buf_free(&out);
	buf_free(&cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (data[0] & 1) {
		search(data + 1, size - 1);
		return 0;
	}
	char *text = strndup((const char *)data + 2, size - 2);
	seqset(text, data[1] * 16u);
	free(text);
	return 0;
}
