/*
 * fuzz_topic.c - topic parsing (topic_parse, topic_prefix_valid, room_id_valid,
 * utf8_valid).  Input: "<prefix>\0<topic>", or a bare topic under "haven".
 * A topic the parser accepts must be the one topic_build_login makes back
 * from the room and login it parsed.
 */
#include "contract.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char prefix[128] = "haven", topic[1024], name[HV_NAME_MAX], login[HV_LOGIN_MAX],
         built[HV_TOPIC_MAX * 2];
    const uint8_t *nul = memchr(data, '\0', size);
    size_t tlen = size;
    const uint8_t *t = data;

    fuzz_quiet();
    (void)utf8_valid((const char *)data, size);
    if (nul) {
        size_t plen = (size_t)(nul - data);
        if (plen >= sizeof prefix)
            return 0;
        memcpy(prefix, data, plen);
        prefix[plen] = '\0';
        t = nul + 1;
        tlen = size - plen - 1;
    }
    if (tlen >= sizeof topic || memchr(t, '\0', tlen))
        return 0;
    memcpy(topic, t, tlen);
    topic[tlen] = '\0';
    (void)room_id_valid(topic);
    if (!topic_prefix_valid(prefix))
        return 0;
    memset(name, 0x55, sizeof name);
    memset(login, 0x55, sizeof login);
    enum topic_kind kind = topic_parse_login(prefix, topic, name, login);
    FUZZ_ASSERT(topic_parse(prefix, topic, name) == kind);
    if (kind == TOPIC_UNKNOWN)
        return 0;
    FUZZ_ASSERT(FUZZ_TERMINATED(name));
    FUZZ_ASSERT(FUZZ_TERMINATED(login));
    /* ack/clear carry the sender's login as a last level: it must round-trip too */
    FUZZ_ASSERT(topic_build_login(built, sizeof built, prefix, kind, name, login) == 0);
    FUZZ_ASSERT(strcmp(built, topic) == 0);
    return 0;
}
