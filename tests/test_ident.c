/* placeholder */
#include "unit.h"
int
test_ident_suite(void)
{
	return CU_add_suite("ident", NULL, NULL) == NULL ? -1 : 0;
}
