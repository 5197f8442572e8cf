/* fuzz_call_state.c - P/call/R and P/page/G payloads (contract_decode_call_state), round-tripped. */
#include "contract.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct contract_call a, b;
    const char *why = NULL;
    char *again;

    fuzz_quiet();
    if (contract_decode_call_state((const char *)data, size, &a, &why) != 0) {
        FUZZ_ASSERT(why != NULL);
        return 0;
    }
    FUZZ_ASSERT(FUZZ_TERMINATED(a.id) && FUZZ_TERMINATED(a.room) && FUZZ_TERMINATED(a.label) &&
                FUZZ_TERMINATED(a.by) && FUZZ_TERMINATED(a.detail));
    again = contract_encode_call(&a);
    FUZZ_ASSERT(again != NULL);
    FUZZ_ASSERT(contract_decode_call_state(again, strlen(again), &b, &why) == 0);
    FUZZ_ASSERT(strcmp(a.id, b.id) == 0 && strcmp(a.room, b.room) == 0 &&
                strcmp(a.label, b.label) == 0 && a.priority == b.priority &&
                a.reason == b.reason && a.state == b.state && strcmp(a.by, b.by) == 0 &&
                a.escalation == b.escalation && strcmp(a.detail, b.detail) == 0);
    free(again);
    return 0;
}
