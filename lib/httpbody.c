/* httpbody.c: a bounded libcurl body collector (see httpbody.h). */
#include <stdlib.h>
#include <string.h>

#include "httpbody.h"

size_t
httpbody_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct httpbody *b = arg;
	size_t n = size * nmemb;
	char *p;

	if (n > b->max - b->len) {
		b->too_large = 1;
		return 0;
	}
	if ((p = realloc(b->data, b->len + n + 1)) == NULL) {
		b->nomem = 1;
		return 0;
	}
	b->data = p;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

void
httpbody_free(struct httpbody *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
	b->too_large = b->nomem = 0;
}
