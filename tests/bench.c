/* bench.c: PLACEHOLDER micro-benchmarks (presign, JWT verify) land with their modules. */
#include <stdio.h>

int
main(void)
{
	printf("bench: no benchmarks yet\n");
	return 0;
}
