/*
 * awscred_check.c: drive lib/storage/awscred_chain.c from tests/integration/awscred.test.
 *
 *   awscred_check [-n CALLS] [-s SLEEP_MS] [-m MARGIN_S] [-p PRESIGN_S]
 *
 * Resolves credentials CALLS times (default 1), sleeping between calls,
 * and prints one line per call:
 *   call=1 rc=ok source=imds key=ASIA... secret_sha256=<hex>
 *   token_sha256=<hex|-> lifetime=<s|forever> cap=<s>
 * The secret and token are printed as SHA-256 only: the test compares them
 * with what its stand-in served without the secret itself reaching a log.
 * cap is awscred_cap_expires() for PRESIGN_S (default 604800).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "aws.h"
#include "checkopt.h"
#include "log.h"

/* A numeric option (tests/tools/checkopt.c). */
static long
num(const char *s)
{
	return checkopt_num("awscred_check", s, 2);
}

static void
sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0, i;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

int
main(int argc, char **argv)
{
	struct awscred_chain_config cfg = { NULL, 0, 0 };
	struct awscred_chain *ch;
	struct awscred c;
	struct timespec ts;
	char sh[65], th[65];
	long calls = 1, sleep_ms = 0, presign = 604800, i;
	int64_t left;
	int opt, status = 0;

	while ((opt = getopt(argc, argv, "n:s:m:p:")) != -1) {
		switch (opt) {
		case 'n':
			calls = num(optarg);
			break;
		case 's':
			sleep_ms = num(optarg);
			break;
		case 'm':
			cfg.margin = num(optarg);
			break;
		case 'p':
			presign = num(optarg);
			break;
		default:
			fprintf(stderr, "usage: awscred_check [-n calls] "
			    "[-s sleep_ms] [-m margin_s] [-p presign_s]\n");
			return 2;
		}
	}
	log_init("awscred_check", LOGL_DEBUG, 2);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((ch = awscred_chain_new(&cfg)) == NULL)
		return 1;
	for (i = 1; i <= calls; i++) {
		if (i > 1 && sleep_ms > 0) {
			ts.tv_sec = sleep_ms / 1000;
			ts.tv_nsec = (sleep_ms % 1000) * 1000000L;
			nanosleep(&ts, NULL);
		}
		if (awscred_chain_get(ch, &c) != ERR_OK) {
			printf("call=%ld rc=unavailable\n", i);
			status = 3;
			continue;
		}
		sha256_hex(c.secret_access_key, sh);
		if (c.session_token[0] != '\0')
			sha256_hex(c.session_token, th);
		else
			snprintf(th, sizeof(th), "-");
		left = awscred_chain_lifetime(ch);
		printf("call=%ld rc=ok source=%s key=%s secret_sha256=%s "
		    "token_sha256=%s lifetime=", i,
		    awscred_source_name(c.source), c.access_key_id, sh, th);
		if (left == INT64_MAX)
			printf("forever");
		else
			printf("%lld", (long long)left);
		printf(" cap=%lld\n", (long long)awscred_cap_expires(&c,
		    (int64_t)time(NULL), presign));
		fflush(stdout);
		awscred_clear(&c);
	}
	awscred_chain_free(ch);
	curl_global_cleanup();
	return status;
}
