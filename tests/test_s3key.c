/* test_s3key.c: PLACEHOLDER until lib/s3key.c lands; registers an empty suite. */
#include "unit.h"

int
test_s3key_suite(void)
{
	return CU_add_suite("s3key", NULL, NULL) == NULL ? -1 : 0;
}
