/* fuzz_lights_set.c - P/room/R/lights/set staff overrides (contract_decode_lights_set). */
#include "contract.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct msg_lights_set m;
    const char *why = NULL;

    fuzz_quiet();
    if (contract_decode_lights_set((const char *)data, size, &m, &why) != 0) {
        FUZZ_ASSERT(why != NULL);
        return 0;
    }
    /* Exactly one of: release, a scene, a level; every value in range. */
    FUZZ_ASSERT(FUZZ_TERMINATED(m.scene));
    FUZZ_ASSERT(m.release + (m.scene[0] != '\0') + (m.has_brightness || m.has_kelvin) == 1);
    for (const char *s = m.scene; *s; s++)
        FUZZ_ASSERT((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-');
    FUZZ_ASSERT(!m.has_brightness || (m.brightness >= 0 && m.brightness <= 100));
    FUZZ_ASSERT(!m.has_kelvin || (m.kelvin >= 2000 && m.kelvin <= 6500));
    FUZZ_ASSERT(!m.has_transition || (m.transition_ms >= 0 && m.transition_ms <= 3600000));
    return 0;
}
