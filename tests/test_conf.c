/* test_conf.c: PLACEHOLDER until lib/conf.c lands; registers an empty suite. */
#include "unit.h"

int
test_conf_suite(void)
{
	return CU_add_suite("conf", NULL, NULL) == NULL ? -1 : 0;
}
