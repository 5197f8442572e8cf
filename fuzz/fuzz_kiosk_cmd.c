/* fuzz_kiosk_cmd.c - P/room/R/kiosk/cmd payloads (contract_decode_kiosk_cmd). */
#include "contract.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct msg_kiosk_cmd c;
    const char *why = NULL;

    fuzz_quiet();
    if (contract_decode_kiosk_cmd((const char *)data, size, &c, &why) != 0) {
        FUZZ_ASSERT(why != NULL);
        return 0;
    }
    FUZZ_ASSERT(FUZZ_TERMINATED(c.id) && FUZZ_TERMINATED(c.by) && FUZZ_TERMINATED(c.visit) &&
                FUZZ_TERMINATED(c.lang));
    FUZZ_ASSERT(c.cmd >= CMD_CALL_ACKNOWLEDGED && c.cmd <= CMD_END_VISIT);
    if (c.cmd == CMD_PHASE)
        FUZZ_ASSERT(c.phase >= 0 && c.phase < PHASE_COUNT);
    return 0;
}
