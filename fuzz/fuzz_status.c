/* fuzz_status.c - P/room/R/kiosk/status payloads and wills (contract_decode_status). */
#include "contract.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct msg_status a, b;
    const char *why = NULL;
    char *again;

    fuzz_quiet();
    if (contract_decode_status((const char *)data, size, &a, &why) != 0) {
        FUZZ_ASSERT(why != NULL);
        return 0;
    }
    FUZZ_ASSERT(FUZZ_TERMINATED(a.visit));
    FUZZ_ASSERT(a.beat_ms == 0 || (a.beat_ms >= STATUS_BEAT_MIN && a.beat_ms <= STATUS_BEAT_MAX));
    if (!a.online || !a.has_phase)
        return 0;
    FUZZ_ASSERT(a.phase >= 0 && a.phase < PHASE_COUNT);
    again = contract_encode_kiosk_status_beat(a.phase, a.visit, a.beat_ms, 0);
    FUZZ_ASSERT(again != NULL);
    FUZZ_ASSERT(contract_decode_status(again, strlen(again), &b, &why) == 0);
    FUZZ_ASSERT(b.online && b.has_phase && b.phase == a.phase && strcmp(a.visit, b.visit) == 0 &&
                b.beat_ms == a.beat_ms);
    free(again);
    return 0;
}
