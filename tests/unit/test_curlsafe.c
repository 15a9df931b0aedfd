/*
 * test_curlsafe.c: the one curl hardening helper (lib/curlsafe.c),
 * against a one-shot HTTP responder on an ephemeral loopback port.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "curlsafe.h"
#include "unit.h"

struct responder {
	int		 fd;
	const char	*answer;	/* NULL: accept, then say nothing */
	int		 port;
};

static void *
responder_run(void *arg)
{
	struct responder *r = arg;
	char req[2048];
	int c;

	if ((c = accept(r->fd, NULL, NULL)) == -1)
		return NULL;
	(void)read(c, req, sizeof(req));
	if (r->answer != NULL)
		(void)write(c, r->answer, strlen(r->answer));
	else
		usleep(1500 * 1000);
	close(c);
	return NULL;
}

static int
responder_start(struct responder *r, pthread_t *t)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((r->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(r->fd, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(r->fd, 1) == -1 ||
	    getsockname(r->fd, (struct sockaddr *)&a, &alen) == -1)
		return -1;
	r->port = ntohs(a.sin_port);
	return pthread_create(t, NULL, responder_run, r);
}

static size_t
sink(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* A 302 is handed back as a 302: the Location is never fetched. */
static void
test_curlsafe_does_not_follow_redirects(void)
{
	struct responder r = { -1, "HTTP/1.1 302 Found\r\nLocation: "
	    "http://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n", 0 };
	char url[64];
	pthread_t t;
	CURL *c;
	long code = 0, redirects = -1;

	CU_ASSERT_EQUAL_FATAL(responder_start(&r, &t), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", r.port);
	c = curl_easy_init();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(curlsafe_setup(c, url, "http,https", 5000, 0),
	    CURLE_OK);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	CU_ASSERT_EQUAL(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(c, CURLINFO_REDIRECT_COUNT, &redirects);
	CU_ASSERT_EQUAL(code, 302);
	CU_ASSERT_EQUAL(redirects, 0);
	curl_easy_cleanup(c);
	pthread_join(t, NULL);
	close(r.fd);
}

/* Only the named protocols: file:// is refused before any I/O. */
static void
test_curlsafe_limits_protocols(void)
{
	CURL *c = curl_easy_init();

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(curlsafe_setup(c, "file:///etc/hostname",
	    "http,https", 1000, 1000), CURLE_OK);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	CU_ASSERT_EQUAL(curl_easy_perform(c), CURLE_UNSUPPORTED_PROTOCOL);
	curl_easy_cleanup(c);
}

/* A peer that accepts and never answers costs the timeout, not more. */
static void
test_curlsafe_times_out(void)
{
	struct responder r = { -1, NULL, 0 };
	char url[64];
	pthread_t t;
	int64_t t0;
	CURL *c;

	CU_ASSERT_EQUAL_FATAL(responder_start(&r, &t), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", r.port);
	c = curl_easy_init();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(curlsafe_setup(c, url, "http", 300, 0), CURLE_OK);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	t0 = clock_mono_ms();
	CU_ASSERT_EQUAL(curl_easy_perform(c), CURLE_OPERATION_TIMEDOUT);
	CU_ASSERT(clock_mono_ms() - t0 >= 250);
	CU_ASSERT(clock_mono_ms() - t0 < 1400);
	curl_easy_cleanup(c);
	pthread_join(t, NULL);
	close(r.fd);
}

int
test_curlsafe_suite(void)
{
	CU_pSuite s;

	if ((s = CU_add_suite("curlsafe", NULL, NULL)) == NULL)
		return -1;
	if (CU_add_test(s, "does not follow redirects",
	    test_curlsafe_does_not_follow_redirects) == NULL ||
	    CU_add_test(s, "limits protocols",
	    test_curlsafe_limits_protocols) == NULL ||
	    CU_add_test(s, "times out", test_curlsafe_times_out) == NULL)
		return -1;
	return 0;
}
