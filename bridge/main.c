/* main.c: PLACEHOLDER entry point of audio-bridge until the real-time path lands. */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-n") == 0 ||
	    strcmp(argv[1], "--check-config") == 0)) {
		printf("audio-bridge: configuration ok\n");
		return 0;
	}
	fprintf(stderr, "audio-bridge: not implemented yet\n");
	return 1;
}
