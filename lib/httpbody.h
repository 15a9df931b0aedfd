/*
 * httpbody.h: collect an HTTP answer body from libcurl, up to a bound.
 *
 * Set CURLOPT_WRITEFUNCTION to httpbody_write and CURLOPT_WRITEDATA to a
 * struct httpbody with max set (the rest zero).  Past max bytes the write
 * callback refuses the data, which fails the transfer
 * (CURLE_WRITE_ERROR), and too_large says why; nomem says a realloc
 * failed.  data is NUL-terminated (NULL while nothing arrived).
 */
#ifndef HTTPBODY_H
#define HTTPBODY_H

#include <stddef.h>

struct httpbody {
	char	*data;
	size_t	 len;
	size_t	 max;
	int	 too_large;
	int	 nomem;
};

size_t	httpbody_write(char *ptr, size_t size, size_t nmemb, void *arg);

/* Wipe (bodies may hold credentials) and free; the struct is reusable. */
void	httpbody_free(struct httpbody *);

#endif /* HTTPBODY_H */
