/*
 * fuzz_roomcfg.c - the room controller's config loader (roomcfg_load) on
 * arbitrary files.  A config it accepts must hold what validation promises.
 */
#include "fuzz_util.h"
#include "roomcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct room_config cfg;
    struct cfg_error err;
    const char *path;

    fuzz_quiet();
    path = fuzz_file(data, size);
    if (!path)
        return 0;
    if (roomcfg_load(path, &cfg, &err) != 0) {
        FUZZ_ERROR_NAMES_FILE(err, path);
        return 0;
    }
    FUZZ_ASSERT(topic_prefix_valid(cfg.prefix));
    FUZZ_ASSERT(cfg.ngroups >= 1 && cfg.ngroups <= ROOMCFG_MAX_GROUPS);
    FUZZ_ASSERT(cfg.nrooms >= 1);
    for (size_t i = 0; i < cfg.nrooms; i++) {
        FUZZ_ASSERT(room_id_valid(cfg.rooms[i].id));
        FUZZ_ASSERT(roomcfg_room(&cfg, cfg.rooms[i].id) == &cfg.rooms[i]);
        if (i)
            FUZZ_ASSERT(strcmp(cfg.rooms[i - 1].id, cfg.rooms[i].id) < 0);
    }
    for (int p = 0; p < PRIO_COUNT; p++) {
        const struct prio_policy *pol = &cfg.policy[p];
        FUZZ_ASSERT(pol->nsteps >= 1 && pol->nsteps <= ROOMCFG_MAX_STEPS);
        for (int s = 0; s < pol->nsteps; s++)
            FUZZ_ASSERT(roomcfg_has_group(&cfg, pol->steps[s].group));
        FUZZ_ASSERT(pol->repeat_ms > 0 && pol->ack_timeout_ms > 0);
    }
    roomcfg_free(&cfg);
    return 0;
}
