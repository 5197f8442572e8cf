/*
 * test_audit.c - the append-only audit log (station/audit.c): each entry is
 * one line that parses as JSON with the fields audit.h lists, the file is
 * 0600 whatever the umask or an older file's mode, it is appended to and
 * never truncated, and strings from a browser are escaped, cut to 256 bytes
 * at a character boundary and made valid UTF-8.
 */
#include "../unit/unit_util.h"
#include "audit.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TS 1796651587412LL   /* 2026-12-07T13:53:07.412Z */

static char err[1024];

static const char *fresh_path(const char *name)
{
    static char path[512];

    snprintf(path, sizeof path, "%s/%s", unit_dir(), name);
    unlink(path);
    return path;
}

/* The file's lines parsed as JSON: fills out[] (at most max), returns how many, or -1 when a
 * line is not a JSON object or the file does not end with a newline. */
static int read_entries(const char *path, cJSON **out, int max)
{
    char *text = hv_read_file(path), *line, *nl;
    int n = 0;

    if (!text)
        return -1;
    line = text;
    while (*line) {
        nl = strchr(line, '\n');
        if (!nl || n == max) {
            n = -1;
            break;
        }
        *nl = '\0';
        out[n] = cJSON_Parse(line);
        if (!cJSON_IsObject(out[n])) {
            cJSON_Delete(out[n]);
            n = -1;
            break;
        }
        n++;
        line = nl + 1;
    }
    free(text);
    return n;
}

static void free_entries(cJSON **e, int n)
{
    for (int i = 0; i < n; i++)
        cJSON_Delete(e[i]);
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool is_null(const cJSON *o, const char *key)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void test_lines_parse_as_json(void)
{
    const char *path = fresh_path("audit-json");
    struct audit_entry ack = {
        .ts_ms = TS, .user = "sam", .role = "nurse", .action = "ack", .room = "chair-1",
        .call = "k-7f3a", .addr = "10.0.0.7", .agent = "Mozilla/5.0 (X11)", .ok = true};
    struct audit_entry failed = {.ts_ms = TS + 1, .user = "pat", .action = "login_failed",
                                 .addr = "10.0.0.8", .ok = false};
    struct audit_entry bare = {.ts_ms = TS + 2};
    cJSON *e[8];
    audit *a;
    int n;

    a = audit_open(path, err, sizeof err);
    REQUIRE(a != NULL);
    CHECK_INT_EQ(audit_append(a, &ack), 0);
    CHECK_INT_EQ(audit_append(a, &failed), 0);
    CHECK_INT_EQ(audit_append(a, &bare), 0);
    CHECK_INT_EQ(audit_append(a, NULL), HV_EIO);
    CHECK_INT_EQ(audit_append(NULL, &ack), HV_EIO);
    audit_close(a);

    n = read_entries(path, e, 8);
    REQUIRE(n == 3);
    CHECK_STR_EQ(str_of(e[0], "ts"), "2026-12-07T13:53:07.412Z");
    CHECK_STR_EQ(str_of(e[0], "user"), "sam");
    CHECK_STR_EQ(str_of(e[0], "role"), "nurse");
    CHECK_STR_EQ(str_of(e[0], "action"), "ack");
    CHECK_STR_EQ(str_of(e[0], "room"), "chair-1");
    CHECK_STR_EQ(str_of(e[0], "call"), "k-7f3a");
    CHECK(is_null(e[0], "detail"));
    CHECK_STR_EQ(str_of(e[0], "addr"), "10.0.0.7");
    CHECK_STR_EQ(str_of(e[0], "agent"), "Mozilla/5.0 (X11)");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e[0], "ok")));

    CHECK_STR_EQ(str_of(e[1], "ts"), "2026-12-07T13:53:07.413Z");
    CHECK_STR_EQ(str_of(e[1], "user"), "pat");
    CHECK(is_null(e[1], "role"));
    CHECK_STR_EQ(str_of(e[1], "action"), "login_failed");
    CHECK(is_null(e[1], "room"));
    CHECK(is_null(e[1], "agent"));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e[1], "ok")));

    /* Nothing given: user and action are "" (never null), the rest null. */
    CHECK_STR_EQ(str_of(e[2], "user"), "");
    CHECK_STR_EQ(str_of(e[2], "action"), "");
    CHECK(is_null(e[2], "addr"));
    free_entries(e, n);
}

static void test_appends_never_truncates(void)
{
    const char *path = fresh_path("audit-append");
    struct audit_entry en = {.ts_ms = TS, .user = "sam", .action = "logout", .ok = true};
    cJSON *e[8];
    audit *a;
    int n;

    REQUIRE(hv_write_file(path, "{\"earlier\":true}\n") == 0);
    chmod(path, 0600);
    for (int round = 0; round < 3; round++) {
        a = audit_open(path, err, sizeof err);
        REQUIRE(a != NULL);
        CHECK_INT_EQ(audit_append(a, &en), 0);
        audit_close(a);
    }
    n = read_entries(path, e, 8);
    REQUIRE(n == 4);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e[0], "earlier")));
    for (int i = 1; i < 4; i++)
        CHECK_STR_EQ(str_of(e[i], "action"), "logout");
    free_entries(e, n);
}

static void test_file_is_0600(void)
{
    const char *path = fresh_path("audit-mode");
    struct stat st;
    mode_t old = umask(0);
    char *log;
    audit *a;

    a = audit_open(path, err, sizeof err);
    umask(old);
    REQUIRE(a != NULL);
    audit_close(a);
    REQUIRE(stat(path, &st) == 0);
    CHECK_INT_EQ(st.st_mode & 07777, 0600);

    /* An older file others could read is tightened, and the log says so. */
    chmod(path, 0644);
    unit_capture_begin();
    a = audit_open(path, err, sizeof err);
    log = unit_capture_end();
    REQUIRE(a != NULL);
    audit_close(a);
    REQUIRE(stat(path, &st) == 0);
    CHECK_INT_EQ(st.st_mode & 07777, 0600);
    CHECK(strstr(log, "was mode 644; tightened to 600") != NULL);
    free(log);

    /* A folder, or a folder that is not there: an error naming the path. */
    CHECK(audit_open(unit_dir(), err, sizeof err) == NULL);
    CHECK(strstr(err, unit_dir()) != NULL);
    CHECK(audit_open("/nonexistent-haven-dir/audit.log", err, sizeof err) == NULL);
    CHECK(strstr(err, "/nonexistent-haven-dir/audit.log") != NULL);
    CHECK(audit_open(NULL, err, sizeof err) == NULL);
}

static void test_escapes_quotes_and_newlines(void)
{
    const char *path = fresh_path("audit-escape");
    const char *nasty = "say \"hi\"\nnew line\r\\ tab\t \x01 end";
    const char *agent = "Agent\"},{\"user\":\"root\"}\n{\"forged\":true}";
    struct audit_entry en = {.ts_ms = TS, .user = "sam", .action = "phase", .detail = nasty,
                             .agent = agent, .ok = true};
    cJSON *e[4];
    char *text;
    audit *a;
    int n, lines = 0;

    a = audit_open(path, err, sizeof err);
    REQUIRE(a != NULL);
    CHECK_INT_EQ(audit_append(a, &en), 0);
    audit_close(a);
    text = hv_read_file(path);
    REQUIRE(text != NULL);
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    CHECK_INT_EQ(lines, 1);   /* one entry, one line, whatever the strings hold */
    free(text);
    n = read_entries(path, e, 4);
    REQUIRE(n == 1);
    CHECK_STR_EQ(str_of(e[0], "detail"), nasty);
    CHECK_STR_EQ(str_of(e[0], "agent"), agent);
    CHECK_STR_EQ(str_of(e[0], "user"), "sam");
    CHECK(cJSON_GetObjectItemCaseSensitive(e[0], "forged") == NULL);
    free_entries(e, n);
}

static void test_strings_cut_to_256_bytes(void)
{
    const char *path = fresh_path("audit-cut");
    char ascii[1001], utf8[1001], bad[8];
    struct audit_entry en = {.ts_ms = TS, .user = "sam", .action = "ack", .ok = true};
    cJSON *e[4];
    const char *s;
    audit *a;
    int n;

    memset(ascii, 'a', 1000);
    ascii[1000] = '\0';
    /* "é" (2 bytes) 500 times, after one 'x': byte 256 falls inside a character. */
    utf8[0] = 'x';
    for (int i = 0; i < 499; i++) {
        utf8[1 + 2 * i] = (char)0xc3;
        utf8[2 + 2 * i] = (char)0xa9;
    }
    utf8[999] = '\0';
    /* Bytes that are not UTF-8: a lone continuation, an overlong, a truncated sequence. */
    memcpy(bad, "a\x80" "b\xc0\xaf" "\xe2", 7);
    bad[7] = '\0';
    en.agent = ascii;
    en.detail = utf8;
    en.room = bad;
    a = audit_open(path, err, sizeof err);
    REQUIRE(a != NULL);
    CHECK_INT_EQ(audit_append(a, &en), 0);
    audit_close(a);
    n = read_entries(path, e, 4);
    REQUIRE(n == 1);
    s = str_of(e[0], "agent");
    REQUIRE(s != NULL);
    CHECK_INT_EQ(strlen(s), 256);
    s = str_of(e[0], "detail");
    REQUIRE(s != NULL);
    CHECK_INT_EQ(strlen(s), 255);   /* 'x' and 127 whole "é", not half of the 128th */
    CHECK(strncmp(s, utf8, 255) == 0);
    CHECK_STR_EQ(str_of(e[0], "room"), "a?b???");
    free_entries(e, n);
}

int main(void)
{
    RUN(test_lines_parse_as_json);
    RUN(test_appends_never_truncates);
    RUN(test_file_is_0600);
    RUN(test_escapes_quotes_and_newlines);
    RUN(test_strings_cut_to_256_bytes);
    unit_cleanup();
    return CHECK_SUMMARY();
}
