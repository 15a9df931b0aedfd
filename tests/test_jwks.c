/* test_jwks.c: PLACEHOLDER until lib/jwks.c lands; registers an empty suite. */
#include "unit.h"

int
test_jwks_suite(void)
{
	return CU_add_suite("jwks", NULL, NULL) == NULL ? -1 : 0;
}
