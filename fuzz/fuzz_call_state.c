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
                a.escalation == b.escalation && strcmp(a.detail, b.detail) == 0 &&
                a.raised_ms == b.raised_ms && a.acknowledged_ms == b.acknowledged_ms);
    /* The concerns too (issue 14): every one the nurse was shown comes back the same. */
    FUZZ_ASSERT(a.nconcerns == b.nconcerns && a.concerns_more == b.concerns_more);
    for (int i = 0; i < a.nconcerns; i++) {
        const struct contract_concern *x = &a.concerns[i], *y = &b.concerns[i];
        FUZZ_ASSERT(FUZZ_TERMINATED(x->detail));
        FUZZ_ASSERT(x->reason == y->reason && x->priority == y->priority &&
                    x->raised_ms == y->raised_ms && strcmp(x->detail, y->detail) == 0);
    }
    free(again);
    return 0;
}
