/*
 * fuzz_kcfg.c - the kiosk's config loader (kcfg_load: shared prefix and
 * broker, its room, its kiosk { } section) on arbitrary files, for chair-1.
 */
#include "fuzz_util.h"
#include "kcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct kiosk_config cfg;  /* some 30 KiB: not on the fuzzer's stack */
    struct cfg_error err;
    const char *path;

    fuzz_quiet();
    path = fuzz_file(data, size);
    if (!path)
        return 0;
    if (kcfg_load(path, "chair-1", &cfg, &err) != 0) {
        FUZZ_ERROR_NAMES_FILE(err, path);
        return 0;
    }
    FUZZ_ASSERT(topic_prefix_valid(cfg.prefix));
    FUZZ_ASSERT(strcmp(cfg.room, "chair-1") == 0 && cfg.room_label[0]);
    FUZZ_ASSERT(cfg.state_dir[0] == '/');
    FUZZ_ASSERT(cfg.dpi >= 72 && cfg.dpi <= 600);
    FUZZ_ASSERT(utf8_valid(cfg.offline_text, strlen(cfg.offline_text)));
    return 0;
}
