/*
 * json_util.h - small helpers for reading the JSON payloads the integration
 * tests receive (a page, a retained call, a kiosk command, a status).
 *
 * Every helper takes the payload text as received (NUL-terminated, as
 * hv_client_expect returns it) and parses it afresh: slower than keeping a
 * cJSON tree around, but a test line then reads like the assertion it is.
 *
 *     CHECK_STR_EQ(json_str(page, "priority"), "assist");
 *     CHECK_INT_EQ(json_int(page, "escalation"), 0);
 *     CHECK(json_is_null(page, "by"));
 *     CHECK(json_is_true(status, "online"));
 *
 * json_str returns its copy in a small rotating static buffer (valid for the
 * next 7 calls), so tests need not free anything; not thread-safe.
 */
#ifndef HAVEN_TEST_JSON_UTIL_H
#define HAVEN_TEST_JSON_UTIL_H

#include "check.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* json_int's answer when the member is absent or not a number. */
#define JSON_INT_NONE LLONG_MIN

/* The member key of the JSON object in payload, or NULL; *root is the tree to delete. */
static inline const cJSON *json_member_(const char *payload, const char *key, cJSON **root)
{
    *root = payload ? cJSON_Parse(payload) : NULL;
    if (!cJSON_IsObject(*root))
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(*root, key);
}

/* True if payload is well-formed JSON (any value: an object, an array, a string, ...). */
static inline bool json_parses(const char *payload)
{
    cJSON *root = payload ? cJSON_Parse(payload) : NULL;
    bool ok = root != NULL;

    cJSON_Delete(root);
    return ok;
}

/* True if payload is a JSON object. */
static inline bool json_is_object(const char *payload)
{
    cJSON *root = payload ? cJSON_Parse(payload) : NULL;
    bool ok = cJSON_IsObject(root);

    cJSON_Delete(root);
    return ok;
}

/* Number of members of the JSON object in payload, or -1 if it is not one. */
static inline int json_nkeys(const char *payload)
{
    cJSON *root = payload ? cJSON_Parse(payload) : NULL;
    int n = cJSON_IsObject(root) ? cJSON_GetArraySize(root) : -1;

    cJSON_Delete(root);
    return n;
}

/* True if the object in payload has a member key (of any type, null included). */
static inline bool json_has(const char *payload, const char *key)
{
    cJSON *root;
    bool has = json_member_(payload, key, &root) != NULL;

    cJSON_Delete(root);
    return has;
}

/* The string member key (a copy, see above), or NULL if absent or not a string. */
static inline const char *json_str(const char *payload, const char *key)
{
    static char bufs[8][1024];
    static int next;
    cJSON *root;
    const cJSON *v = json_member_(payload, key, &root);
    const char *out = NULL;

    if (cJSON_IsString(v)) {
        char *b = bufs[next++ % 8];
        snprintf(b, sizeof bufs[0], "%s", v->valuestring);
        out = b;
    }
    cJSON_Delete(root);
    return out;
}

/* The number member key as an integer, or JSON_INT_NONE if absent or not a number. */
static inline long long json_int(const char *payload, const char *key)
{
    cJSON *root;
    const cJSON *v = json_member_(payload, key, &root);
    long long out = cJSON_IsNumber(v) ? (long long)v->valuedouble : JSON_INT_NONE;

    cJSON_Delete(root);
    return out;
}

/* True if member key of the object in payload passes the cJSON type test is (cJSON_IsNull, ...). */
static inline bool json_member_is_(const char *payload, const char *key,
                                   cJSON_bool (*is)(const cJSON *))
{
    cJSON *root;
    bool yes = is(json_member_(payload, key, &root));

    cJSON_Delete(root);
    return yes;
}

/* True if the object in payload has member key and it is null. */
static inline bool json_is_null(const char *payload, const char *key)
{
    return json_member_is_(payload, key, cJSON_IsNull);
}

/* True if the object in payload has member key and it is true. */
static inline bool json_is_true(const char *payload, const char *key)
{
    return json_member_is_(payload, key, cJSON_IsTrue);
}

/* True if the object in payload has member key and it is false. */
static inline bool json_is_false(const char *payload, const char *key)
{
    return json_member_is_(payload, key, cJSON_IsFalse);
}

/* True for a timestamp of the contract's shape: 2026-11-21T14:03:07.412Z. */
static inline bool json_is_ts(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

    if (!s || strlen(s) != sizeof shape - 1)
        return false;
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return false;
    }
    return true;
}

/*
 * Checks a call object (a page or a retained P/call/R) field by field against
 * what the test expects: id, room, label, priority, reason, state and
 * escalation exactly; raised a timestamp; acknowledged and by null while the
 * state is open, a timestamp and by_expected (NULL: null) when acknowledged;
 * detail equal to detail_expected, or absent when that is NULL; concerns
 * an array of at least one; and no member besides these.  Returns true if every field matched.
 */
static inline bool json_check_call_(const char *payload, const char *id, const char *room,
                                    const char *label, const char *priority,
                                    const char *reason, const char *state, long long escalation,
                                    const char *by_expected, const char *detail_expected,
                                    const char *file, int line)
{
    bool ok = check_true(json_is_object(payload), "call payload is a JSON object", file, line);
    bool acked = state && strcmp(state, "acknowledged") == 0;

    if (!ok) {
        fprintf(stderr, "%s:%d:   payload: %s\n", file, line, payload ? payload : "(null)");
        return false;
    }
    ok &= check_str_eq(json_str(payload, "id"), id, "id", "expected id", file, line);
    ok &= check_str_eq(json_str(payload, "room"), room, "room", "expected room", file, line);
    ok &= check_str_eq(json_str(payload, "label"), label, "label", "expected label", file, line);
    ok &= check_str_eq(json_str(payload, "priority"), priority, "priority", "expected priority",
                       file, line);
    ok &= check_str_eq(json_str(payload, "reason"), reason, "reason", "expected reason", file,
                       line);
    ok &= check_str_eq(json_str(payload, "state"), state, "state", "expected state", file, line);
    ok &= check_int_eq(json_int(payload, "escalation"), escalation, "escalation",
                       "expected escalation", file, line);
    ok &= check_true(json_is_ts(json_str(payload, "raised")), "raised is an RFC 3339 UTC time",
                     file, line);
    if (acked) {
        ok &= check_true(json_is_ts(json_str(payload, "acknowledged")),
                         "acknowledged is an RFC 3339 UTC time", file, line);
    } else {
        ok &= check_true(json_is_null(payload, "acknowledged"), "acknowledged is null", file,
                         line);
    }
    if (by_expected)
        ok &= check_str_eq(json_str(payload, "by"), by_expected, "by", "expected by", file, line);
    else
        ok &= check_true(json_is_null(payload, "by"), "by is null", file, line);
    if (detail_expected)
        ok &= check_str_eq(json_str(payload, "detail"), detail_expected, "detail",
                           "expected detail", file, line);
    else
        ok &= check_true(!json_has(payload, "detail"), "no detail member", file, line);
    /* via: the login the acknowledgement came through (DESIGN P2), null until then. */
    if (acked)
        ok &= check_true(json_str(payload, "via") && json_str(payload, "via")[0],
                         "via names the acknowledging login", file, line);
    else
        ok &= check_true(json_is_null(payload, "via"), "via is null", file, line);
    /* concerns (issue 14): every concern raised, the first being the one that opened it. */
    {
        cJSON *root = cJSON_Parse(payload);
        const cJSON *ks = cJSON_GetObjectItemCaseSensitive(root, "concerns");
        ok &= check_true(cJSON_IsArray(ks) && cJSON_GetArraySize(ks) >= 1,
                         "concerns lists at least the call's first", file, line);
        cJSON_Delete(root);
    }
    ok &= check_int_eq(json_nkeys(payload), detail_expected ? 13 : 12, "number of members",
                       "expected number of members", file, line);
    if (!ok)
        fprintf(stderr, "%s:%d:   payload: %s\n", file, line, payload);
    return ok;
}

/* CHECK_CALL(payload, id, room, label, priority, reason, state, escalation, by, detail) */
#define CHECK_CALL(payload, id, room, label, priority, reason, state, escalation, by, detail) \
    ((void)json_check_call_((payload), (id), (room), (label), (priority), (reason), (state), \
                            (escalation), (by), (detail), __FILE__, __LINE__))

#endif /* HAVEN_TEST_JSON_UTIL_H */
