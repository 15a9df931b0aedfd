/* test_jsonv.c: PLACEHOLDER until lib/jsonv.c lands; registers an empty suite. */
#include "unit.h"

int
test_jsonv_suite(void)
{
	return CU_add_suite("jsonv", NULL, NULL) == NULL ? -1 : 0;
}
