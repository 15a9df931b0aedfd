/* test_sigv4.c: PLACEHOLDER until lib/sigv4.c lands; registers an empty suite. */
#include "unit.h"

int
test_sigv4_suite(void)
{
	return CU_add_suite("sigv4", NULL, NULL) == NULL ? -1 : 0;
}
