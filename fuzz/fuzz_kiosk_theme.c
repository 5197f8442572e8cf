/* fuzz_kiosk_theme.c - P/room/R/kiosk/theme (contract_decode_kiosk_theme), with a round trip. */
#include "contract.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct msg_kiosk_theme a, b;
    const char *why = NULL;
    char *again;

    fuzz_quiet();
    if (contract_decode_kiosk_theme((const char *)data, size, &a, &why) != 0) {
        FUZZ_ASSERT(why != NULL);
        return 0;
    }
    FUZZ_ASSERT(FUZZ_TERMINATED(a.theme) && FUZZ_TERMINATED(a.scene));
    FUZZ_ASSERT(a.phase >= 0 && a.phase < PHASE_COUNT);
    again = contract_encode_kiosk_theme(a.theme, a.scene[0] ? a.scene : NULL, a.phase, 0);
    FUZZ_ASSERT(again != NULL);
    FUZZ_ASSERT(contract_decode_kiosk_theme(again, strlen(again), &b, &why) == 0);
    FUZZ_ASSERT(b.phase == a.phase && strcmp(a.theme, b.theme) == 0 && strcmp(a.scene, b.scene) == 0);
    free(again);
    return 0;
}
