/*
 * bench_broker_flood.c - what one login's flood costs the broker (issue 12 item 3).
 *
 *   bench_broker_flood [--messages N] [--size BYTES]
 *
 *   --messages N   messages published by one client (default 2000)
 *   --size BYTES   each message's payload (default 60000, i.e. about 60 KB)
 *
 * A real Mosquitto (tests/support harness) is started twice in one run:
 * "limits" with haven-prod.conf's bounds (max_queued_messages 100000,
 * max_queued_bytes 32 MiB, message_size_limit 65536), "none" with only
 * max_queued_messages 100000.  Each time a subscriber with a persistent
 * session subscribes (QoS 1) and goes away, so the broker must queue for it;
 * one client publishes N messages of BYTES at QoS 1 and one of 70,000 bytes
 * (over message_size_limit).  The broker's RSS (VmRSS) is printed before and
 * after the flood; then the subscriber comes back and counts what it gets
 * (received, dropped = sent - received, whether the oversized one came).
 * Ends with the ratio of the two brokers' RSS growth.
 *
 * Exit status: 0, 1 when something did not work (or the oversized message
 * got through the limits), 2 on a usage error.  ctest runs it small (label
 * bench) so it keeps working.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OVERSIZED 70000

struct run {
    const char *name;
    const char *conf;
    long rss_before_kb, rss_after_kb;
    int sent, refused, received, oversized_received;
    double flood_s;
};

static long broker_rss_kb(const hv_broker *b)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)hv_broker_pid(b));
    f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static hv_client *subscriber(int port)
{
    struct hv_client_opts o = { .client_id = "flood-sub", .port = port, .persistent = true };

    return hv_client_new_opts(&o, NULL);
}

static int run_one(struct run *r, int messages, int size)
{
    hv_broker *b = hv_broker_start_ex(r->conf);
    hv_client *sub, *pub;
    char *buf = malloc((size_t)(size > OVERSIZED ? size : OVERSIZED));
    int rc = -1;

    if (!b || !buf)
        goto out;
    int port = hv_broker_port(b);
    sub = subscriber(port);
    if (!sub || hv_client_sub(sub, "flood/#", 1) != 0) {
        hv_client_free(sub);
        goto out;
    }
    hv_client_free(sub);  /* away: its session stays, the broker queues for it */
    pub = hv_client_new("flood-kiosk", port);
    if (!pub)
        goto out;
    memset(buf, 'x', (size_t)(size > OVERSIZED ? size : OVERSIZED));
    r->rss_before_kb = broker_rss_kb(b);
    int64_t t0 = hv_now_us();
    for (int i = 0; i < messages; i++) {
        snprintf(buf, 16, "%09d", i);
        buf[9] = 'x';
        if (hv_client_pub_raw(pub, "flood/chair-1", buf, size, 1, false) == 0)
            r->sent++;
        else
            r->refused++;
    }
    /* One over message_size_limit: the broker must refuse it (not pass it on). */
    if (hv_client_pub_raw(pub, "flood/chair-1", buf, OVERSIZED, 1, false) != 0)
        r->refused++;
    r->flood_s = (double)(hv_now_us() - t0) / 1e6;
    r->rss_after_kb = broker_rss_kb(b);
    hv_client_free(pub);

    sub = subscriber(port);  /* back: the queued messages come */
    if (!sub)
        goto out;
    for (hv_msg *m; (m = hv_client_expect_msg(sub, NULL, 2000)); hv_msg_free(m)) {
        if (m->payloadlen > 65536)
            r->oversized_received++;
        else
            r->received++;
    }
    hv_client_free(sub);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench_broker_flood: %s: the broker or a client did not work\n", r->name);
    free(buf);
    hv_broker_free(b);
    return rc;
}

int main(int argc, char **argv)
{
    int messages = 2000, size = 60000;
    struct run runs[2] = {
        { .name = "limits", .conf = "max_queued_messages 100000\nmax_queued_bytes 33554432\n"
                                    "message_size_limit 65536\n" },
        { .name = "none", .conf = "max_queued_messages 100000\n" },
    };

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--messages") && i + 1 < argc)
            messages = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc)
            size = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_broker_flood [--messages N] [--size BYTES]\n");
            return 2;
        }
    }
    if (messages < 1 || size < 16 || size > 65536) {
        fprintf(stderr, "bench_broker_flood: --messages >= 1, 16 <= --size <= 65536\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("broker flood: one client publishes %d x %d bytes at QoS 1 and one of %d bytes to a "
           "subscriber that is away (persistent session)\n", messages, size, OVERSIZED);
    for (int i = 0; i < 2; i++) {
        struct run *r = &runs[i];
        if (run_one(r, messages, size) != 0)
            return 1;
        printf("%-6s: broker RSS %ld kB before, %ld kB after (+%ld kB) in %.2f s; subscriber got "
               "%d of %d, dropped %d; the %d-byte message %s\n", r->name, r->rss_before_kb,
               r->rss_after_kb, r->rss_after_kb - r->rss_before_kb, r->flood_s, r->received,
               messages, messages - r->received, OVERSIZED,
               r->oversized_received ? "DELIVERED" : "refused");
    }
    long grow_lim = runs[0].rss_after_kb - runs[0].rss_before_kb;
    long grow_none = runs[1].rss_after_kb - runs[1].rss_before_kb;
    printf("ratio: RSS after the flood, none / limits = %.2f (growth %.2f)\n",
           runs[0].rss_after_kb > 0 ? (double)runs[1].rss_after_kb / runs[0].rss_after_kb : 0.0,
           grow_lim > 0 ? (double)grow_none / grow_lim : 0.0);
    return runs[0].oversized_received ? 1 : 0;
}
