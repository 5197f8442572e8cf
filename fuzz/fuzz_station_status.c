/* fuzz_station_status.c - P/station/S/status payloads and wills (contract_decode_station_status). */
#include "contract.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct msg_station_status a;
    const char *why = NULL;

    fuzz_quiet();
    if (contract_decode_station_status((const char *)data, size, &a, &why) != 0) {
        FUZZ_ASSERT(why != NULL);
        return 0;
    }
    if (!a.online) {
        FUZZ_ASSERT(a.boards == 0 && a.armed == 0);   /* a will counts no boards */
        return 0;
    }
    FUZZ_ASSERT(a.boards >= 0 && a.boards <= STATION_BOARDS_MAX);
    FUZZ_ASSERT(a.armed >= 0 && a.armed <= a.boards);
    return 0;
}
