/* fuzz_call.c - P/room/R/kiosk/call payloads (contract_decode_call), round-tripped. */
#include "contract.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct msg_call a, b;
    const char *why = NULL;
    char *again;

    fuzz_quiet();
    if (contract_decode_call((const char *)data, size, &a, &why) != 0) {
        FUZZ_ASSERT(why != NULL);
        return 0;
    }
    FUZZ_ASSERT(FUZZ_TERMINATED(a.id) && FUZZ_TERMINATED(a.detail));
    FUZZ_ASSERT(a.reason >= 0 && a.reason < REASON_COUNT);
    again = contract_encode_kiosk_call(a.id, a.reason, a.detail[0] ? a.detail : NULL, 0);
    FUZZ_ASSERT(again != NULL);
    FUZZ_ASSERT(contract_decode_call(again, strlen(again), &b, &why) == 0);
    FUZZ_ASSERT(strcmp(a.id, b.id) == 0 && a.reason == b.reason && strcmp(a.detail, b.detail) == 0);
    free(again);
    return 0;
}
