/*
 * fixture.c - temporary directories and files for the unit tests.
 */
#define _XOPEN_SOURCE 700
#include "fixture.h"

#include "../../servers/core/maildir.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *fixture_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof(tmpl), "%s/maillab-unit-XXXXXX",
		 base && *base ? base : "/tmp");
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		abort();
	}
	return strdup(tmpl);
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

void fixture_rmtree(const char *path)
{
	/* Only ever called on our own mkdtemp() directories. */
	if (path != NULL && strstr(path, "maillab-unit-") != NULL)
		nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fixture_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

char *fixture_read_file(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, len = 0;
	char *data = malloc(cap + 1);
	size_t n;
	while ((n = fread(data + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			data = realloc(data, cap + 1);
		}
	}
	fclose(f);
	data[len] = '\0';
	if (len_r)
		*len_r = len;
	return data;
}

const char *fixture_flags(const struct maildir_msg *m)
{
	static char flags[MAILDIR_FLAGS_MAX + 1];
	maildir_msg_flags(m, flags);
	return flags;
}
