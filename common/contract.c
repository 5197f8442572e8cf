/* contract.c - topics and payloads of the MQTT contract, with cJSON. */
#include "contract.h"
#include "clock.h"
#include "err.h"
#include "mqtt.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* ---- names ------------------------------------------------------------------ */

static const char *const reason_names[REASON_COUNT] = {
    "help", "unwell", "safety", "ready", "kiosk_offline"
};
static const char *const priority_names[PRIO_COUNT] = { "routine", "assist", "urgent" };
static const char *const phase_names[PHASE_COUNT] = {
    "idle", "intake", "infusion", "recovery", "discharge"
};

static int name_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

const char *reason_name(enum call_reason r) { return (unsigned)r < REASON_COUNT ? reason_names[r] : "?"; }
const char *priority_name(enum priority p) { return (unsigned)p < PRIO_COUNT ? priority_names[p] : "?"; }
const char *phase_name(enum phase p) { return (unsigned)p < PHASE_COUNT ? phase_names[p] : "?"; }
const char *call_state_name(enum call_state s) { return s == CALL_ACKNOWLEDGED ? "acknowledged" : "open"; }
int reason_from_name(const char *name) { return name_index(reason_names, REASON_COUNT, name); }
int priority_from_name(const char *name) { return name_index(priority_names, PRIO_COUNT, name); }
int phase_from_name(const char *name) { return name_index(phase_names, PHASE_COUNT, name); }

/* ---- topics --------------------------------------------------------------------- */

bool room_id_valid(const char *id)
{
    size_t n = 0;

    for (; id && id[n]; n++) {
        char c = id[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') || n >= 32)
            return false;
    }
    return n > 0;
}

bool topic_prefix_valid(const char *prefix)
{
    size_t n = prefix ? strlen(prefix) : 0;

    if (n == 0 || n >= 64 || prefix[0] == '/' || prefix[n - 1] == '/' || strstr(prefix, "//") ||
        !utf8_valid(prefix, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)prefix[i];
        if (c == '+' || c == '#' || c <= ' ' || c == 0x7f)
            return false;
    }
    return true;
}

/* Table of the topics under P: which levels follow the prefix. "%" is the name, "@" the
 * sender's broker login (DESIGN P2). */
static const struct {
    enum topic_kind kind;
    const char *pattern;
} topic_table[] = {
    { TOPIC_KIOSK_STATUS,   "room/%/kiosk/status" },
    { TOPIC_KIOSK_CALL,     "room/%/kiosk/call" },
    { TOPIC_KIOSK_CLEAR,    "room/%/kiosk/clear" },
    { TOPIC_KIOSK_CHECKIN,  "room/%/kiosk/checkin" },
    { TOPIC_KIOSK_RESPONSE, "room/%/kiosk/response" },
    { TOPIC_KIOSK_THEME,    "room/%/kiosk/theme" },
    { TOPIC_KIOSK_CMD,      "room/%/kiosk/cmd" },
    { TOPIC_LIGHTS_SET,     "room/%/lights/set" },
    { TOPIC_LIGHTS_STATE,   "room/%/lights/state" },
    { TOPIC_CALL,           "call/%" },
    { TOPIC_CALL_ACK,       "call/%/ack/@" },
    { TOPIC_CALL_CLEAR,     "call/%/clear/@" },
    { TOPIC_PAGE,           "page/%" },
    { TOPIC_CONTROLLER,     "controller/%/status" },
    { TOPIC_STATION_STATUS, "station/%/status" },
    { TOPIC_REPORT_REQUEST, "report/%/request/@" },
    { TOPIC_REPORT_REPLY,   "report/%/reply/@" },
};

/* Whether name is of the right shape for kind's "%" level. */
static bool topic_name_valid(enum topic_kind kind, const char *name)
{
    switch (kind) {
    case TOPIC_PAGE:
    case TOPIC_CONTROLLER:
    case TOPIC_REPORT_REQUEST:
    case TOPIC_REPORT_REPLY:
        return !strpbrk(name, "+#");  /* a group or controller id */
    case TOPIC_STATION_STATUS:
        return login_valid(name);
    default:
        return room_id_valid(name);
    }
}

bool login_valid(const char *s)
{
    size_t n = 0;

    for (; s && s[n]; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-') || n >= HV_LOGIN_MAX - 1)
            return false;
    }
    return n > 0;
}

/* Copies the level at *rest (up to '/' or the end) into out (size outlen); false if empty
 * or too long.  Advances *rest past it. */
static bool take_level(const char **rest, char *out, size_t outlen)
{
    size_t n = strcspn(*rest, "/");

    if (n == 0 || n >= outlen)
        return false;
    memcpy(out, *rest, n);
    out[n] = '\0';
    *rest += n;
    return true;
}

/* Matches rest against pattern; the "%" level is copied into name, "@" into login. */
static bool topic_match(const char *pattern, const char *rest, char name[HV_NAME_MAX],
                        char login[HV_LOGIN_MAX])
{
    for (const char *p = pattern; *p; p++, rest++) {
        if (*p == '%' || *p == '@') {
            if (*p == '%' ? !take_level(&rest, name, HV_NAME_MAX)
                          : !take_level(&rest, login, HV_LOGIN_MAX))
                return false;
            rest--;
        } else if (*p != *rest) {
            return false;
        }
    }
    return *rest == '\0';
}

enum topic_kind topic_parse(const char *prefix, const char *topic, char name[HV_NAME_MAX])
{
    char login[HV_LOGIN_MAX];
    return topic_parse_login(prefix, topic, name, login);
}

enum topic_kind topic_parse_login(const char *prefix, const char *topic, char name[HV_NAME_MAX],
                                  char login[HV_LOGIN_MAX])
{
    size_t plen = strlen(prefix);

    login[0] = '\0';
    if (strncmp(topic, prefix, plen) != 0 || topic[plen] != '/')
        return TOPIC_UNKNOWN;
    for (size_t i = 0; i < sizeof topic_table / sizeof topic_table[0]; i++) {
        enum topic_kind k = topic_table[i].kind;
        if (!topic_match(topic_table[i].pattern, topic + plen + 1, name, login))
            continue;
        if (strchr(topic_table[i].pattern, '@') && !login_valid(login))
            break;
        if (topic_name_valid(k, name))
            return k;
        break;
    }
    login[0] = '\0';
    return TOPIC_UNKNOWN;
}

int topic_build(char *out, size_t outlen, const char *prefix, enum topic_kind kind,
                const char *name)
{
    return topic_build_login(out, outlen, prefix, kind, name, "+");
}

int topic_build_login(char *out, size_t outlen, const char *prefix, enum topic_kind kind,
                      const char *name, const char *login)
{
    for (size_t i = 0; i < sizeof topic_table / sizeof topic_table[0]; i++) {
        const char *pat = topic_table[i].pattern, *pct, *at;
        int n;
        if (topic_table[i].kind != kind)
            continue;
        pct = strchr(pat, '%');
        at = strchr(pat, '@');
        if (at)
            n = snprintf(out, outlen, "%s/%.*s%s%.*s%s", prefix, (int)(pct - pat), pat, name,
                         (int)(at - pct - 1), pct + 1, login);
        else
            n = snprintf(out, outlen, "%s/%.*s%s%s", prefix, (int)(pct - pat), pat, name, pct + 1);
        return n < 0 || (size_t)n >= outlen ? HV_EINVAL : 0;
    }
    return HV_EINVAL;
}

/* ---- decoding helpers --------------------------------------------------------------- */

bool utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + len;

    while (s < end) {
        unsigned c = *s;
        int n;
        unsigned min;
        if (c < 0x80) { s++; continue; }
        else if ((c & 0xE0) == 0xC0) { n = 1; min = 0x80; c &= 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 2; min = 0x800; c &= 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 3; min = 0x10000; c &= 0x07; }
        else return false;
        if (end - s <= n)
            return false;
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (s[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        s += n + 1;
    }
    return true;
}

/*
 * True if a JSON text (already parsed, so backslashes occur only inside strings)
 * has a \u0000 escape: cJSON would decode it into a NUL that silently cuts the
 * string short, so "z2\u0000evil" would pass every check as "z2".
 */
static bool has_escaped_nul(const char *text, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (text[i] != '\\')
            continue;
        if (text[i + 1] == 'u' && i + 5 < len && memcmp(text + i + 2, "0000", 4) == 0)
            return true;
        i++;  /* the escaped character: "\\" must not start a second escape */
    }
    return false;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * True if an object anywhere in node has the same key twice.  cJSON keeps
 * both and every lookup finds the first, so a checker and a later reader
 * could see different values: such a message is refused whole.
 */
static bool has_duplicate_keys(const cJSON *node)
{
    const cJSON *c;
    size_t n = 0, i = 0;
    const char **keys;
    bool dup = false;

    for (c = node ? node->child : NULL; c; c = c->next) {
        if (has_duplicate_keys(c))
            return true;
        n++;
    }
    if (!cJSON_IsObject(node) || n < 2)
        return false;
    keys = malloc(n * sizeof *keys);
    if (!keys)
        return true;  /* cannot check: refuse rather than guess */
    for (c = node->child; c; c = c->next)
        keys[i++] = c->string ? c->string : "";
    qsort(keys, n, sizeof *keys, key_cmp);
    for (i = 1; i < n && !dup; i++)
        dup = strcmp(keys[i - 1], keys[i]) == 0;
    free(keys);
    return dup;
}

/* Parses payload into a JSON object, or sets *why and returns NULL. */
static cJSON *parse_object(const char *payload, size_t len, int *rc, const char **why)
{
    cJSON *root;
    const char *end = NULL;

    *rc = HV_EPARSE;
    if (len > HV_PAYLOAD_MAX) {
        *rc = HV_ETOOBIG;
        *why = "payload larger than 64 KiB";
        return NULL;
    }
    if (!payload || len == 0) {
        *why = "empty payload";
        return NULL;
    }
    if (!utf8_valid(payload, len)) {
        *why = "payload is not UTF-8";
        return NULL;
    }
    /* A raw NUL would cut strings short (and ends cJSON's parse early). */
    if (memchr(payload, '\0', len)) {
        *why = "payload has a NUL byte";
        return NULL;
    }
    root = cJSON_ParseWithLengthOpts(payload, len, &end, 0);
    while (root && end < payload + len && strchr(" \t\r\n", *end))
        end++;
    if (!root || end != payload + len) {
        cJSON_Delete(root);
        *why = "payload is not JSON";
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *why = "payload is not a JSON object";
        return NULL;
    }
    if (has_escaped_nul(payload, len) || has_duplicate_keys(root)) {
        *why = has_escaped_nul(payload, len) ? "a string holds \\u0000"
                                             : "an object has the same key twice";
        cJSON_Delete(root);
        return NULL;
    }
    *rc = 0;
    return root;
}

/* True for printable text: no control characters (the length is the caller's). */
static bool name_valid(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* Copies the required id field; false (and *why) when missing or malformed. */
static bool get_id(const cJSON *root, char out[HV_ID_MAX], const char **why)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");

    if (!cJSON_IsString(id)) {
        *why = id ? "\"id\" is not a string" : "missing \"id\"";
        return false;
    }
    if (!ids_valid(id->valuestring)) {
        *why = "\"id\" is empty, too long or has characters outside [A-Za-z0-9._:-]";
        return false;
    }
    strcpy(out, id->valuestring);
    return true;
}

/* Copies an optional string field (absent, null or "" gives ""), shorter than outlen. */
static bool get_opt_string(const cJSON *root, const char *key, char *out, size_t outlen,
                           bool name, const char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

    out[0] = '\0';
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsString(v)) {
        *why = "a text field has the wrong type";
        return false;
    }
    if (strlen(v->valuestring) >= outlen || (name && !name_valid(v->valuestring))) {
        *why = "a text field is too long or has control characters";
        return false;
    }
    strcpy(out, v->valuestring);
    return true;
}

/* ---- decoders ---------------------------------------------------------------------- */

int contract_decode_call(const char *payload, size_t len, struct msg_call *out,
                         const char **why)
{
    int rc;
    cJSON *root = parse_object(payload, len, &rc, why);
    const cJSON *reason;

    if (!root)
        return rc;
    rc = HV_EPARSE;
    memset(out, 0, sizeof *out);
    if (!get_id(root, out->id, why))
        goto out;
    reason = cJSON_GetObjectItemCaseSensitive(root, "reason");
    if (!cJSON_IsString(reason)) {
        *why = "missing \"reason\"";
        goto out;
    }
    /* kiosk_offline is the controller's own reason; a kiosk cannot send it. */
    int r = reason_from_name(reason->valuestring);
    if (r < 0 || r == REASON_KIOSK_OFFLINE) {
        *why = "unknown \"reason\"";
        goto out;
    }
    out->reason = (enum call_reason)r;
    if (!get_opt_string(root, "detail", out->detail, sizeof out->detail, true, why))
        goto out;
    const cJSON *prio = cJSON_GetObjectItemCaseSensitive(root, "priority");
    if (prio && !cJSON_IsNull(prio)) {
        int p = cJSON_IsString(prio) ? priority_from_name(prio->valuestring) : -1;
        if (p < 0) {
            *why = "unknown \"priority\"";
            goto out;
        }
        out->has_priority = true;
        out->priority = (enum priority)p;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

int contract_decode_ack(const char *payload, size_t len, struct msg_ack *out,
                        const char **why)
{
    int rc;
    cJSON *root = parse_object(payload, len, &rc, why);

    if (!root)
        return rc;
    memset(out, 0, sizeof *out);
    rc = get_id(root, out->id, why) &&
         get_opt_string(root, "by", out->by, sizeof out->by, true, why) ? 0 : HV_EPARSE;
    cJSON_Delete(root);
    return rc;
}

bool login_is_station(const char *login)
{
    return login && (strcmp(login, "station") == 0 || strncmp(login, "station-", 8) == 0);
}

void contract_ack_sender(struct msg_ack *m, const char *login)
{
    snprintf(m->via, sizeof m->via, "%s", login);
    if (!login_is_station(login) || !m->by[0])
        snprintf(m->by, sizeof m->by, "%s", login);
}

/* The status's optional "beat": a whole number of ms in range, or absent (0). */
static bool get_beat(const cJSON *root, int *beat_ms, const char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "beat");

    *beat_ms = 0;
    if (!v)
        return true;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= STATUS_BEAT_MIN &&
                                v->valuedouble <= STATUS_BEAT_MAX) ||
        v->valuedouble != (double)(int)v->valuedouble) {
        *why = "\"beat\" is not a whole number of ms in 1000..60000";
        return false;
    }
    *beat_ms = (int)v->valuedouble;
    return true;
}

int contract_decode_status(const char *payload, size_t len, struct msg_status *out,
                           const char **why)
{
    int rc;
    cJSON *root = parse_object(payload, len, &rc, why);
    const cJSON *online, *phase;

    if (!root)
        return rc;
    rc = HV_EPARSE;
    memset(out, 0, sizeof *out);
    online = cJSON_GetObjectItemCaseSensitive(root, "online");
    if (!cJSON_IsBool(online)) {
        *why = "missing or non-boolean \"online\"";
        goto out;
    }
    out->online = cJSON_IsTrue(online);
    phase = cJSON_GetObjectItemCaseSensitive(root, "phase");
    if (phase && !cJSON_IsNull(phase)) {
        int p = cJSON_IsString(phase) ? phase_from_name(phase->valuestring) : -1;
        if (p < 0) {
            *why = "unknown \"phase\"";
            goto out;
        }
        out->has_phase = true;
        out->phase = (enum phase)p;
    }
    if (!get_opt_string(root, "visit", out->visit, sizeof out->visit, true, why))
        goto out;
    if (!get_beat(root, &out->beat_ms, why))
        goto out;
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

static int64_t get_time(const cJSON *root, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    int64_t ms = 0;
    if (cJSON_IsString(v))
        clock_parse_rfc3339(v->valuestring, &ms);
    /* Before 1970 is no time Haven gives: unknown, as the encoder writes it (null). */
    return ms > 0 ? ms : 0;
}

/*
 * The call's optional "concerns" (issue 14) into out.  Lenient: an entry that is
 * malformed is skipped (the rest of the call still counts); those past
 * HV_CONCERNS_MAX are counted in concerns_more with the call's own count.
 */
static void get_concerns(const cJSON *root, struct contract_call *out)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "concerns"), *e;
    const cJSON *more = cJSON_GetObjectItemCaseSensitive(root, "concerns_more");
    const char *why = NULL;

    if (cJSON_IsNumber(more) && more->valuedouble >= 0 && more->valuedouble <= 1e6)
        out->concerns_more = (int)more->valuedouble;
    if (!cJSON_IsArray(arr))
        return;
    cJSON_ArrayForEach(e, arr) {
        struct contract_concern k = { 0 };
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "reason");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "priority");
        int rv = cJSON_IsString(r) ? reason_from_name(r->valuestring) : -1;
        int pv = cJSON_IsString(p) ? priority_from_name(p->valuestring) : -1;

        if (!cJSON_IsObject(e) || rv < 0 || pv < 0 ||
            !get_opt_string(e, "detail", k.detail, sizeof k.detail, true, &why))
            continue;
        if (out->nconcerns == HV_CONCERNS_MAX) {
            out->concerns_more += out->concerns_more < 1000000;
            continue;
        }
        k.reason = (enum call_reason)rv;
        k.priority = (enum priority)pv;
        k.raised_ms = get_time(e, "raised");
        out->concerns[out->nconcerns++] = k;
    }
}

int contract_decode_call_state(const char *payload, size_t len, struct contract_call *out,
                               const char **why)
{
    int rc;
    cJSON *root = parse_object(payload, len, &rc, why);
    const cJSON *v;

    if (!root)
        return rc;
    rc = HV_EPARSE;
    memset(out, 0, sizeof *out);
    if (!get_id(root, out->id, why) ||
        !get_opt_string(root, "room", out->room, sizeof out->room, false, why) ||
        !get_opt_string(root, "label", out->label, sizeof out->label, true, why) ||
        !get_opt_string(root, "by", out->by, sizeof out->by, true, why) ||
        !get_opt_string(root, "via", out->via, sizeof out->via, true, why) ||
        !get_opt_string(root, "detail", out->detail, sizeof out->detail, true, why))
        goto out;
    v = cJSON_GetObjectItemCaseSensitive(root, "priority");
    int p = cJSON_IsString(v) ? priority_from_name(v->valuestring) : -1;
    v = cJSON_GetObjectItemCaseSensitive(root, "reason");
    int r = cJSON_IsString(v) ? reason_from_name(v->valuestring) : -1;
    v = cJSON_GetObjectItemCaseSensitive(root, "state");
    if (p < 0 || r < 0 || !cJSON_IsString(v) ||
        (strcmp(v->valuestring, "open") && strcmp(v->valuestring, "acknowledged"))) {
        *why = "bad \"priority\", \"reason\" or \"state\"";
        goto out;
    }
    out->priority = (enum priority)p;
    out->reason = (enum call_reason)r;
    out->state = strcmp(v->valuestring, "open") ? CALL_ACKNOWLEDGED : CALL_OPEN;
    out->raised_ms = get_time(root, "raised");
    out->acknowledged_ms = get_time(root, "acknowledged");
    v = cJSON_GetObjectItemCaseSensitive(root, "escalation");
    out->escalation = cJSON_IsNumber(v) ? v->valueint : 0;
    get_concerns(root, out);
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

static const char *const cmd_names[] = {
    [CMD_CALL_ACKNOWLEDGED] = "call_acknowledged", [CMD_CALL_CLEARED] = "call_cleared",
    [CMD_BEGIN_VISIT] = "begin_visit", [CMD_PHASE] = "phase", [CMD_END_VISIT] = "end_visit",
};

/* Reads the fields cmd needs into out; false (and *why) when one is missing or malformed. */
static bool decode_cmd_fields(const cJSON *root, struct msg_kiosk_cmd *out, const char **why)
{
    const cJSON *v;

    switch (out->cmd) {
    case CMD_CALL_ACKNOWLEDGED:
        return get_id(root, out->id, why) &&
               get_opt_string(root, "by", out->by, sizeof out->by, true, why);
    case CMD_CALL_CLEARED:
        return get_id(root, out->id, why);
    case CMD_BEGIN_VISIT:
        v = cJSON_GetObjectItemCaseSensitive(root, "visit");
        if (!cJSON_IsString(v) || !ids_valid(v->valuestring)) {
            *why = "begin_visit needs a \"visit\" id";
            return false;
        }
        strcpy(out->visit, v->valuestring);
        if (!get_opt_string(root, "lang", out->lang, sizeof out->lang, true, why))
            return false;
        if (!out->lang[0])
            strcpy(out->lang, "en");
        return true;
    case CMD_PHASE:
        v = cJSON_GetObjectItemCaseSensitive(root, "phase");
        int p = cJSON_IsString(v) ? phase_from_name(v->valuestring) : -1;
        if (p < 0) {
            *why = "phase needs a known \"phase\"";
            return false;
        }
        out->phase = (enum phase)p;
        return true;
    case CMD_END_VISIT:
        return true;
    }
    return false;
}

int contract_decode_kiosk_cmd(const char *payload, size_t len, struct msg_kiosk_cmd *out,
                              const char **why)
{
    int rc;
    cJSON *root = parse_object(payload, len, &rc, why);
    const cJSON *cmd;

    if (!root)
        return rc;
    memset(out, 0, sizeof *out);
    cmd = cJSON_GetObjectItemCaseSensitive(root, "cmd");
    int c = cJSON_IsString(cmd)
                ? name_index(cmd_names, (int)(sizeof cmd_names / sizeof cmd_names[0]),
                             cmd->valuestring)
                : -1;
    rc = HV_EPARSE;
    if (c < 0)
        *why = "missing or unknown \"cmd\"";
    else if ((out->cmd = (enum kiosk_cmd)c, decode_cmd_fields(root, out, why)))
        rc = 0;
    cJSON_Delete(root);
    return rc;
}

/* A number member in [min, max]: 1 if present and valid, 0 if absent, -1 (and *why) if not. */
static int get_opt_number(const cJSON *root, const char *key, double min, double max,
                          double *out, const char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= min && v->valuedouble <= max)) {
        *why = "a number is missing its value or out of range";
        return -1;
    }
    *out = v->valuedouble;
    return 1;
}

/* Light scene names: [a-z0-9_-], as in config. */
static bool scene_word_valid(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

static bool lights_set_fields(const cJSON *root, void *dest, const char **why)
{
    struct msg_lights_set *out = dest;
    const cJSON *release = cJSON_GetObjectItemCaseSensitive(root, "release");
    double v = 0;
    int n;

    if (release && !cJSON_IsBool(release)) {
        *why = "\"release\" must be true or false";
        return false;
    }
    out->release = cJSON_IsTrue(release);
    if (!get_opt_string(root, "scene", out->scene, sizeof out->scene, true, why))
        return false;
    if (out->scene[0] && !scene_word_valid(out->scene)) {
        *why = "\"scene\" is not a scene name";
        return false;
    }
    if ((n = get_opt_number(root, "brightness", 0, 100, &out->brightness, why)) < 0)
        return false;
    out->has_brightness = n;
    if ((n = get_opt_number(root, "kelvin", 2000, 6500, &v, why)) < 0)
        return false;
    out->has_kelvin = n, out->kelvin = (int)lround(v);
    if ((n = get_opt_number(root, "transition", 0, 3600, &v, why)) < 0)
        return false;
    out->has_transition = n, out->transition_ms = llround(v * 1000);
    if (out->release + !!out->scene[0] + (out->has_brightness || out->has_kelvin) != 1) {
        *why = "give one of: a \"scene\", \"brightness\"/\"kelvin\", or \"release\":true";
        return false;
    }
    return true;
}

/*
 * Parses payload as a JSON object, zeroes out (size bytes) and fills it with
 * fields(); the decoders whose rules fit in one function of the fields.
 */
static int decode_with(const char *payload, size_t len, void *out, size_t size,
                       bool (*fields)(const cJSON *root, void *out, const char **why),
                       const char **why)
{
    int rc;
    cJSON *root = parse_object(payload, len, &rc, why);

    if (!root)
        return rc;
    memset(out, 0, size);
    rc = fields(root, out, why) ? 0 : HV_EPARSE;
    cJSON_Delete(root);
    return rc;
}

int contract_decode_lights_set(const char *payload, size_t len, struct msg_lights_set *out,
                               const char **why)
{
    return decode_with(payload, len, out, sizeof *out, lights_set_fields, why);
}

static bool kiosk_theme_fields(const cJSON *root, void *dest, const char **why)
{
    struct msg_kiosk_theme *out = dest;
    const cJSON *phase = cJSON_GetObjectItemCaseSensitive(root, "phase");
    int p = cJSON_IsString(phase) ? phase_from_name(phase->valuestring) : -1;

    if (p < 0) {
        *why = "missing or unknown \"phase\"";
        return false;
    }
    out->phase = (enum phase)p;
    if (!get_opt_string(root, "theme", out->theme, sizeof out->theme, true, why) ||
        !get_opt_string(root, "scene", out->scene, sizeof out->scene, true, why))
        return false;
    if (out->scene[0] && !scene_word_valid(out->scene)) {
        *why = "\"scene\" is not a scene name";
        return false;
    }
    return true;
}

int contract_decode_kiosk_theme(const char *payload, size_t len, struct msg_kiosk_theme *out,
                                const char **why)
{
    return decode_with(payload, len, out, sizeof *out, kiosk_theme_fields, why);
}

/* ---- the nurse station (issue 13) ----------------------------------------------------- */

/* A whole number member in [min, max] into *out; false (and *why) if absent or not. */
static bool get_count(const cJSON *root, const char *key, int min, int max, int *out,
                      const char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

    if (!cJSON_IsNumber(v) || !(v->valuedouble >= min && v->valuedouble <= max) ||
        v->valuedouble != (double)(int)v->valuedouble) {
        *why = "a count is missing, not a whole number or out of range";
        return false;
    }
    *out = (int)v->valuedouble;
    return true;
}

/* An optional "ts": absent, null or an RFC 3339 time. */
static bool opt_time_valid(const cJSON *root, const char *key, const char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    int64_t ms;

    if (!v || cJSON_IsNull(v) ||
        (cJSON_IsString(v) && clock_parse_rfc3339(v->valuestring, &ms) == 0))
        return true;
    *why = "\"ts\" is not an RFC 3339 time";
    return false;
}

static bool station_status_fields(const cJSON *root, void *dest, const char **why)
{
    struct msg_station_status *out = dest;
    const cJSON *online = cJSON_GetObjectItemCaseSensitive(root, "online");

    if (!cJSON_IsBool(online)) {
        *why = "missing or non-boolean \"online\"";
        return false;
    }
    out->online = cJSON_IsTrue(online);
    if (!opt_time_valid(root, "ts", why))
        return false;
    if (!out->online)  /* the will: counts, if any, mean nothing */
        return true;
    if (!get_count(root, "boards", 0, STATION_BOARDS_MAX, &out->boards, why) ||
        !get_count(root, "armed", 0, STATION_BOARDS_MAX, &out->armed, why))
        return false;
    if (out->armed > out->boards) {
        *why = "\"armed\" is more than \"boards\"";
        return false;
    }
    return true;
}

int contract_decode_station_status(const char *payload, size_t len,
                                   struct msg_station_status *out, const char **why)
{
    return decode_with(payload, len, out, sizeof *out, station_status_fields, why);
}

/* A required RFC 3339 time member. */
static bool get_req_time(const cJSON *root, const char *key, int64_t *ms, const char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

    if (!cJSON_IsString(v) || clock_parse_rfc3339(v->valuestring, ms) != 0 || *ms <= 0) {
        *why = "\"since\" or \"until\" is missing or not an RFC 3339 time";
        return false;
    }
    return true;
}

/* A required "HH:MM" member, as minutes after midnight. */
static bool get_hhmm(const cJSON *root, const char *key, int *min, const char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    const char *s = cJSON_IsString(v) ? v->valuestring : "";

    if (strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '2' || s[1] < '0' ||
        s[1] > '9' || s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9' ||
        (s[0] - '0') * 10 + (s[1] - '0') > 23) {
        *why = "\"day_starts\" or \"night_starts\" is missing or not \"HH:MM\"";
        return false;
    }
    *min = ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0');
    return true;
}

static bool report_request_fields(const cJSON *root, void *dest, const char **why)
{
    struct msg_report_request *out = dest;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "target_s");

    if (!get_id(root, out->id, why) || !get_req_time(root, "since", &out->since_ms, why) ||
        !get_req_time(root, "until", &out->until_ms, why) ||
        !get_hhmm(root, "day_starts", &out->day_starts_min, why) ||
        !get_hhmm(root, "night_starts", &out->night_starts_min, why))
        return false;
    if (out->until_ms <= out->since_ms || out->until_ms - out->since_ms > REPORT_RANGE_MAX_MS) {
        *why = "\"until\" must be after \"since\", at most 366 days later";
        return false;
    }
    if (out->day_starts_min == out->night_starts_min) {
        *why = "\"day_starts\" and \"night_starts\" are the same time";
        return false;
    }
    if (!cJSON_IsObject(t)) {
        *why = "missing \"target_s\" object";
        return false;
    }
    for (int p = 0; p < PRIO_COUNT; p++)
        if (!get_count(t, priority_name((enum priority)p), 1, REPORT_TARGET_MAX_S,
                       &out->target_s[p], why))
            return false;
    return true;
}

int contract_decode_report_request(const char *payload, size_t len,
                                   struct msg_report_request *out, const char **why)
{
    return decode_with(payload, len, out, sizeof *out, report_request_fields, why);
}

/* ---- encoders ------------------------------------------------------------------------ */

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    char ts[HV_TS_LEN];
    if (ms <= 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    clock_format_rfc3339(ms, ts);
    cJSON_AddStringToObject(o, key, ts);
}

static void add_opt_string(cJSON *o, const char *key, const char *value)
{
    if (value && value[0])
        cJSON_AddStringToObject(o, key, value);
    else
        cJSON_AddNullToObject(o, key);
}

/* Prints o compactly and deletes it. NULL when out of memory. */
static char *finish(cJSON *o)
{
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
}

/* The call object (P/call/R, P/page/G) as cJSON, or NULL. */
static cJSON *encode_call_object(const struct contract_call *c)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", c->id);
    cJSON_AddStringToObject(o, "room", c->room);
    cJSON_AddStringToObject(o, "label", c->label);
    cJSON_AddStringToObject(o, "priority", priority_name(c->priority));
    cJSON_AddStringToObject(o, "reason", reason_name(c->reason));
    cJSON_AddStringToObject(o, "state", call_state_name(c->state));
    add_time(o, "raised", c->raised_ms);
    add_time(o, "acknowledged", c->acknowledged_ms);
    add_opt_string(o, "by", c->by);
    add_opt_string(o, "via", c->via);
    cJSON_AddNumberToObject(o, "escalation", c->escalation);
    if (c->detail[0])
        cJSON_AddStringToObject(o, "detail", c->detail);
    if (c->nconcerns > 0) {
        cJSON *arr = cJSON_AddArrayToObject(o, "concerns");
        for (int i = 0; arr && i < c->nconcerns && i < HV_CONCERNS_MAX; i++) {
            const struct contract_concern *k = &c->concerns[i];
            cJSON *e = cJSON_CreateObject();
            if (!e || !cJSON_AddItemToArray(arr, e)) {
                cJSON_Delete(e);
                break;
            }
            cJSON_AddStringToObject(e, "reason", reason_name(k->reason));
            cJSON_AddStringToObject(e, "priority", priority_name(k->priority));
            add_opt_string(e, "detail", k->detail);
            add_time(e, "raised", k->raised_ms);
        }
    }
    if (c->concerns_more > 0)
        cJSON_AddNumberToObject(o, "concerns_more", c->concerns_more);
    return o;
}

char *contract_encode_call(const struct contract_call *c)
{
    return finish(encode_call_object(c));
}

char *contract_encode_no_board_page(int64_t raised_ms)
{
    struct contract_call c;
    cJSON *o;

    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "noboard-%lld", (long long)raised_ms);
    strcpy(c.room, "station");
    strcpy(c.label, "Nurse station");
    c.priority = PRIO_ASSIST;
    c.state = CALL_OPEN;
    c.raised_ms = raised_ms;
    strcpy(c.detail, "no nurse-station board has sound on");
    o = encode_call_object(&c);
    if (o)
        cJSON_ReplaceItemInObjectCaseSensitive(o, "reason",
                                               cJSON_CreateString(REASON_NAME_NO_BOARD));
    return finish(o);
}

char *contract_encode_controller_status(bool online, const char *const *rooms,
                                        size_t nrooms, int64_t ts_ms)
{
    cJSON *o = cJSON_CreateObject(), *arr;

    if (!o)
        return NULL;
    cJSON_AddBoolToObject(o, "online", online);
    arr = cJSON_AddArrayToObject(o, "rooms");
    for (size_t i = 0; arr && i < nrooms; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(rooms[i]));
    add_time(o, "ts", ts_ms);
    return finish(o);
}

char *contract_encode_kiosk_status(enum phase phase, const char *visit, int64_t ts_ms)
{
    return contract_encode_kiosk_status_beat(phase, visit, 0, ts_ms);
}

char *contract_encode_kiosk_status_beat(enum phase phase, const char *visit, int beat_ms,
                                        int64_t ts_ms)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddBoolToObject(o, "online", true);
    cJSON_AddStringToObject(o, "phase", phase_name(phase));
    add_opt_string(o, "visit", visit);
    if (beat_ms > 0)
        cJSON_AddNumberToObject(o, "beat", beat_ms);
    add_time(o, "ts", ts_ms);
    return finish(o);
}

char *contract_encode_kiosk_theme(const char *theme, const char *scene, enum phase phase,
                                  int64_t ts_ms)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "theme", theme);
    add_opt_string(o, "scene", scene);
    cJSON_AddStringToObject(o, "phase", phase_name(phase));
    add_time(o, "ts", ts_ms);
    return finish(o);
}

char *contract_encode_kiosk_call(const char *id, enum call_reason reason, const char *detail,
                                 int64_t ts_ms)
{
    return contract_encode_kiosk_call_priority(id, reason, detail, -1, ts_ms);
}

char *contract_encode_kiosk_call_priority(const char *id, enum call_reason reason,
                                          const char *detail, int priority, int64_t ts_ms)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "reason", reason_name(reason));
    if (detail && detail[0])
        cJSON_AddStringToObject(o, "detail", detail);
    if (priority >= 0 && priority < PRIO_COUNT)
        cJSON_AddStringToObject(o, "priority", priority_name((enum priority)priority));
    add_time(o, "ts", ts_ms);
    return finish(o);
}

char *contract_encode_kiosk_clear(const char *id, const char *by, int64_t ts_ms)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", id);
    add_opt_string(o, "by", by);
    add_time(o, "ts", ts_ms);
    return finish(o);
}

char *contract_encode_checkin(const char *id, int feeling, bool want_someone, int64_t ts_ms)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "id", id);
    if (feeling >= 1 && feeling <= 5)
        cJSON_AddNumberToObject(o, "feeling", feeling);
    else
        cJSON_AddNullToObject(o, "feeling");
    cJSON_AddItemToObject(o, "symptoms", cJSON_CreateArray());
    if ((feeling < 1 || feeling > 5) && !want_someone)  /* no face, but asked for someone */
        cJSON_AddBoolToObject(o, "unanswered", true);
    if (want_someone)
        cJSON_AddBoolToObject(o, "wants_someone", true);
    add_time(o, "ts", ts_ms);
    return finish(o);
}

char *contract_encode_lights_state(const char *scene, double brightness, int kelvin,
                                   int64_t ts_ms)
{
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "scene", scene);
    cJSON_AddNumberToObject(o, "brightness", (double)lround(brightness));
    cJSON_AddNumberToObject(o, "kelvin", kelvin);
    add_time(o, "ts", ts_ms);
    return finish(o);
}
