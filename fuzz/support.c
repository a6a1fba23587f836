/*
 * support.c - temporary data directories and line framing for the fuzz
 * targets (see support.h).
 */
#define _XOPEN_SOURCE 700
#include "support.h"

#include "../servers/core/maildir.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The data directory of this process, removed at exit.  A fuzz target is
 * a process of its own; this one global is its scratch space, set once. */
static char data_dir[256];

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

void fuzz_rmtree(const char *path)
{
	/* only ever below our own mkdtemp() directory */
	if (data_dir[0] != '\0' &&
	    strncmp(path, data_dir, strlen(data_dir)) == 0)
		nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_data_dir(void)
{
	fuzz_rmtree(data_dir);
}

const char *fuzz_path(const char *dir, const char *name, char *out,
		      size_t size)
{
	snprintf(out, size, "%s/%s", dir, name);
	return out;
}

const char *fuzz_data_dir(const char *users)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
			   : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(data_dir, sizeof(data_dir), "%s/maillab-fuzz-XXXXXX", base);
	if (mkdtemp(data_dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	atexit(remove_data_dir);
	char path[512];
	fuzz_write_file(fuzz_path(data_dir, "users", path, sizeof(path)),
			users, strlen(users));
	return data_dir;
}

void fuzz_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

char *fuzz_read_file(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, len = 0, n;
	char *data = malloc(cap + 1);
	while (data != NULL && (n = fread(data + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			char *p = realloc(data, cap + 1);
			if (p == NULL)
				free(data);
			data = p;
		}
	}
	fclose(f);
	if (data == NULL)
		abort();
	data[len] = '\0';
	if (len_r != NULL)
		*len_r = len;
	return data;
}

void fuzz_deliver(const char *maildir, const char *text)
{
	const char *error;
	char *name = NULL;
	if (maildir_create(maildir, &error) < 0 ||
	    maildir_deliver(maildir, text, strlen(text), &name, &error) < 0)
		fuzz_fail("cannot deliver into %s: %s", maildir, error);
	free(name);
}

size_t fuzz_count_messages(const char *maildir)
{
	struct maildir_list list;
	const char *error;
	if (maildir_scan(maildir, &list, &error) < 0)
		return 0;
	size_t n = list.count;
	maildir_list_free(&list);
	return n;
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz: promise broken: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

void fuzz_lines_init(struct fuzz_lines *fl, const uint8_t *data, size_t size,
		     size_t max_line)
{
	if (linebuf_init(&fl->lb, max_line) < 0)
		abort();
	fl->data = data;
	fl->left = size;
}

void fuzz_lines_free(struct fuzz_lines *fl)
{
	linebuf_free(&fl->lb);
}

/* fill - what one read() would do: as much input as there is room for. */
static bool fill(struct fuzz_lines *fl)
{
	if (fl->left == 0)
		return false;
	size_t room;
	char *dst = linebuf_space(&fl->lb, &room);
	size_t n = fl->left < room ? fl->left : room;
	memcpy(dst, fl->data, n);
	linebuf_commit(&fl->lb, n);
	fl->data += n;
	fl->left -= n;
	return true;
}

enum linebuf_result fuzz_lines_next(struct fuzz_lines *fl, char **line_r,
				    size_t *len_r, unsigned *flags_r)
{
	for (;;) {
		enum linebuf_result r = linebuf_next(&fl->lb, line_r, len_r,
						     flags_r);
		if (r != LINEBUF_NEED_MORE || !fill(fl))
			return r;
	}
}

size_t fuzz_lines_take(struct fuzz_lines *fl, size_t want,
		       const char **data_r)
{
	if (linebuf_pending(&fl->lb) == 0 && !fill(fl))
		return 0;
	return linebuf_take(&fl->lb, want, data_r);
}
