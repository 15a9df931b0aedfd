/* test_cognito.c: PLACEHOLDER until lib/cognito.c lands; registers an empty suite. */
#include "unit.h"

int
test_cognito_suite(void)
{
	return CU_add_suite("cognito", NULL, NULL) == NULL ? -1 : 0;
}
