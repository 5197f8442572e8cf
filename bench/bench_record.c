/*
 * bench_record.c - the patient's course store (station/record.c, issue 14 part 2).
 *
 *   bench_record [--patients N] [--infusions N] [--queries N]
 *
 *   --patients N   pseudonymous patients (default 10000)
 *   --infusions N  visits each, one PHQ-9 and one GAD-7 response a visit (default 6)
 *   --queries N    course reads and response walks of random patients (default 2000)
 *
 * The real store in a file in a temp dir: each visit begun as the station
 * begins it, each response ingested as it comes off the broker (one
 * transaction each), a realistic PHQ-9 with its texts (~2.4 kB) and GAD-7.
 * Prints ingest rate, store size per response, and p50/p99 of a course read
 * (what the course page needs) and of a walk over one patient's stored JSON
 * (what the FHIR search and the CSV export need), and of what the station's
 * routes build from them: the course page's JSON and the FHIR searchset Bundle.
 *
 * Baselines, measured in the same run on the same file: ingest against a bare
 * INSERT of the same JSON into a one-column table (the cost of SQLite itself),
 * and each read against one primary-key lookup of a response (the cheapest read
 * there is).  Exit status: 0, 1 when something did not work, 2 on a usage error.
 */
#include "clock.h"
#include "course.h"
#include "harness.h"
#include "record.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DAY 86400000LL
#define T0 1796651587412LL

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp_dbl);
    return v[(int)(p * (n - 1))];
}

static const char *const item_text[9] = {
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself - or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite - being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
};
static const char *const item_link[9] = { "44250-9", "44255-8", "44259-0", "44254-1", "44251-7",
                                          "44258-2", "44252-5", "44253-3", "44260-8" };
static const char *const la[4] = { "LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9" };
static const char *const la_text[4] = { "Not at all", "Several days", "More than half the days",
                                        "Nearly every day" };

static size_t phq9_json(char *buf, size_t cap, const char *id, const char *visit,
                        const char *patient, unsigned seed)
{
    size_t n = (size_t)snprintf(buf, cap,
        "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"%s\",\"language\":\"en\","
        "\"questionnaire\":\"https://haven.example/fhir/Questionnaire/phq-9|1\","
        "\"status\":\"completed\",\"subject\":{\"reference\":\"Patient/%s\"},"
        "\"encounter\":{\"reference\":\"Encounter/%s\"},"
        "\"authored\":\"2026-12-07T14:03:07.412Z\",\"item\":[", id, patient, visit);
    int total = 0;

    for (int i = 0; i < 9; i++) {
        int a = (int)((seed >> (2 * i)) & 3u);
        total += a;
        n += (size_t)snprintf(buf + n, cap - n,
            "{\"linkId\":\"%s\",\"text\":\"%s\",\"answer\":[{\"valueCoding\":{"
            "\"system\":\"http://loinc.org\",\"code\":\"%s\",\"display\":\"%s\"}}]},",
            item_link[i], item_text[i], la[a], la_text[a]);
    }
    n += (size_t)snprintf(buf + n, cap - n,
        "{\"linkId\":\"44261-6\",\"text\":\"PHQ-9 total score\",\"answer\":[{\"valueInteger\":%d}]}]}",
        total);
    return n;
}

static size_t gad7_json(char *buf, size_t cap, const char *id, const char *visit, unsigned seed)
{
    return (size_t)snprintf(buf, cap,
        "{\"resourceType\":\"QuestionnaireResponse\",\"id\":\"%s\",\"status\":\"completed\","
        "\"questionnaire\":\"https://haven.example/fhir/Questionnaire/gad-7|1\","
        "\"encounter\":{\"reference\":\"Encounter/%s\"},\"authored\":\"2026-12-07T14:13:07.412Z\","
        "\"item\":[{\"linkId\":\"69725-0\",\"answer\":[{\"valueCoding\":{\"system\":\"http://loinc.org\","
        "\"code\":\"LA6569-3\",\"display\":\"Several days\"}}]},"
        "{\"linkId\":\"70274-6\",\"text\":\"GAD-7 total score\",\"answer\":[{\"valueInteger\":%u}]}]}",
        id, visit, seed % 22);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static int count_cb(void *ctx, const char *id, const char *json)
{
    (void)id;
    *(size_t *)ctx += strlen(json);
    return 0;
}

/* The floor for ingest: the same JSON bytes into a one-column table, a transaction each. */
static double baseline_ingest(const char *dir, int n, const char *json, size_t len)
{
    char path[600];
    sqlite3 *db;
    sqlite3_stmt *st;
    double t0;

    snprintf(path, sizeof path, "%s/baseline.db", dir);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "CREATE TABLE t(id TEXT PRIMARY KEY, fhir TEXT)", NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?1, ?2)", -1, &st, NULL);
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "r-%d", i);
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, json, (int)len, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    t0 = now_s() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n / t0;
}

static int run(int npatients, int ninf, int nq, const char *dir)
{
    char path[600], *json = malloc(16384), patient[32], visit[32], id[40];
    int64_t nresp = 0;
    double t0, t_ingest, *lat = malloc(sizeof(double) * (size_t)nq * 5);
    record *r;
    size_t len = 0, phq_len = 0;

    snprintf(path, sizeof path, "%s/record.db", dir);
    r = record_open(path);
    if (!r || !json || !lat)
        return 1;
    srand(7);
    t0 = now_s();
    for (int p = 0; p < npatients; p++) {
        snprintf(patient, sizeof patient, "P-%d", p);
        for (int i = 0; i < ninf; i++) {
            snprintf(visit, sizeof visit, "V-%d-%d", p, i);
            if (record_visit_begun(r, visit, patient, "chair-1", T0 + i * 3 * DAY) != 0)
                return 1;
            snprintf(id, sizeof id, "resp-%d-%d-a", p, i);
            len = phq9_json(json, 16384, id, visit, patient, (unsigned)rand());
            phq_len = len;
            if (record_add_response(r, "chair-1", json, len, T0) != RECORD_NEW)
                return 1;
            snprintf(id, sizeof id, "resp-%d-%d-b", p, i);
            len = gad7_json(json, 16384, id, visit, (unsigned)rand());
            if (record_add_response(r, "chair-1", json, len, T0) != RECORD_NEW)
                return 1;
            nresp += 2;
        }
    }
    t_ingest = now_s() - t0;
    record_close(r);
    long db_bytes = file_size(path);
    char wal[620];
    snprintf(wal, sizeof wal, "%s-wal", path);
    long wal_bytes = file_size(wal);

    r = record_open(path);
    if (!r)
        return 1;
    /* The cheapest read of the store: one response by its primary key. */
    sqlite3 *raw;
    sqlite3_stmt *pk;
    if (sqlite3_open_v2(path, &raw, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(raw, "SELECT fhir FROM responses WHERE id = ?1", -1, &pk, NULL) != SQLITE_OK)
        return 1;
    for (int q = 0; q < nq; q++) {
        struct record_course c;
        size_t bytes = 0;
        int p = rand() % npatients;
        double t;

        snprintf(patient, sizeof patient, "P-%d", p);
        t = now_s();
        if (record_course(r, patient, T0 + 30 * DAY, 14, &c) != 0 || c.n != ninf)
            return 1;
        lat[q] = (now_s() - t) * 1e3;
        t = now_s();
        if (record_each_response(r, patient, count_cb, &bytes) != 0 || bytes == 0)
            return 1;
        lat[nq + q] = (now_s() - t) * 1e3;
        snprintf(id, sizeof id, "resp-%d-%d-a", p, rand() % ninf);
        t = now_s();
        sqlite3_bind_text(pk, 1, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(pk) != SQLITE_ROW)
            return 1;
        sqlite3_reset(pk);
        lat[2 * nq + q] = (now_s() - t) * 1e3;
        /* What GET /api/course and GET /fhir/QuestionnaireResponse build (station/course.c). */
        char *text;
        int status;
        t = now_s();
        if (record_course(r, patient, T0 + 30 * DAY, 14, &c) != 0 || !(text = course_json(&c, 14)))
            return 1;
        lat[3 * nq + q] = (now_s() - t) * 1e3;
        free(text);
        t = now_s();
        text = course_bundle(r, patient, "https://station:8443", T0, &status);
        if (!text || status != 0)
            return 1;
        lat[4 * nq + q] = (now_s() - t) * 1e3;
        free(text);
    }
    sqlite3_finalize(pk);
    sqlite3_close(raw);
    record_close(r);

    double c50 = pct(lat, nq, 0.5), c99 = pct(lat, nq, 0.99);
    double w50 = pct(lat + nq, nq, 0.5), w99 = pct(lat + nq, nq, 0.99);
    double k50 = pct(lat + 2 * nq, nq, 0.5), k99 = pct(lat + 2 * nq, nq, 0.99);
    double j50 = pct(lat + 3 * nq, nq, 0.5), j99 = pct(lat + 3 * nq, nq, 0.99);
    double b50 = pct(lat + 4 * nq, nq, 0.5), b99 = pct(lat + 4 * nq, nq, 0.99);
    phq9_json(json, 16384, "resp-x", "V-x", "P-x", 12345u);
    double base_rate = baseline_ingest(dir, (int)(nresp < 20000 ? nresp : 20000), json, phq_len);
    double rate = nresp / t_ingest;

    printf("record: %d patients x %d infusions = %lld responses (PHQ-9 %zu B, GAD-7 ~%zu B)\n",
           npatients, ninf, (long long)nresp, phq_len, len);
    printf("  ingest: %.0f responses/s (one transaction each); bare INSERT of the same JSON "
           "%.0f/s; ratio %.2f\n", rate, base_rate, base_rate / rate);
    printf("  store: %.1f MB database + %.1f MB wal = %.0f bytes per response\n",
           db_bytes / 1e6, wal_bytes / 1e6, (double)(db_bytes + wal_bytes) / (double)nresp);
    printf("  course read (%d random patients): p50 %.3f ms  p99 %.3f ms  (ratio to a "
           "primary-key lookup p99 %.3f ms: %.1f)\n", nq, c50, c99, k99, c99 / k99);
    printf("  walk of one patient's %d responses (FHIR search, CSV): p50 %.3f ms  p99 %.3f ms\n",
           2 * ninf, w50, w99);
    printf("  primary-key lookup: p50 %.3f ms  p99 %.3f ms\n", k50, k99);
    printf("  course page JSON (record_course + course_json): p50 %.3f ms  p99 %.3f ms\n",
           j50, j99);
    printf("  FHIR searchset Bundle (course_bundle, %d entries): p50 %.3f ms  p99 %.3f ms\n",
           2 * ninf, b50, b99);
    free(json);
    free(lat);
    return 0;
}

int main(int argc, char **argv)
{
    int npatients = 10000, ninf = 6, nq = 2000, rc;
    char *dir;

    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--patients") == 0)
            npatients = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--infusions") == 0)
            ninf = atoi(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--queries") == 0)
            nq = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_record [--patients N] [--infusions N] [--queries N]\n");
            return 2;
        }
    }
    if (npatients < 1 || ninf < 1 || ninf > RECORD_INFUSIONS_MAX || nq < 1) {
        fprintf(stderr, "bench_record: --patients, --queries >= 1, --infusions 1..%d\n",
                RECORD_INFUSIONS_MAX);
        return 2;
    }
    dir = hv_tmpdir("bench-record");
    if (!dir)
        return 1;
    rc = run(npatients, ninf, nq, dir);
    if (rc)
        fprintf(stderr, "bench_record: the store did not do what was asked\n");
    hv_rm_rf(dir);
    free(dir);
    return rc;
}
