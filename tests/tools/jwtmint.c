/*
 * jwtmint.c: mint JWKS documents and Cognito-shaped RS256 tokens for
 * integration tests and the local stack (tests/tools/devstack.sh).  Test tool
 * only; never installed.
 *
 *   jwtmint jwks KEY.pem KID [KEY2.pem KID2 ...]
 *       print a JWKS with the public half of each key (private or public
 *       PEM accepted)
 *   jwtmint token PRIVKEY.pem KID ISS AUD SUB [--use id|access] [--ttl S]
 *       [--email E] [--iat T]
 *       print a signed token: aud=AUD for id tokens (the default),
 *       client_id=AUD for access tokens; iat defaults to now, ttl to 3600
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mint.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: jwtmint jwks KEY.pem KID [KEY.pem KID ...]\n"
	    "       jwtmint token PRIVKEY.pem KID ISS AUD SUB [--use id|access]"
	    " [--ttl S] [--email E] [--iat T]\n");
	exit(2);
}

static long long
number(const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "jwtmint: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

static int
cmd_jwks(int argc, char **argv)
{
	EVP_PKEY *keys[16] = { NULL };
	const char *kids[16];
	size_t n = 0, i;
	char *doc = NULL;
	int rc = 1;

	if (argc < 2 || argc % 2 != 0 || argc / 2 > 16)
		usage();
	for (i = 0; i < (size_t)argc; i += 2) {
		if ((keys[n] = mint_load_pem(argv[i])) == NULL) {
			fprintf(stderr, "jwtmint: cannot read key %s\n",
			    argv[i]);
			goto out;
		}
		kids[n++] = argv[i + 1];
	}
	if ((doc = mint_jwks(keys, kids, n)) == NULL) {
		fprintf(stderr, "jwtmint: cannot build JWKS\n");
		goto out;
	}
	printf("%s\n", doc);
	rc = 0;
out:
	free(doc);
	for (i = 0; i < n; i++)
		EVP_PKEY_free(keys[i]);
	return rc;
}

static int
cmd_token(int argc, char **argv)
{
	const char *use = "id", *email = NULL;
	long ttl = 3600;
	time_t now = time(NULL);
	EVP_PKEY *key = NULL;
	char *tok = NULL;
	int i, rc = 1;

	if (argc < 5)
		usage();
	for (i = 5; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--use") == 0)
			use = argv[++i];
		else if (strcmp(argv[i], "--ttl") == 0)
			ttl = (long)number(argv[++i], -86400L * 365,
			    86400L * 365);
		else if (strcmp(argv[i], "--email") == 0)
			email = argv[++i];
		else if (strcmp(argv[i], "--iat") == 0)
			now = (time_t)number(argv[++i], 0, 1LL << 40);
		else
			usage();
	}
	if (strcmp(use, "id") != 0 && strcmp(use, "access") != 0)
		usage();
	if ((key = mint_load_pem(argv[0])) == NULL) {
		fprintf(stderr, "jwtmint: cannot read private key %s\n",
		    argv[0]);
		goto out;
	}
	tok = mint_token(key, argv[1], argv[2], argv[3], argv[4], use, now,
	    ttl, email);
	if (tok == NULL) {
		fprintf(stderr, "jwtmint: cannot sign (is %s a private key?)\n",
		    argv[0]);
		goto out;
	}
	printf("%s\n", tok);
	rc = 0;
out:
	free(tok);
	EVP_PKEY_free(key);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "jwks") == 0)
		return cmd_jwks(argc - 2, argv + 2);
	if (strcmp(argv[1], "token") == 0)
		return cmd_token(argc - 2, argv + 2);
	usage();
	return 2;
}
