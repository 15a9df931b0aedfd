/*
 * listen.c: the --listen socket of audio-api (host:port or unix:/path).
 *
 * When a web server spawns audio-api it hands over its own socket on fd 0
 * and this file is not used.  The socket is opened before any fork() so
 * every worker accepts on the same one.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"
#include "log.h"

static int
listen_unix(const char *path, int backlog)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path) || path[0] != '/') {
		log_error("unix socket path must be absolute and under %zu "
		    "bytes: %s", sizeof(sun.sun_path), path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_error("%s exists and is not a socket", path);
			return -1;
		}
		(void)unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(fd, backlog) == -1) {
		log_error("cannot listen on unix:%s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

static int
listen_inet(const char *spec, int backlog)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256];
	const char *port, *h = spec;
	size_t hlen;
	int fd = -1, on = 1, rc;

	if (*h == '[') {
		const char *close_br = strchr(h, ']');

		if (close_br == NULL || close_br[1] != ':')
			goto bad;
		h++;
		hlen = (size_t)(close_br - h);
		port = close_br + 2;
	} else {
		const char *colon = strrchr(h, ':');

		if (colon == NULL)
			goto bad;
		hlen = (size_t)(colon - h);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host) || *port == '\0')
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		log_error("cannot resolve listen address %s: %s", spec,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		log_error("cannot listen on %s: %s", spec, strerror(errno));
	freeaddrinfo(res);
	return fd;
bad:
	log_error("listen address must be host:port, [v6]:port or "
	    "unix:/path, not %s", spec);
	return -1;
}

int
listen_open(const char *spec, int backlog)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return listen_unix(spec + 5, backlog);
	return listen_inet(spec, backlog);
}

void
listen_retire(const char *spec)
{
	if (spec != NULL && strncmp(spec, "unix:", 5) == 0 &&
	    unlink(spec + 5) == -1 && errno != ENOENT)
		log_warn("cannot remove %s: %s", spec + 5, strerror(errno));
}
