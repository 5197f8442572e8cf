/*
 * record_seed.c - record-seed DB < lines.jsonl: fills a station's course
 * store (station/record.h) before the station starts, for the course and FHIR
 * tests, without the MQTT ingest.  One JSON object a line:
 *
 *   {"visit":"V-1","patient":"P-1","room":"chair-1","days_ago":12}
 *       a visit begun that many days before now (or "begun_ms": epoch ms);
 *   {"resourceType":"QuestionnaireResponse", ...}
 *       a response as a kiosk sends it (kiosk/forms/fhir.c), stored as it is.
 *
 * Prints "seeded: V visits, R responses" and exits 0, or 1 naming the line.
 */
#include "clock.h"
#include "record.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES (256 * 1024)

static int seed_line(record *r, const char *line, size_t len, int64_t now, int *visits,
                     int *responses)
{
    cJSON *o = cJSON_ParseWithLength(line, len);
    const cJSON *days, *ms;
    int rc = -1;

    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "resourceType")) {
        rc = record_add_response(r, "seed", line, len, now);
        *responses += rc == RECORD_NEW;
        rc = rc < 0 ? rc : 0;
    } else {
        int64_t at = now;
        days = cJSON_GetObjectItemCaseSensitive(o, "days_ago");
        ms = cJSON_GetObjectItemCaseSensitive(o, "begun_ms");
        if (cJSON_IsNumber(days))
            at = now - (int64_t)(days->valuedouble * 86400000.0);
        else if (cJSON_IsNumber(ms))
            at = (int64_t)ms->valuedouble;
        rc = record_visit_begun(r, cJSON_GetStringValue(cJSON_GetObjectItem(o, "visit")),
                                cJSON_GetStringValue(cJSON_GetObjectItem(o, "patient")),
                                cJSON_GetStringValue(cJSON_GetObjectItem(o, "room")), at);
        *visits += rc == 0;
    }
    cJSON_Delete(o);
    return rc;
}

int main(int argc, char **argv)
{
    char *line = malloc(LINE_MAX_BYTES);
    int visits = 0, responses = 0, n = 0, status = 0;
    int64_t now = clock_now_ms();
    record *r;

    if (argc != 2 || !line) {
        fprintf(stderr, "usage: record-seed DB < lines.jsonl\n");
        free(line);
        return 2;
    }
    if (!(r = record_open(argv[1]))) {
        free(line);
        return 1;
    }
    while (fgets(line, LINE_MAX_BYTES, stdin)) {
        size_t len = strlen(line);
        n++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len && seed_line(r, line, len, now, &visits, &responses) != 0) {
            fprintf(stderr, "record-seed: line %d refused\n", n);
            status = 1;
            break;
        }
    }
    record_close(r);
    free(line);
    if (status == 0)
        printf("seeded: %d visits, %d responses\n", visits, responses);
    return status;
}
