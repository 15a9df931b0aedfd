/*
 * main.c: audio-recognizer, a Riva-compatible speech recognizer for
 * development and small deployments (CMU PocketSphinx, CPU only).
 *
 *   audio-recognizer [-f|--config FILE] run (config FILE, else
 *                                       $ASR_CONFIG, else defaults and
 *                                       environment)
 *   audio-recognizer -n|--check-config [-f FILE]
 *   audio-recognizer --print-example    the commented config file
 *
 * audio-bridge talks to it exactly as to NVIDIA Riva (riva_target).
 * Before it listens it loads preload_decoders decoders (at least one), so
 * a model that does not load stops it at once with the reason instead of
 * failing the first stream.
 * SIGTERM/SIGINT only set a flag; the gRPC loop then cancels every call
 * and the process exits 0.
 */
#include <stdio.h>

#include <grpc/grpc.h>

#include "asr.h"
#include "daemon.h"
#include "limit.h"
#include "log.h"

int
main(int argc, char **argv)
{
	const char *path;
	struct asr_conf conf;
	struct decoder *d[LIMIT_ASR_STREAMS];
	char errbuf[1024];
	int check, i, n, status;

	if ((status = daemon_args(argc, argv, "audio-recognizer", "ASR_CONFIG",
	    asr_conf_table, &path, &check)) != -1)
		return status;
	status = 1;
	log_init("audio-recognizer", LOGL_INFO, 2);
	if (asr_conf_load(&conf, path, errbuf, sizeof(errbuf)) != ERR_OK) {
		fprintf(stderr, "audio-recognizer: %s\n", errbuf);
		return 1;
	}
	if (check) {
		printf("audio-recognizer: %s: config ok\n",
		    path != NULL ? path : "(defaults and environment)");
		asr_conf_free(&conf);
		return 0;
	}
	log_init("audio-recognizer", (enum log_level)conf.log_level, 2);

	daemon_on_stop();

	decoder_pool_init(&conf);
	for (i = 0; i < (int)conf.preload_decoders; i++) {
		if ((d[i] = decoder_pool_get()) == NULL)
			break;
	}
	n = i;
	for (i = 0; i < n; i++)
		decoder_pool_put(d[i]);
	if (n < (int)conf.preload_decoders)
		goto out;
	grpc_init();
	status = server_run(&conf, &daemon_stop);
	grpc_shutdown_blocking();
	log_info("stopped");
out:
	decoder_pool_free();
	asr_conf_free(&conf);
	return status;
}
