/*
 * folders.c - Maildir++ folders and subscriptions (see folders.h).
 *
 * A folder directory is ".name.with.dots" inside the user's Maildir; this
 * file converts between that and "name/with/dots" only through
 * maildir_folder_path() (name to directory) and from_dirent() (directory to
 * name), so the rules about which names are allowed live in one place.
 */
#include "folders.h"

#include "../../common/buf.h"

#include "maildir.h"
#include "maildir_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUBS_FILE "maillab-subscriptions"
#define SUBS_LOCK "maillab-subscriptions.lock"
/* Maildir++ marks a folder with an empty file of this name, so that
 * delivery agents know they deliver into a folder, not a user's INBOX. */
#define FOLDER_MARK "maildirfolder"
/* Subscribed names we keep; more is surely a runaway client. */
#define SUBS_MAX 10000
/* Open directories nftw() may hold while removing a folder. */
#define RMTREE_FDS 8

static bool is_maildir(const char *path)
{
	char cur[PATH_MAX];
	struct stat st;
	return snprintf(cur, sizeof(cur), "%s/cur", path) < (int)sizeof(cur) &&
	       stat(cur, &st) == 0 && S_ISDIR(st.st_mode);
}

bool folders_exists(const char *root, const char *name)
{
	char *path = maildir_folder_path(root, name);
	bool ok = path != NULL && is_maildir(path);
	free(path);
	return ok;
}

/* ---- listing ---------------------------------------------------------- */

static int add(struct folder_list *l, size_t *cap, const char *name,
	       bool selectable)
{
	for (size_t i = 0; i < l->count; i++) {
		if (strcmp(l->items[i].name, name) == 0) {
			l->items[i].selectable |= selectable;
			return 0;
		}
	}
	if (l->count == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		void *p = reallocarray(l->items, n, sizeof(*l->items));
		if (p == NULL)
			return -1;
		l->items = p;
		*cap = n;
	}
	char *copy = strdup(name);
	if (copy == NULL)
		return -1;
	l->items[l->count++] = (struct folder_info){ copy, selectable, false };
	return 0;
}

/* from_dirent - ".a.b" -> "a/b", or NULL for anything that is not a
 * folder name maildir_folder_path() would give back. */
static char *from_dirent(const char *root, const char *d_name)
{
	if (d_name[0] != '.' || d_name[1] == '\0' || d_name[1] == '.')
		return NULL;
	char *name = strdup(d_name + 1);
	if (name == NULL)
		return NULL;
	for (char *p = name; *p != '\0'; p++)
		if (*p == '.')
			*p = '/';
	char *check = maildir_folder_path(root, name);
	bool ok = check != NULL && strcmp(check + strlen(root) + 1, d_name) == 0;
	free(check);
	if (!ok || strcasecmp(name, "INBOX") == 0) {
		free(name);
		return NULL;
	}
	return name;
}

/* add_parents - "a/b/c" brings "a" and "a/b" (not selectable unless they
 * are folders themselves, which a later or earlier add() records). */
static int add_parents(struct folder_list *l, size_t *cap, const char *name)
{
	char buf[NAME_MAX + 1];
	snprintf(buf, sizeof(buf), "%s", name);
	for (char *p = strchr(buf, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (add(l, cap, buf, false) < 0)
			return -1;
		*p = '/';
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const struct folder_info *x = a, *y = b;
	bool xi = strcmp(x->name, "INBOX") == 0, yi = strcmp(y->name, "INBOX") == 0;
	if (xi != yi)
		return xi ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void mark_children(struct folder_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		size_t n = strlen(l->items[i].name);
		for (size_t j = 0; j < l->count && !l->items[i].has_children; j++)
			l->items[i].has_children =
				strncmp(l->items[j].name, l->items[i].name, n) == 0 &&
				l->items[j].name[n] == '/';
	}
}

int folders_list(const char *root, struct folder_list *list,
		 const char **error_r)
{
	size_t cap = 0;
	*list = (struct folder_list){ 0 };
	DIR *d = opendir(root);
	if (d == NULL) {
		*error_r = maildir_sys_error("open Maildir");
		return -1;
	}
	int ret = add(list, &cap, "INBOX", true);
	struct dirent *de;
	while (ret == 0 && (de = readdir(d)) != NULL) {
		char *name = from_dirent(root, de->d_name);
		if (name == NULL)
			continue;
		char *path = maildir_folder_path(root, name);
		if (path != NULL && is_maildir(path))
			ret = add(list, &cap, name, true) < 0 ||
			      add_parents(list, &cap, name) < 0 ? -1 : 0;
		free(path);
		free(name);
	}
	closedir(d);
	if (ret < 0) {
		*error_r = "out of memory";
		folders_list_free(list);
		return -1;
	}
	qsort(list->items, list->count, sizeof(*list->items), by_name);
	mark_children(list);
	return 0;
}

void folders_list_free(struct folder_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].name);
	free(list->items);
	*list = (struct folder_list){ 0 };
}

/* ---- create, delete, rename ------------------------------------------- */

/* make_folder - one Maildir++ folder: the Maildir and its marker file. */
static int make_folder(const char *path, const char **error_r)
{
	char mark[PATH_MAX];
	if (maildir_create(path, error_r) < 0 ||
	    maildir_make_path(mark, error_r, "%s/" FOLDER_MARK, path) < 0)
		return -1;
	int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		*error_r = maildir_sys_error("create maildirfolder");
		return -1;
	}
	close(fd);
	return 0;
}

/* make_parents - RFC 9051 §6.3.4: the server SHOULD create the superior
 * names a CREATE needs; we make them real folders. */
static int make_parents(const char *root, const char *name,
			const char **error_r)
{
	char buf[NAME_MAX + 1];
	snprintf(buf, sizeof(buf), "%s", name);
	for (char *p = strchr(buf, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		char *path = maildir_folder_path(root, buf);
		int r = path == NULL ? -1
			: is_maildir(path) ? 0 : make_folder(path, error_r);
		if (path == NULL)
			*error_r = "invalid mailbox name";
		free(path);
		*p = '/';
		if (r < 0)
			return -1;
	}
	return 0;
}

int folders_create(const char *root, const char *name, const char **error_r)
{
	char *path = maildir_folder_path(root, name);
	int r = -1;
	if (path == NULL)
		*error_r = "invalid mailbox name";
	else if (is_maildir(path))
		r = FOLDERS_EXISTS;
	else if (make_parents(root, name, error_r) == 0)
		r = make_folder(path, error_r);
	free(path);
	return r;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* away - move @p path into a new directory of its own under @p root,
 * named so that no listing takes it for a folder; @p trash gets it. */
static int away(const char *root, const char *path, char *trash,
		const char **error_r)
{
	char moved[PATH_MAX];
	/* mkdtemp() makes a directory no one else has, without a counter */
	if (maildir_make_path(trash, error_r, "%s/maillab-deleted.XXXXXX",
			      root) < 0)
		return -1;
	if (mkdtemp(trash) == NULL) {
		*error_r = maildir_sys_error("create directory for deletion");
		return -1;
	}
	if (maildir_make_path(moved, error_r, "%s/folder", trash) < 0 ||
	    rename(path, moved) < 0) {
		*error_r = maildir_sys_error("move folder away");
		rmdir(trash);
		return -1;
	}
	return 0;
}

int folders_delete(const char *root, const char *name, const char **error_r)
{
	char trash[PATH_MAX];
	char *path = maildir_folder_path(root, name);
	int r = -1;
	if (path == NULL)
		*error_r = "invalid mailbox name";
	else if (!is_maildir(path))
		r = FOLDERS_MISSING;
	else if (away(root, path, trash, error_r) == 0) {
		/* the folder is already gone from every listing */
		r = nftw(trash, remove_entry, RMTREE_FDS, FTW_DEPTH | FTW_PHYS);
		if (r != 0)
			*error_r = maildir_sys_error("remove deleted folder");
	}
	free(path);
	return r == 0 ? 0 : r == FOLDERS_MISSING ? FOLDERS_MISSING : -1;
}

/* move_messages - every message of @from's cur/ and new/ into @to's. */
static int move_messages(const char *from, const char *to, const char **error_r)
{
	static const char *const subs[] = { "new", "cur" };
	for (size_t i = 0; i < 2; i++) {
		char src[PATH_MAX], dst[PATH_MAX];
		if (maildir_make_path(src, error_r, "%s/%s", from, subs[i]) < 0)
			return -1;
		DIR *d = opendir(src);
		if (d == NULL) {
			*error_r = maildir_sys_error("open INBOX");
			return -1;
		}
		struct dirent *de;
		int r = 0;
		while (r == 0 && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (maildir_make_path(src, error_r, "%s/%s/%s", from, subs[i], de->d_name) < 0 ||
			    maildir_make_path(dst, error_r, "%s/%s/%s", to, subs[i], de->d_name) < 0)
				r = -1;
			else if (rename(src, dst) < 0 && errno != ENOENT) {
				*error_r = maildir_sys_error("move message");
				r = -1;
			}
		}
		closedir(d);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* rename_inbox - RFC 9051 §6.3.6: the messages move to the new name,
 * INBOX stays, empty; folders below INBOX are not renamed. */
static int rename_inbox(const char *root, const char *to, const char **error_r)
{
	int r = folders_create(root, to, error_r);
	if (r != 0)
		return r;
	char *path = maildir_folder_path(root, to);
	r = path != NULL ? move_messages(root, path, error_r) : -1;
	free(path);
	return r;
}

/* rename_children - ".from.x" -> ".to.x" for every child of from. */
static int rename_children(const char *root, const char *from_dir,
			   const char *to_dir, const char **error_r)
{
	size_t n = strlen(from_dir);
	DIR *d = opendir(root);
	if (d == NULL) {
		*error_r = maildir_sys_error("open Maildir");
		return -1;
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d)) != NULL) {
		char src[PATH_MAX], dst[PATH_MAX];
		if (strncmp(de->d_name, from_dir, n) != 0 || de->d_name[n] != '.')
			continue;
		if (maildir_make_path(src, error_r, "%s/%s", root, de->d_name) < 0 ||
		    maildir_make_path(dst, error_r, "%s/%s%s", root, to_dir,
				      de->d_name + n) < 0)
			r = -1;
		else if (rename(src, dst) < 0) {
			*error_r = maildir_sys_error("rename child folder");
			r = -1;
		}
	}
	closedir(d);
	return r;
}

int folders_rename(const char *root, const char *from, const char *to,
		   const char **error_r)
{
	if (strcasecmp(from, "INBOX") == 0)
		return rename_inbox(root, to, error_r);
	char *src = maildir_folder_path(root, from);
	char *dst = maildir_folder_path(root, to);
	size_t n = strlen(from);
	int r = -1;
	if (src == NULL || dst == NULL || strcasecmp(to, "INBOX") == 0)
		*error_r = "invalid mailbox name";
	else if (!is_maildir(src))
		r = FOLDERS_MISSING;
	else if (is_maildir(dst))
		r = FOLDERS_EXISTS;
	else if (strncmp(to, from, n) == 0 && to[n] == '/')
		*error_r = "cannot move a mailbox into itself";
	else if (make_parents(root, to, error_r) == 0 &&
		 rename_children(root, strrchr(src, '/') + 1,
				 strrchr(dst, '/') + 1, error_r) == 0) {
		r = rename(src, dst) == 0 ? 0 : -1;
		if (r < 0)
			*error_r = maildir_sys_error("rename folder");
	}
	free(src);
	free(dst);
	return r;
}

/* ---- subscriptions ---------------------------------------------------- */

int folders_subscriptions(const char *root, struct folder_list *list,
			  const char **error_r)
{
	char path[PATH_MAX], line[NAME_MAX + 2];
	size_t cap = 0;
	*list = (struct folder_list){ 0 };
	if (maildir_make_path(path, error_r, "%s/" SUBS_FILE, root) < 0)
		return -1;
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		*error_r = maildir_sys_error("open subscriptions");
		return -1;
	}
	int r = 0;
	while (r == 0 && list->count < SUBS_MAX &&
	       fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0')
			r = add(list, &cap, line, true);
	}
	fclose(f);
	if (r < 0) {
		*error_r = "out of memory";
		folders_list_free(list);
	}
	return r;
}

static int save_subscriptions(const char *root, const struct folder_list *l,
			      const char **error_r)
{
	struct buf text;
	buf_init(&text, (size_t)l->count * (NAME_MAX + 2) + 1);
	for (size_t i = 0; i < l->count; i++)
		if (l->items[i].name[0] != '\0')
			buf_printf(&text, "%s\n", l->items[i].name);
	int r = maildir_replace_file(root, SUBS_FILE, text.data ? text.data : "",
				     text.len, false, error_r);
	buf_free(&text);
	return r;
}

int folders_subscribe(const char *root, const char *name, bool on,
		      const char **error_r)
{
	char lock_path[PATH_MAX];
	struct folder_list l;
	if (strchr(name, '\n') != NULL || strlen(name) > NAME_MAX) {
		*error_r = "invalid mailbox name";
		return -1;
	}
	if (maildir_make_path(lock_path, error_r, "%s/" SUBS_LOCK, root) < 0)
		return -1;
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		*error_r = maildir_sys_error("lock subscriptions");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int r = folders_subscriptions(root, &l, error_r);
	if (r == 0) {
		size_t cap = l.count, i;
		for (i = 0; i < l.count && strcmp(l.items[i].name, name) != 0; i++)
			;
		if (on && i == l.count)
			r = add(&l, &cap, name, true);
		else if (!on && i < l.count)
			l.items[i].name[0] = '\0'; /* skipped when saving */
		if (r < 0)
			*error_r = "out of memory";
		else
			r = save_subscriptions(root, &l, error_r);
		folders_list_free(&l);
	}
	close(fd);
	return r;
}
