/*
 * bench_wal.c - how big the call log's write-ahead log gets (issue 12 item 3).
 *
 *   bench_wal [--calls N] [--rate N]
 *
 *   --calls N   calls raised and cleared at the bedside (default 40000)
 *   --rate N    calls a second on the bench's clock (default 100), which sets
 *               how many calls fall between two of the controller's
 *               once-a-second checkpoints
 *
 * The real paging state machine (room/calls.c) over the real call log
 * (room/calllog.c) in a file in a temp dir, with null calls_ops (no broker:
 * what is measured is the disk), and a fake clock: each call is raised, then
 * cleared, and the clock moves 1/rate s; whenever it passes a second,
 * calllog_checkpoint runs, as the controller's loop runs it.  Every 50
 * calls the -wal file's size is sampled.  Prints the WAL's size at the end,
 * its largest sample, the database's size and the time taken.
 *
 * Exit status: 0, 1 when something did not work, 2 on a usage error.
 * ctest runs it small (label bench) so it keeps working.
 */
#include "calllog.h"
#include "calls.h"
#include "harness.h"
#include "roomcfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char config_text[] =
    "groups = [ \"nurses\" ];\n"
    "rooms = ( { id = \"chair-1\"; }, { id = \"chair-2\"; } );\n";

static void null_publish(void *ctx, const char *room, const struct contract_call *call)
{
    (void)ctx, (void)room, (void)call;
}

static void null_page(void *ctx, const char *group, const struct contract_call *call, int64_t seq)
{
    (void)ctx, (void)group, (void)call, (void)seq;
}

static const struct calls_ops null_ops = { null_publish, null_page };

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run(int ncalls, int rate, const char *dir)
{
    char cfg_path[600], db[600], wal[620];
    struct room_config cfg;
    struct cfg_error err;
    int64_t t = 1795000000000LL, last_ckpt = t;
    long wal_max = 0;
    double t0;

    snprintf(cfg_path, sizeof cfg_path, "%s/haven.cfg", dir);
    snprintf(db, sizeof db, "%s/calls.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", db);
    if (hv_write_file(cfg_path, config_text) != 0 || roomcfg_load(cfg_path, &cfg, &err) != 0) {
        fprintf(stderr, "bench_wal: config: %s\n", err.text);
        return 1;
    }
    calllog *log = calllog_open(db);
    calls *cs = log ? calls_new(&cfg, log, &null_ops, NULL) : NULL;
    if (!cs) {
        fprintf(stderr, "bench_wal: cannot open the call log %s\n", db);
        return 1;
    }
    t0 = now_s();
    for (int i = 0; i < ncalls; i++) {
        struct msg_call m = { .reason = REASON_HELP };
        struct msg_ack a = { .by = "bench" };
        snprintf(m.id, sizeof m.id, "bench-%d", i);
        snprintf(a.id, sizeof a.id, "bench-%d", i);
        calls_raise(cs, "chair-1", &m, t);
        calls_clear(cs, "chair-1", &a, true, t + 1);
        t += 1000 / rate;
        if (t - last_ckpt >= 1000) {
            calllog_checkpoint(log);
            last_ckpt = t;
        }
        if (i % 50 == 49 && file_size(wal) > wal_max)
            wal_max = file_size(wal);
    }
    double secs = now_s() - t0;
    printf("wal: %d calls raised and cleared (%d a second on the bench clock) in %.1f s\n",
           ncalls, rate, secs);
    printf("wal: -wal file %ld bytes at the end, largest sample %ld bytes; database %ld bytes\n",
           file_size(wal), wal_max, file_size(db));
    calls_free(cs);
    calllog_close(log);
    roomcfg_free(&cfg);
    return 0;
}

int main(int argc, char **argv)
{
    int ncalls = 40000, rate = 100, rc;
    char *dir;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
            ncalls = atoi(argv[++i]);
        else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
            rate = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_wal [--calls N] [--rate N]\n");
            return 2;
        }
    }
    if (ncalls < 1 || rate < 1 || rate > 1000) {
        fprintf(stderr, "bench_wal: --calls >= 1, --rate 1..1000\n");
        return 2;
    }
    if (!(dir = hv_tmpdir("bench-wal")))
        return 1;
    rc = run(ncalls, rate, dir);
    hv_rm_rf(dir);
    free(dir);
    return rc;
}
