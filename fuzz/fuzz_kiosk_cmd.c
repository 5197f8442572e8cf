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
    /* What an acknowledgement carries is what the controller would encode for it. */
    if (c.cmd == CMD_CALL_ACKNOWLEDGED) {
        struct msg_kiosk_cmd d;
        char *again = contract_encode_kiosk_cmd_ack(c.id, c.by);
        FUZZ_ASSERT(again != NULL);
        FUZZ_ASSERT(contract_decode_kiosk_cmd(again, strlen(again), &d, &why) == 0);
        FUZZ_ASSERT(d.cmd == CMD_CALL_ACKNOWLEDGED && strcmp(c.id, d.id) == 0 &&
                    strcmp(c.by, d.by) == 0);
        free(again);
    }
    return 0;
}
