/*
 * smtp_queue.c - the relay queue's files (see smtp_queue.h for the layout
 * and the rules that make it survive a crash).
 *
 * The envelope is a small text file rather than a binary record so that a
 * learner can `cat` the files in DATA/queue/env/ and see what the runner is waiting
 * for, and why (its last error).
 */
#include "smtp_queue.h"

#include "../../common/buf.h"
#include "../../common/fdio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* Largest envelope file: every recipient and field with room to spare. */
#define ENV_TEXT_MAX ((SMTP_RCPT_MAX + 10) * (SMTP_PATH_MAX + 16))
/* A data/ file without an envelope this old is a crash's leftover. */
#define ORPHAN_AGE_S 3600

/* sys_error - "what: strerror(errno)"; like strerror(), the text lives
 * until the next call (each process handles one thing at a time). */
static const char *sys_error(const char *what)
{
	static char msg[256];
	int e = errno;
	size_t n = strlen(what);
	/* the end of a long path says more than its start */
	const char *tail = n > 160 ? what + n - 160 : what;
	snprintf(msg, sizeof(msg), "%.160s: %.80s", tail, strerror(e));
	return msg;
}

/* pathf - build a path into @out (PATH_MAX bytes).  A path that does not
 * fit is cut short, and the open() or rename() that follows then fails
 * with a clear error instead of touching another file. */
static void pathf(char *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void pathf(char *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
}

int smtp_queue_init(const char *queue_dir, const char **error_r)
{
	static const char *const subs[] = { "", "/tmp", "/data", "/env" };
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		pathf(path, "%s%s", queue_dir, subs[i]);
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*error_r = sys_error(path);
			return -1;
		}
	}
	return 0;
}

/* fsync_dir - make a rename or unlink in @dir durable. */
static int fsync_dir(const char *dir, const char **error_r)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		*error_r = sys_error(dir);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* put_file - QUEUE/tmp/ID.SUB -> write -> fsync -> rename to QUEUE/SUB/ID
 * -> fsync QUEUE/SUB. */
static int put_file(const char *queue_dir, const char *sub, const char *id,
		    const char *data, size_t len, const char **error_r)
{
	char tmp[PATH_MAX], final[PATH_MAX], dir[PATH_MAX];
	pathf(tmp, "%s/tmp/%s.%s", queue_dir, id, sub);
	pathf(dir, "%s/%s", queue_dir, sub);
	pathf(final, "%s/%s", dir, id);
	/* a data/ file is new: an existing one would be an id collision */
	int excl = strcmp(sub, "data") == 0 && access(final, F_OK) == 0;
	int fd = excl ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				  0600);
	if (excl)
		errno = EEXIST;
	if (fd < 0) {
		*error_r = sys_error(tmp);
		return -1;
	}
	if (fd_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		*error_r = sys_error(tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, final) < 0) {
		*error_r = sys_error(final);
		unlink(tmp);
		return -1;
	}
	return fsync_dir(dir, error_r);
}

int smtp_envelope_format(const struct smtp_envelope *env, char **text_r)
{
	struct buf b;
	buf_init(&b, ENV_TEXT_MAX);
	buf_printf(&b, "maillab-queue 1\nfrom %s\ncreated %lld\nattempts %u\n"
		   "next %lld\nbody %s\nsmtputf8 %s\nerror %s\n", env->from,
		   (long long)env->created, env->attempts,
		   (long long)env->next_try, env->body_8bit ? "8bitmime" : "7bit",
		   env->smtputf8 ? "yes" : "no", env->last_error);
	for (size_t i = 0; i < env->nrcpt; i++)
		buf_printf(&b, "rcpt %s\n", env->rcpts[i]);
	if (b.overflow) {
		buf_free(&b);
		return -1;
	}
	*text_r = b.data;
	return 0;
}

/* field - one "key value" line into @env; -1 if the key is unknown. */
static int field(struct smtp_envelope *env, const char *key, const char *val)
{
	if (strcmp(key, "from") == 0)
		snprintf(env->from, sizeof(env->from), "%s", val);
	else if (strcmp(key, "created") == 0)
		env->created = (time_t)strtoll(val, NULL, 10);
	else if (strcmp(key, "attempts") == 0)
		env->attempts = (unsigned)strtoul(val, NULL, 10);
	else if (strcmp(key, "next") == 0)
		env->next_try = (time_t)strtoll(val, NULL, 10);
	else if (strcmp(key, "body") == 0)
		env->body_8bit = strcmp(val, "8bitmime") == 0;
	else if (strcmp(key, "smtputf8") == 0)
		env->smtputf8 = strcmp(val, "yes") == 0;
	else if (strcmp(key, "error") == 0)
		snprintf(env->last_error, sizeof(env->last_error), "%s", val);
	else if (strcmp(key, "rcpt") == 0 && env->nrcpt < SMTP_RCPT_MAX)
		snprintf(env->rcpts[env->nrcpt++], SMTP_PATH_MAX + 1, "%s", val);
	else
		return -1;
	return 0;
}

int smtp_envelope_parse(const char *text, struct smtp_envelope *env,
			const char **error_r)
{
	char id[SMTP_QUEUE_ID_MAX];
	memcpy(id, env->id, sizeof(id));
	memset(env, 0, sizeof(*env));
	memcpy(env->id, id, sizeof(id));
	if (strncmp(text, "maillab-queue 1\n", 16) != 0) {
		*error_r = "not a maillab queue envelope (version 1)";
		return -1;
	}
	for (const char *p = text + 16; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		char line[SMTP_PATH_MAX + SMTP_REPLY_MAX];
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		p += n + (p[n] == '\n');
		char *sp = strchr(line, ' ');
		if (sp == NULL) {
			*error_r = "envelope line without a value";
			return -1;
		}
		*sp = '\0';
		if (field(env, line, sp + 1) < 0) {
			*error_r = "unknown envelope line";
			return -1;
		}
	}
	return 0;
}

/* new_id - "<secs>.<usecs>.<pid>.<random>": time and pid keep ids of
 * different processes apart, the random part two calls in one
 * microsecond; put_file()'s O_EXCL catches what is left. */
static void new_id(char *id)
{
	struct timeval tv;
	unsigned rnd = 0;
	gettimeofday(&tv, NULL);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (unsigned)tv.tv_usec * 2654435761u;
	snprintf(id, SMTP_QUEUE_ID_MAX, "%lld.%06ld.%ld.%08x",
		 (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), rnd);
}

int smtp_queue_save(const char *queue_dir, const struct smtp_envelope *env,
		    const char **error_r)
{
	char *text;
	if (smtp_envelope_format(env, &text) < 0) {
		*error_r = "envelope too large";
		return -1;
	}
	int r = put_file(queue_dir, "env", env->id, text, strlen(text),
			 error_r);
	free(text);
	return r;
}

int smtp_queue_add(const char *queue_dir, struct smtp_envelope *env,
		   const char *data, size_t len, const char **error_r)
{
	if (smtp_queue_init(queue_dir, error_r) < 0)
		return -1;
	new_id(env->id);
	env->created = env->next_try = time(NULL);
	env->attempts = 0;
	if (put_file(queue_dir, "data", env->id, data, len, error_r) < 0)
		return -1;
	return smtp_queue_save(queue_dir, env, error_r);
}

/* read_whole - a file into memory, NUL-terminated. */
static int read_whole(const char *path, size_t max, char **data_r,
		      size_t *len_r, const char **error_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size > max) {
		*error_r = fd < 0 ? sys_error(path) : "queue file too large";
		if (fd >= 0)
			close(fd);
		return -1;
	}
	char *data = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	ssize_t k = 1;
	while (data != NULL && got < (size_t)st.st_size && k > 0) {
		k = read(fd, data + got, (size_t)st.st_size - got);
		got += k > 0 ? (size_t)k : 0;
	}
	close(fd);
	if (data == NULL || got != (size_t)st.st_size) {
		free(data);
		*error_r = sys_error(path);
		return -1;
	}
	data[got] = '\0';
	*data_r = data;
	*len_r = got;
	return 0;
}

int smtp_queue_load(const char *queue_dir, const char *id,
		    struct smtp_envelope *env, const char **error_r)
{
	char path[PATH_MAX];
	pathf(path, "%s/env/%s", queue_dir, id);
	char *text;
	size_t len;
	if (read_whole(path, ENV_TEXT_MAX, &text, &len, error_r) < 0)
		return -1;
	snprintf(env->id, sizeof(env->id), "%s", id);
	int r = smtp_envelope_parse(text, env, error_r);
	free(text);
	return r;
}

int smtp_queue_read(const char *queue_dir, const char *id, char **data_r,
		    size_t *len_r, const char **error_r)
{
	char path[PATH_MAX];
	pathf(path, "%s/data/%s", queue_dir, id);
	return read_whole(path, MAIL_MESSAGE_MAX + 4096, data_r, len_r,
			  error_r);
}

static int remove_one(const char *queue_dir, const char *sub, const char *id,
		      const char **error_r)
{
	char dir[PATH_MAX], path[PATH_MAX];
	pathf(dir, "%s/%s", queue_dir, sub);
	pathf(path, "%s/%s", dir, id);
	if (unlink(path) < 0 && errno != ENOENT) {
		*error_r = sys_error(path);
		return -1;
	}
	return fsync_dir(dir, error_r);
}

int smtp_queue_remove(const char *queue_dir, const char *id,
		      const char **error_r)
{
	if (remove_one(queue_dir, "env", id, error_r) < 0)
		return -1;
	return remove_one(queue_dir, "data", id, error_r);
}

/* remove_orphans - data/ files whose env/ is missing and that are old
 * enough not to be an enqueue in progress. */
static void remove_orphans(const char *queue_dir)
{
	char dir[PATH_MAX], path[PATH_MAX];
	pathf(dir, "%s/data", queue_dir);
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	const char *error;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		pathf(path, "%s/env/%s", queue_dir, e->d_name);
		if (access(path, F_OK) == 0)
			continue;
		pathf(path, "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && st.st_mtime + ORPHAN_AGE_S < time(NULL))
			(void)remove_one(queue_dir, "data", e->d_name, &error);
	}
	if (d != NULL)
		closedir(d);
}

int smtp_queue_ids(const char *queue_dir, char ***ids_r, size_t *n_r,
		   const char **error_r)
{
	char dir[PATH_MAX];
	pathf(dir, "%s/env", queue_dir);
	*ids_r = NULL;
	*n_r = 0;
	DIR *d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		*error_r = sys_error(dir);
		return -1;
	}
	char **ids = calloc(SMTP_QUEUE_SCAN_MAX, sizeof(char *));
	size_t n = 0;
	struct dirent *e;
	while (ids != NULL && n < SMTP_QUEUE_SCAN_MAX && (e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && strlen(e->d_name) < SMTP_QUEUE_ID_MAX)
			ids[n++] = strdup(e->d_name);
	closedir(d);
	if (ids == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	remove_orphans(queue_dir);
	*ids_r = ids;
	*n_r = n;
	return 0;
}

void smtp_queue_ids_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}
