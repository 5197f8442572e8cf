/* fuzz_report_request.c - P/report/C/request/<login> payloads (contract_decode_report_request). */
#include "contract.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct msg_report_request a;
    const char *why = NULL;

    fuzz_quiet();
    if (contract_decode_report_request((const char *)data, size, &a, &why) != 0) {
        FUZZ_ASSERT(why != NULL);
        return 0;
    }
    FUZZ_ASSERT(FUZZ_TERMINATED(a.id) && a.id[0]);
    FUZZ_ASSERT(a.since_ms > 0 && a.until_ms > a.since_ms &&
                a.until_ms - a.since_ms <= REPORT_RANGE_MAX_MS);
    FUZZ_ASSERT(a.day_starts_min >= 0 && a.day_starts_min < 1440 && a.night_starts_min >= 0 &&
                a.night_starts_min < 1440 && a.day_starts_min != a.night_starts_min);
    for (int p = 0; p < PRIO_COUNT; p++)
        FUZZ_ASSERT(a.target_s[p] >= 1 && a.target_s[p] <= REPORT_TARGET_MAX_S);
    return 0;
}
