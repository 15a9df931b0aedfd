/*
 * hoststate.c: the small state files the workers of one host share.
 *
 * Some facts are worth knowing once per host rather than once per worker:
 * the last S3 probe behind /healthz (s3health.c), the last fetch of the
 * token signing keys (jwksshare.c) and the presigns per session and
 * minute (presignrate.c).  Each lives in a file of its own,
 * <state_dir>/<journal's file name><suffix> (by default next to the
 * journal: <journal>.s3probe, <journal>.jwks, <journal>.presigns), mode
 * 0600, which the workers coordinate on with flock(2) (the presign counts
 * with atomic operations on a shared mapping instead).  The journal's file name is part of
 * the name so that two instances sharing a state_dir stay apart.  Where
 * the file cannot be opened (a read-only directory) the callers fall back
 * to each worker for itself; nothing here is needed for correctness.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "journal.h"

int
hoststate_open(const struct api_conf *c, const char *suffix, char *path,
    size_t pathsz)
{
	const char *name;
	int n;

	if (c->state_dir == NULL || c->state_dir[0] == '\0')
		n = snprintf(path, pathsz, "%s%s", c->journal, suffix);
	else if (journal_is_postgresql(c->journal))
		n = snprintf(path, pathsz, "%s/journal%s", c->state_dir,
		    suffix);	/* no file name to take (and no password) */
	else {
		name = strrchr(c->journal, '/');
		name = name != NULL ? name + 1 : c->journal;
		n = snprintf(path, pathsz, "%s/%s%s", c->state_dir, name,
		    suffix);
	}
	if (n < 0 || (size_t)n >= pathsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

int
hoststate_lock(int fd, int wait)
{
	return flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
}

void
hoststate_unlock(int fd)
{
	(void)flock(fd, LOCK_UN);
}

char *
hoststate_read(int fd, size_t max, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;

	if (fstat(fd, &st) != 0 || st.st_size <= 0 ||
	    (uint64_t)st.st_size > (uint64_t)max)
		return NULL;
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		return NULL;
	while (got < (size_t)st.st_size) {
		n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

int
hoststate_replace(int fd, const void *head, size_t hlen, const void *body,
    size_t blen)
{
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, head, hlen, 0) != (ssize_t)hlen ||
	    (body != NULL && blen > 0 &&
	    pwrite(fd, body, blen, (off_t)hlen) != (ssize_t)blen))
		return -1;
	return 0;
}
