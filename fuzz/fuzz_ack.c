/* fuzz_ack.c - P/call/R/ack, P/call/R/clear, P/room/R/kiosk/clear (contract_decode_ack). */
#include "contract.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct msg_ack a, b;
    const char *why = NULL;
    char *again;

    fuzz_quiet();
    if (contract_decode_ack((const char *)data, size, &a, &why) != 0) {
        FUZZ_ASSERT(why != NULL);
        return 0;
    }
    FUZZ_ASSERT(FUZZ_TERMINATED(a.id) && FUZZ_TERMINATED(a.by));
    /* The kiosk's bedside clear carries the same two fields: encode it, decode it again. */
    again = contract_encode_kiosk_clear(a.id, a.by[0] ? a.by : NULL, 0);
    FUZZ_ASSERT(again != NULL);
    FUZZ_ASSERT(contract_decode_ack(again, strlen(again), &b, &why) == 0);
    FUZZ_ASSERT(strcmp(a.id, b.id) == 0 && strcmp(a.by, b.by) == 0);
    free(again);
    return 0;
}
