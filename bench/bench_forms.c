/*
 * bench_forms.c - what a questionnaire tap costs the kiosk, and what loading
 * and resuming the forms cost.
 *
 *   bench_forms [--taps N] [--dir DIR]
 *
 *   --taps N   taps journaled (default 500)
 *   --dir DIR  where the SQLite files go (default a temp dir; give the
 *              chair's state directory's file system to measure its disk)
 *
 * Prints, in one run on one disk:
 *   1. a tap journaled (journal_append: one fsynced SQLite commit), against
 *      the baseline of a call written to the outbox (outbox_push, the same
 *      kind of commit, which every help press already pays): median, p99,
 *      and their ratio;
 *   2. loading the shipped forms (config/haven.cfg and its four files);
 *   3. a completed PHQ-9 encoded as FHIR (cJSON), and its size;
 *   4. resuming: a run rebuilt from N journaled taps at start-up.
 * Never fails on a figure; exit 1 only when something could not be measured.
 */
#include "clock.h"
#include "fhir.h"
#include "formrun.h"
#include "journal.h"
#include "outbox.h"
#include "questionnaire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef HAVEN_SOURCE_DIR
#error "HAVEN_SOURCE_DIR must name the source tree"
#endif

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v and returns its q-quantile (0..1). */
static double quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    return v[(int)(q * (n - 1) + 0.5)];
}

static int replay_count;

static void replay(void *ud, const struct run_event *ev)
{
    replay_count += run_apply(ud, ev, NULL) == 0;
}

int main(int argc, char **argv)
{
    int taps = 500;
    const char *dir = NULL;
    char tmp[] = "/tmp/haven-bench-forms-XXXXXX", path[600];

    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--taps"))
            taps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
    }
    if (taps < 10 || (!dir && !(dir = mkdtemp(tmp)))) {
        fprintf(stderr, "usage: bench_forms [--taps N>=10] [--dir DIR]\n");
        return 2;
    }
    double *jt = calloc((size_t)taps, sizeof *jt), *ot = calloc((size_t)taps, sizeof *ot);
    snprintf(path, sizeof path, "%s/journal.db", dir);
    unlink(path);
    struct journal *j = journal_open(path);
    snprintf(path, sizeof path, "%s/kiosk.db", dir);
    unlink(path);
    struct outbox *ob = outbox_open(path);
    if (!jt || !ot || !j || !ob)
        return 1;

    /*
     * 1. a tap vs a call, interleaved so both see the same disk.  The taps are
     * ones that each change a PHQ-9 run (replayed in 4.): Start, then "Several
     * days" to item 1 and Back, over and over.
     */
    const char *call = "{\"id\":\"call-bench\",\"reason\":\"help\",\"ts\":\"2026-11-21T08:00:00.000Z\"}";
    for (int i = 0; i < taps; i++) {
        struct run_event ev = run_ev(i == 0 ? EV_START : i % 2 ? EV_ANSWER : EV_BACK, 0);
        if (ev.kind == EV_ANSWER) {
            snprintf(ev.item, sizeof ev.item, "44250-9");
            snprintf(ev.value, sizeof ev.value, "1");
        }
        double t0 = now_us();
        journal_append(j, "V-BENCH", PHASE_INFUSION, &ev, clock_now_ms());
        double t1 = now_us();
        int64_t seq = outbox_push(ob, "haven/room/chair-1/kiosk/call", call, false);
        double t2 = now_us();
        outbox_done(ob, seq);
        jt[i] = t1 - t0;
        ot[i] = t2 - t1;
    }
    double jm = quantile(jt, taps, 0.5), j99 = quantile(jt, taps, 0.99);
    double om = quantile(ot, taps, 0.5), o99 = quantile(ot, taps, 0.99);
    printf("tap journaled (fsynced commit):   median %.2f ms, p99 %.2f ms  (%d taps, %s)\n",
           jm / 1e3, j99 / 1e3, taps, dir);
    printf("baseline, a call into the outbox: median %.2f ms, p99 %.2f ms\n", om / 1e3, o99 / 1e3);
    printf("ratio tap/call: median %.2f, p99 %.2f\n", jm / om, j99 / o99);

    /* 2. loading the shipped forms */
    struct qn_set *set = NULL;
    struct cfg_error err;
    double best = 1e18;
    for (int i = 0; i < 20; i++) {
        double t0 = now_us();
        if (qn_set_load(HAVEN_SOURCE_DIR "/config/haven.cfg", &set, &err) != 0) {
            fprintf(stderr, "%s\n", err.text);
            return 1;
        }
        double t = now_us() - t0;
        best = t < best ? t : best;
        if (i < 19)
            qn_set_free(set);
    }
    printf("loading the shipped forms (%d files): best of 20 %.2f ms\n", set->nforms, best / 1e3);

    /* 3. a completed PHQ-9 as FHIR */
    const struct qn_form *phq = &set->forms[set->phase[PHASE_INTAKE][1]];
    struct qn_answers a;
    qn_answers_clear(&a);
    for (int i = 0; i < phq->nitems; i++)
        a.opt[i] = 1;
    struct fhir_meta m = { "resp-bench", "V-BENCH", "chair-1", QN_ES, true, clock_now_ms(), NULL, NULL };
    size_t size = 0;
    double t0 = now_us();
    for (int i = 0; i < 1000; i++) {
        char *json = fhir_encode_response(phq, &a, &m);
        size = json ? strlen(json) : 0;
        free(json);
    }
    printf("a completed PHQ-9 (Spanish) as FHIR: %zu bytes, %.1f us to encode\n", size,
           (now_us() - t0) / 1000);

    /* 4. resuming from the journal: every tap above changes this run (PHQ-9 alone). */
    struct run r;
    set->phase[PHASE_INFUSION][0] = set->phase[PHASE_INTAKE][1];
    set->nphase[PHASE_INFUSION] = 1;
    run_init(&r, set, PHASE_INFUSION);
    t0 = now_us();
    int n = journal_load(j, "V-BENCH", PHASE_INFUSION, replay, &r);
    printf("resume: %d journaled taps read and applied in %.2f ms (%d applied; at question %d)\n",
           n, (now_us() - t0) / 1e3, replay_count, r.item + 1);

    qn_set_free(set);
    journal_close(j);
    outbox_close(ob);
    free(jt);
    free(ot);
    if (dir == tmp) {
        for (const char *const *f = (const char *const[]){ "journal.db", "journal.db-wal",
                 "journal.db-shm", "kiosk.db", "kiosk.db-wal", "kiosk.db-shm", NULL }; *f; f++) {
            snprintf(path, sizeof path, "%s/%s", tmp, *f);
            unlink(path);
        }
        rmdir(tmp);
    }
    return n == taps && replay_count == taps ? 0 : 1;
}
