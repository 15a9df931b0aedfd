/*
 * riva-badclient.c: a raw gRPC client that breaks the StreamingRecognize
 * protocol on purpose, to prove tests/tools/riva-standin.c notices.
 *
 * lib/realtime/riva.c cannot be made to send a bad stream (good), so this test
 * program speaks grpc core directly.  For each case it sends a sequence of
 * request messages, half-closes and prints "case=NAME status=N" with the
 * grpc status the stand-in answered; tests/integration/riva.test expects 3
 * (INVALID_ARGUMENT) for every violation and 0 for the control case.
 *
 * usage: riva-badclient HOST:PORT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "rivamsg.h"

struct msg {
	const uint8_t	*buf;
	size_t		 len;
};

static gpr_timespec
soon(int ms)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
	    gpr_time_from_millis(ms, GPR_TIMESPAN));
}

static int
wait_tag(grpc_completion_queue *cq, void *tag)
{
	grpc_event ev = grpc_completion_queue_pluck(cq, tag, soon(5000), NULL);

	if (ev.type != GRPC_OP_COMPLETE) {
		fprintf(stderr, "riva-badclient: timeout\n");
		exit(1);
	}
	return ev.success;
}

static int
run_case(grpc_channel *ch, grpc_completion_queue *cq, const struct msg *m,
    size_t n)
{
	grpc_call *call;
	grpc_op ops[4];
	grpc_byte_buffer *bb;
	grpc_metadata_array md, trailing;
	grpc_status_code st = GRPC_STATUS_UNKNOWN;
	grpc_slice details, sl;
	size_t i, nops;
	int tag;

	call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
	    grpc_slice_from_static_string(
	    "/nvidia.riva.asr.RivaSpeechRecognition/StreamingRecognize"),
	    NULL, soon(10000), NULL);
	grpc_metadata_array_init(&md);
	grpc_metadata_array_init(&trailing);
	details = grpc_empty_slice();

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	if (grpc_call_start_batch(call, ops, 1, &tag, NULL) != GRPC_CALL_OK)
		exit(1);
	wait_tag(cq, &tag);
	for (i = 0; i < n; i++) {
		sl = grpc_slice_from_copied_buffer((const char *)m[i].buf,
		    m[i].len);
		bb = grpc_raw_byte_buffer_create(&sl, 1);
		grpc_slice_unref(sl);
		memset(ops, 0, sizeof(ops));
		ops[0].op = GRPC_OP_SEND_MESSAGE;
		ops[0].data.send_message.send_message = bb;
		if (grpc_call_start_batch(call, ops, 1, &tag, NULL) !=
		    GRPC_CALL_OK)
			exit(1);
		wait_tag(cq, &tag);	/* may fail once the server closed */
		grpc_byte_buffer_destroy(bb);
	}
	memset(ops, 0, sizeof(ops));
	nops = 0;
	ops[nops++].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[nops].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[nops].data.recv_initial_metadata.recv_initial_metadata = &md;
	nops++;
	ops[nops].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[nops].data.recv_status_on_client.trailing_metadata = &trailing;
	ops[nops].data.recv_status_on_client.status = &st;
	ops[nops].data.recv_status_on_client.status_details = &details;
	nops++;
	/* The close may be refused on a finished call; ask for status alone
	 * then. */
	if (grpc_call_start_batch(call, ops, nops, &tag, NULL) != GRPC_CALL_OK &&
	    grpc_call_start_batch(call, ops + 1, 2, &tag, NULL) != GRPC_CALL_OK)
		exit(1);
	wait_tag(cq, &tag);
	grpc_slice_unref(details);
	grpc_metadata_array_destroy(&md);
	grpc_metadata_array_destroy(&trailing);
	grpc_call_unref(call);
	return (int)st;
}

int
main(int argc, char **argv)
{
	struct rivamsg_config cfg;
	grpc_channel_credentials *creds;
	grpc_channel *ch;
	grpc_completion_queue *cq;
	uint8_t *config = NULL, audio[64], both[512], garbage[2] = { 0xff, 0xff };
	size_t clen, alen;
	struct msg m[2];
	static const uint8_t pcm[32];

	if (argc != 2) {
		fprintf(stderr, "usage: riva-badclient HOST:PORT\n");
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.sample_rate_hz = 16000;
	if (rivamsg_encode_config(&cfg, &config, &clen) != ERR_OK ||
	    clen + sizeof(audio) > sizeof(both))
		return 1;
	alen = rivamsg_encode_audio(pcm, sizeof(pcm), audio);
	/* Both oneof members in one message: valid protobuf, bad protocol. */
	memcpy(both, config, clen);
	memcpy(both + clen, audio, alen);

	grpc_init();
	creds = grpc_insecure_credentials_create();
	ch = grpc_channel_create(argv[1], creds, NULL);
	grpc_channel_credentials_release(creds);
	cq = grpc_completion_queue_create_for_pluck(NULL);

	m[0].buf = audio;
	m[0].len = alen;
	printf("case=audio_first status=%d\n", run_case(ch, cq, m, 1));
	m[0].buf = m[1].buf = config;
	m[0].len = m[1].len = clen;
	printf("case=config_twice status=%d\n", run_case(ch, cq, m, 2));
	m[0].buf = both;
	m[0].len = clen + alen;
	printf("case=both status=%d\n", run_case(ch, cq, m, 1));
	m[0].buf = both;
	m[0].len = 0;
	printf("case=empty_first status=%d\n", run_case(ch, cq, m, 1));
	m[0].buf = config;
	m[0].len = clen;
	m[1].buf = both;
	m[1].len = clen + alen;
	printf("case=both_later status=%d\n", run_case(ch, cq, m, 2));
	printf("case=no_config status=%d\n", run_case(ch, cq, m, 0));
	m[0].buf = garbage;
	m[0].len = sizeof(garbage);
	printf("case=garbage status=%d\n", run_case(ch, cq, m, 1));
	m[0].buf = config;
	m[0].len = clen;
	m[1].buf = audio;
	m[1].len = alen;
	printf("case=good status=%d\n", run_case(ch, cq, m, 2));
	fflush(stdout);

	grpc_channel_destroy(ch);
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_pluck(cq, NULL,
	    gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
	    GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
	grpc_shutdown_blocking();
	free(config);
	return 0;
}
