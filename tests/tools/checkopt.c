/*
 * checkopt.c: the numeric options of the AWS adapters' drivers.  The
 * three drivers read counts, delays and sizes from their command lines the
 * same way; a bad one is a mistake in the test script, so it ends the
 * program rather than being clamped.
 */
#include <stdio.h>
#include <stdlib.h>

#include "checkopt.h"

long
checkopt_num(const char *prog, const char *s, int status)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 100000000) {
		fprintf(stderr, "%s: bad number %s\n", prog, s);
		exit(status);
	}
	return (long)v;
}
