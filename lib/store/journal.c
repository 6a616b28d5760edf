/* journal: durable per-job entries a worker could not record yet (see journal.h). */
#include "lib/store/journal.h"
#include "lib/core/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
journal_path(char *out, size_t len, const char *dir, long long job, const char *suffix)
{
	snprintf(out, len, "%s/job-%lld.json%s", dir, job, suffix);
}

/* A rename or unlink is durable only once the folder that holds the name is on disk. */
static int
journal_sync_dir(const char *dir, struct err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return err_errno(err, err_from_errno(errno), errno, "journal %s", dir);
	if (fsync(fd) < 0)
		rc = err_errno(err, SP_EIO, errno, "journal %s: fsync", dir);
	close(fd);
	return rc;
}

static int
journal_write_fd(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, text, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		text += w;
		len -= (size_t)w;
	}
	return fsync(fd);
}

int
journal_write(const char *dir, long long job, json_t *entry, struct err *err)
{
	char tmp[PATH_MAX], path[PATH_MAX], *text;
	size_t len;
	int fd, rc = 0;

	if ((rc = file_mkdirs(dir, 0700, err)) < 0)
		return rc;
	if ((text = json_dumps(entry, JSON_COMPACT)) == NULL)
		return err_set(err, SP_ENOMEM, "journal: job %lld: entry not serialisable", job);
	len = strlen(text);
	if (len > JOURNAL_MAX) {
		free(text);
		return err_set(err, SP_ETOOBIG, "journal: job %lld: entry of %zu bytes", job, len);
	}
	journal_path(tmp, sizeof(tmp), dir, job, ".tmp");
	journal_path(path, sizeof(path), dir, job, "");
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		rc = err_errno(err, err_from_errno(errno), errno, "journal %s", tmp);
		goto out;
	}
	if (journal_write_fd(fd, text, len) < 0) {
		rc = err_errno(err, err_from_errno(errno), errno, "journal %s: write", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		rc = err_errno(err, err_from_errno(errno), errno, "journal %s: rename", path);
		unlink(tmp);
		goto out;
	}
	rc = journal_sync_dir(dir, err);
out:
	free(text);
	return rc;
}

int
journal_remove(const char *dir, long long job, struct err *err)
{
	char path[PATH_MAX];

	journal_path(path, sizeof(path), dir, job, "");
	if (unlink(path) < 0 && errno != ENOENT)
		return err_errno(err, err_from_errno(errno), errno, "journal %s: remove", path);
	return journal_sync_dir(dir, err);
}

/* The job ids of DIR's entries, ascending; *n of them in a new array (NULL when none). */
static int
journal_ids(const char *dir, long long **ids, size_t *n, struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long long *v = NULL;
	size_t cap = 0;

	*ids = NULL;
	*n = 0;
	if (d == NULL)
		return errno == ENOENT ? 0 : err_errno(err, err_from_errno(errno), errno, "journal %s", dir);
	while ((e = readdir(d)) != NULL) {
		long long id;
		int end = 0;
		if (sscanf(e->d_name, "job-%lld.json%n", &id, &end) != 1 || e->d_name[end] != '\0' ||
		    end == 0)
			continue;
		if (*n == cap) {
			long long *g = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));
			if (g == NULL) {
				free(v);
				closedir(d);
				return err_set(err, SP_ENOMEM, "journal %s: out of memory", dir);
			}
			v = g;
		}
		v[(*n)++] = id;
	}
	closedir(d);
	for (size_t i = 1; i < *n; i++)     /* a handful of entries: insertion sort */
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			long long t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*ids = v;
	return 0;
}

int
journal_each(const char *dir, journal_fn fn, void *arg, size_t *bad, struct err *err)
{
	long long *ids;
	size_t n, left = 0;
	int rc;

	if (bad)
		*bad = 0;
	if ((rc = journal_ids(dir, &ids, &n, err)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX], *text;
		size_t len;
		json_t *entry = NULL;

		journal_path(path, sizeof(path), dir, ids[i], "");
		if (file_read_all(path, JOURNAL_MAX, &text, &len, err) == 0) {
			entry = json_loadb(text, len, 0, NULL);
			free(text);
		}
		if (!json_is_object(entry)) {
			json_decref(entry);
			if (bad)
				(*bad)++;
			left++;
			continue;
		}
		rc = fn(entry, arg, err);
		json_decref(entry);
		if (rc < 0)
			goto out;
		if (rc == 0)
			left++;
		else if ((rc = journal_remove(dir, ids[i], err)) < 0)
			goto out;
	}
	rc = (int)left;
out:
	free(ids);
	return rc;
}

size_t
journal_count(const char *dir)
{
	long long *ids;
	size_t n;
	struct err err;

	if (journal_ids(dir, &ids, &n, &err) < 0)
		return 0;
	free(ids);
	return n;
}
