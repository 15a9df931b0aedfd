/*
 * fuzz_awscred.c: libFuzzer target for lib/storage/awscred.c's parsers.
 *
 * The input goes to the credentials-file parser (two profiles), the
 * ECS/IMDS document parser, the timestamp parser and the container URL
 * rules.  Whatever they accept must hold values awscred_set() would accept
 * (bounded, no control characters), and a container URL they accept must
 * be https or plain http to an allowed host.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "awscred.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_awscred_check(const struct awscred *c)
{
	struct awscred d;

	if (strlen(c->access_key_id) == 0 ||
	    strlen(c->access_key_id) > LIMIT_AWS_KEY_ID_BYTES ||
	    strlen(c->secret_access_key) > LIMIT_AWS_SECRET_BYTES ||
	    strlen(c->session_token) > LIMIT_AWS_TOKEN_BYTES)
		abort();
	if (awscred_set(&d, c->access_key_id, c->secret_access_key,
	    c->session_token, c->expiration, c->source) != ERR_OK)
		abort();
	if (awscred_cap_expires(c, 1700000000, 300) > 300)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct awscred c;
	char *s, url[512];
	size_t line;
	int64_t t;

	if (awscred_parse_ini(in, size, NULL, &c, &line) == ERR_OK)
		fuzz_awscred_check(&c);
	if (awscred_parse_ini(in, size, "work", &c, &line) == ERR_OK)
		fuzz_awscred_check(&c);
	if (awscred_parse_json(in, size, AWSCRED_SOURCE_IMDS, &c) == ERR_OK)
		fuzz_awscred_check(&c);

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, in, size);
	s[size] = '\0';
	if (awscred_parse_time(s, &t) == ERR_OK && t < 0)
		abort();
	if (awscred_container_url(NULL, s, url, sizeof(url)) == ERR_OK &&
	    strncasecmp(url, "https://", 8) != 0 &&
	    strncasecmp(url, "http://", 7) != 0)
		abort();
	if (awscred_container_url(s, NULL, url, sizeof(url)) == ERR_OK &&
	    strncmp(url, "http://169.254.170.2/", 21) != 0)
		abort();
	(void)awscred_auth_token_ok(s, strlen(s));
	free(s);
	return 0;
}
