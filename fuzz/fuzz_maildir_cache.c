/*
 * fuzz_maildir_cache.c - the listing cache of a folder (maildir_cache.h),
 * read from whatever bytes the file holds.
 *
 * The cache lives in the user's Maildir, where any program may write, so
 * its text is input like a message name.  A listing read from it points
 * into the mapped file for its names (format 3: each name ends in a NUL
 * before its newline), so the parser must never let a name run past the
 * end of the mapping or past its line.  The input is the file after the
 * header line of a real cache of this folder (so that the entries are
 * read, not refused at the first line), with the header's count set to
 * the input's number of lines; an input that starts with "maillab-cache"
 * is the whole file instead, header and all.  Checked, for any listing
 * the cache gives:
 *
 *   - every name is a file name of this folder: a digit first, no '/',
 *     no space or control character, at most NAME_MAX octets;
 *   - UIDs are ascending and below UIDNEXT;
 *   - a refused cache gives an empty listing, and freeing either kind
 *     leaves no mapping behind (looked at every 1,024 inputs).
 */
#include "support.h"

#include "../servers/core/maildir.h"
#include "../servers/core/maildir_cache.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *dir;
static char root[512], cache[600];
static char *header;   /* the real cache's first line, without its count */
static size_t header_len;

/* settle - make new/ and cur/ look last changed a minute ago, so that a
 * scan trusts the folder and saves its cache. */
static void settle(void)
{
	struct timespec t[2];
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= 60;
	t[1] = t[0];
	char sub[600];
	if (utimensat(AT_FDCWD, fuzz_path(root, "new", sub, sizeof(sub)), t, 0) < 0 ||
	    utimensat(AT_FDCWD, fuzz_path(root, "cur", sub, sizeof(sub)), t, 0) < 0)
		fuzz_fail("utimensat failed");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *error;
	struct maildir_list list;
	dir = fuzz_data_dir("");
	fuzz_path(dir, "Maildir", root, sizeof(root));
	fuzz_path(root, "maillab-cache", cache, sizeof(cache));
	if (maildir_create(root, &error) < 0)
		fuzz_fail("maildir_create: %s", error);
	fuzz_deliver(root, "Subject: one\n\nbody\n");
	fuzz_deliver(root, "Subject: two\n\nbody\n");
	settle();
	if (maildir_scan(root, &list, &error) < 0)
		fuzz_fail("scan: %s", error);
	maildir_list_free(&list);
	size_t len;
	header = fuzz_read_file(cache, &len);
	char *nl = header != NULL ? strchr(header, '\n') : NULL;
	char *count = nl != NULL ? memrchr(header, ' ', (size_t)(nl - header)) : NULL;
	if (count == NULL)
		fuzz_fail("no cache was saved");
	header_len = (size_t)(count + 1 - header); /* up to the count */
	return 0;
}

/* mappings - how many mappings of a cache file this process has. */
static int mappings(void)
{
	char line[PATH_MAX + 256];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, "/maillab-cache") != NULL;
	if (f != NULL)
		fclose(f);
	return n;
}

static void check(const struct maildir_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct maildir_msg *m = &list->msgs[i];
		size_t n = strnlen(m->name, NAME_MAX + 1);
		if (!m->name_mapped)
			fuzz_fail("name %zu of a cached listing was copied", i);
		if (n == 0 || n > NAME_MAX || m->name[0] < '0' || m->name[0] > '9')
			fuzz_fail("name %zu is not a message's (%zu octets)", i, n);
		for (size_t k = 0; k < n; k++)
			if ((unsigned char)m->name[k] <= ' ' || m->name[k] == '/' ||
			    m->name[k] == 0x7f)
				fuzz_fail("name %zu has octet %#x", i,
					  (unsigned char)m->name[k]);
		if ((i > 0 && m->uid <= list->msgs[i - 1].uid) ||
		    m->uid >= list->uidnext)
			fuzz_fail("UID %u out of order", m->uid);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long runs;
	struct maildir_stamp stamp;
	struct maildir_list list;
	if (size >= 13 && memcmp(data, "maillab-cache", 13) == 0) {
		fuzz_write_file(cache, data, size);
	} else {
		size_t lines = 0;
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		char *text = malloc(header_len + 32 + size);
		if (text == NULL)
			return 0;
		int n = snprintf(text, header_len + 32, "%.*s%zu\n",
				 (int)header_len, header, lines);
		memcpy(text + n, data, size);
		fuzz_write_file(cache, text, (size_t)n + size);
		free(text);
	}
	if (maildir_stamp_read(root, &stamp) < 0)
		fuzz_fail("stamp_read failed");
	enum maildir_cached got = maildir_cache_load(root, &stamp, &list);
	if (got == MAILDIR_CACHED_NONE &&
	    (list.count != 0 || list.msgs != NULL || list.names != NULL))
		fuzz_fail("a refused cache left a listing");
	check(&list);
	maildir_list_free(&list);
	if (++runs % 1024 == 0 && mappings() != 0)
		fuzz_fail("a freed listing left its cache mapped");
	return 0;
}
