/*
 * trivial-fcgi.c: the baseline of tests/bench/bench-api.sh, a FastCGI responder
 * that does nothing but answer a fixed small JSON body.
 *
 *   trivial-fcgi unix:/path/to.sock N [quick-close]
 *
 * Listens on the unix socket and forks N processes that accept on it with
 * libfcgi's reentrant API, the same shape as `audio-api --workers N`, so
 * the benchmark compares the API's work per request against the floor set
 * by lighttpd, the FastCGI protocol and process hand-off.  Stops on
 * SIGTERM (the children die with it).  Benchmark tool only.
 *
 * By default each connection ends with libfcgi's lingering close
 * (shutdown, poll, read, close: what a plain libfcgi program does).  With
 * quick-close the responder ends it as audio-api's workers do once the
 * request's input has ended (FCGX_Detach: close alone), so the benchmark
 * can show the API against both floors.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

static int
trivial_serve(int fd, int quick)
{
	static const char reply[] = "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 11\r\n\r\n"
	    "{\"ok\":true}";
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, fd, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(reply, (int)sizeof(reply) - 1, req.out);
		if (quick && !req.keepConnection &&
		    FCGX_GetChar(req.in) == EOF && FCGX_GetError(req.in) == 0)
			(void)FCGX_Detach(&req);
		FCGX_Finish_r(&req);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	const char *path;
	char *end;
	long n, i;
	int fd, quick = 0;

	if (argc == 4 && strcmp(argv[3], "quick-close") == 0) {
		quick = 1;
		argc--;
	}
	if (argc != 3 || strncmp(argv[1], "unix:", 5) != 0) {
		fprintf(stderr, "usage: trivial-fcgi unix:/path N "
		    "[quick-close]\n");
		return 2;
	}
	path = argv[1] + 5;
	errno = 0;
	n = strtol(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > 256 ||
	    strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "trivial-fcgi: bad arguments\n");
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 1024) == -1) {
		perror("trivial-fcgi");
		return 1;
	}
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == -1) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
			return trivial_serve(fd, quick);
		}
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
