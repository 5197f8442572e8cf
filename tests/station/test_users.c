/*
 * test_users.c - the station's accounts file (station/users.c): argon2id
 * hashes at a cheap cost (one test at the default cost, which it times),
 * the file's checks (mode, malformed lines as file:line, the account bound),
 * its atomic rewrite, and `haven-station user add` reading the password
 * from a pipe and from a terminal (a pseudo-terminal), never from argv.
 */
#define _XOPEN_SOURCE 700   /* posix_openpt, grantpt, unlockpt, ptsname */

#include "../unit/unit_util.h"
#include "users.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CHEAP_M 1024   /* KiB */
#define CHEAP_T 1
#define USERS_HEADER_LINE "# haven-station users: name:role:argon2id hash[:group]\n"

static char err[1024];

/* A fresh path in the temp dir (nothing there yet). */
static const char *fresh_path(const char *name)
{
    static char path[512];

    snprintf(path, sizeof path, "%s/%s", unit_dir(), name);
    unlink(path);
    return path;
}

/* Writes text to the temp dir as name, mode 0600; returns its path. */
static const char *users_file(const char *name, const char *text)
{
    const char *path = unit_file(name, text);

    chmod(path, 0600);
    return path;
}

static double now_ms(void)
{
    return (double)hv_now_us() / 1000.0;
}

/* A valid hash line's hash part, made once with the cheap cost. */
static const char *some_hash(void)
{
    static char hash[512];
    const char *path;
    char *text, *h, *nl;

    if (hash[0])
        return hash;
    path = fresh_path("hash-src");
    if (users_put(path, "x", ROLE_NURSE, "password-x", err, sizeof err) != 0)
        return "";
    text = hv_read_file(path);
    h = text ? strstr(text, "x:nurse:") : NULL;
    if (h) {
        h += strlen("x:nurse:");
        nl = strchr(h, '\n');
        if (nl)
            *nl = '\0';
        snprintf(hash, sizeof hash, "%s", h);
    }
    free(text);
    return hash;
}

/* ---- names and roles --------------------------------------------------------------- */

static void test_roles_and_names(void)
{
    CHECK_INT_EQ(user_role_from_name("nurse"), ROLE_NURSE);
    CHECK_INT_EQ(user_role_from_name("charge"), ROLE_CHARGE);
    CHECK_INT_EQ(user_role_from_name("Nurse"), -1);
    CHECK_INT_EQ(user_role_from_name("admin"), -1);
    CHECK_INT_EQ(user_role_from_name(""), -1);
    CHECK_INT_EQ(user_role_from_name(NULL), -1);
    CHECK_STR_EQ(user_role_name(ROLE_NURSE), "nurse");
    CHECK_STR_EQ(user_role_name(ROLE_CHARGE), "charge");

    CHECK(user_name_valid("sam"));
    CHECK(user_name_valid("a.b_c-9"));
    CHECK(user_name_valid("abcdefghijklmnopqrstuvwxyz012345"));    /* 32 */
    CHECK(!user_name_valid("abcdefghijklmnopqrstuvwxyz0123456"));  /* 33 */
    CHECK(!user_name_valid(""));
    CHECK(!user_name_valid(NULL));
    CHECK(!user_name_valid("sam smith"));
    CHECK(!user_name_valid("sam:charge"));
    CHECK(!user_name_valid("s\xc3\xa1m"));
}

/* ---- verify ------------------------------------------------------------------------ */

static void test_put_then_verify(void)
{
    const char *path = fresh_path("users-verify");
    enum user_role role = ROLE_CHARGE;
    users *u;

    REQUIRE(users_put(path, "sam", ROLE_NURSE, "correct horse", err, sizeof err) == 0);
    REQUIRE(users_put(path, "alex", ROLE_CHARGE, "battery staple", err, sizeof err) == 0);
    u = users_load(path, err, sizeof err);
    REQUIRE(u != NULL);
    CHECK_INT_EQ(users_count(u), 2);
    CHECK(users_verify(u, "sam", "correct horse", &role));
    CHECK_INT_EQ(role, ROLE_NURSE);
    CHECK(users_verify(u, "alex", "battery staple", &role));
    CHECK_INT_EQ(role, ROLE_CHARGE);
    CHECK(users_verify(u, "alex", "battery staple", NULL));
    /* Wrong passwords: another's, a prefix, one byte more, empty, NULL. */
    role = ROLE_CHARGE;
    CHECK(!users_verify(u, "sam", "battery staple", &role));
    CHECK_INT_EQ(role, ROLE_CHARGE);   /* untouched on failure */
    CHECK(!users_verify(u, "sam", "correct hors", NULL));
    CHECK(!users_verify(u, "sam", "correct horse ", NULL));
    CHECK(!users_verify(u, "sam", "", NULL));
    CHECK(!users_verify(u, "sam", NULL, NULL));
    /* Unknown names, and names that are not names. */
    CHECK(!users_verify(u, "pat", "correct horse", NULL));
    CHECK(!users_verify(u, "", "correct horse", NULL));
    CHECK(!users_verify(u, NULL, "correct horse", NULL));
    CHECK(!users_verify(u, "sam:nurse", "correct horse", NULL));
    CHECK(!users_verify(NULL, "sam", "correct horse", NULL));
    users_free(u);
}

static void test_reset_changes_password_and_role(void)
{
    const char *path = fresh_path("users-reset");
    enum user_role role = ROLE_NURSE;
    users *u;

    REQUIRE(users_put(path, "sam", ROLE_NURSE, "first password", err, sizeof err) == 0);
    REQUIRE(users_put(path, "pat", ROLE_NURSE, "pats password", err, sizeof err) == 0);
    REQUIRE(users_put(path, "sam", ROLE_CHARGE, "second password", err, sizeof err) == 0);
    u = users_load(path, err, sizeof err);
    REQUIRE(u != NULL);
    CHECK_INT_EQ(users_count(u), 2);
    CHECK(!users_verify(u, "sam", "first password", NULL));
    CHECK(users_verify(u, "sam", "second password", &role));
    CHECK_INT_EQ(role, ROLE_CHARGE);
    CHECK(users_verify(u, "pat", "pats password", &role));   /* the other account kept */
    CHECK_INT_EQ(role, ROLE_NURSE);
    users_free(u);
}

static void test_put_refuses_bad_input(void)
{
    const char *path = fresh_path("users-bad");
    char longpw[300];

    CHECK(users_put(path, "sam", ROLE_NURSE, "short", err, sizeof err) == -1);
    CHECK(strstr(err, "8..256") != NULL);
    memset(longpw, 'a', 257);
    longpw[257] = '\0';
    CHECK(users_put(path, "sam", ROLE_NURSE, longpw, err, sizeof err) == -1);
    longpw[256] = '\0';
    CHECK(users_put(path, "sam", ROLE_NURSE, longpw, err, sizeof err) == 0);   /* 256: fine */
    CHECK(users_put(path, "bad name", ROLE_NURSE, "long enough", err, sizeof err) == -1);
    CHECK(strstr(err, "bad name") != NULL);
    CHECK(users_put(path, "sam", (enum user_role)7, "long enough", err, sizeof err) == -1);
    CHECK(users_put(path, "sam", ROLE_NURSE, NULL, err, sizeof err) == -1);
}

/* ---- the file ---------------------------------------------------------------------- */

/* Counts the entries of dir whose name starts with prefix. */
static int count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (!d)
        return -1;
    while ((de = readdir(d)))
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static void test_file_is_0600_after_put(void)
{
    const char *path = fresh_path("users-mode");
    struct stat st;
    mode_t old = umask(0);   /* the widest umask: the file must still be 0600 */
    char *text;

    CHECK(users_put(path, "sam", ROLE_NURSE, "password-1", err, sizeof err) == 0);
    umask(old);
    REQUIRE(stat(path, &st) == 0);
    CHECK_INT_EQ(st.st_mode & 07777, 0600);
    CHECK(users_put(path, "pat", ROLE_CHARGE, "password-2", err, sizeof err) == 0);
    REQUIRE(stat(path, &st) == 0);
    CHECK_INT_EQ(st.st_mode & 07777, 0600);
    CHECK_INT_EQ(count_files(unit_dir(), "users-mode.tmp"), 0);   /* no temp file left */
    text = hv_read_file(path);
    REQUIRE(text != NULL);
    CHECK(strncmp(text, USERS_HEADER_LINE, strlen(USERS_HEADER_LINE)) == 0);
    CHECK(strstr(text, "\nsam:nurse:$argon2id$v=19$m=1024,t=1,p=1$") != NULL);
    CHECK(strstr(text, "\npat:charge:$argon2id$") != NULL);
    CHECK(strstr(text, "password") == NULL);
    free(text);
}

static void test_group_or_world_readable_refused(void)
{
    const char *path = fresh_path("users-wide");
    char want[700];
    users *u;

    REQUIRE(users_put(path, "sam", ROLE_NURSE, "password-1", err, sizeof err) == 0);
    chmod(path, 0644);
    u = users_load(path, err, sizeof err);
    CHECK(u == NULL);
    snprintf(want, sizeof want, "%s: group or world can read it; chmod 600 %s", path, path);
    CHECK_STR_EQ(err, want);
    chmod(path, 0640);
    CHECK(users_load(path, err, sizeof err) == NULL);
    CHECK_STR_EQ(err, want);
    /* users_put will not rewrite such a file either (the admin must look at it). */
    CHECK(users_put(path, "pat", ROLE_NURSE, "password-2", err, sizeof err) == -1);
    CHECK_STR_EQ(err, want);
    chmod(path, 0620);
    CHECK(users_load(path, err, sizeof err) == NULL);
    CHECK(strstr(err, "group or world can write it; chmod 600") != NULL);
    chmod(path, 0600);
    u = users_load(path, err, sizeof err);
    CHECK(u != NULL);
    users_free(u);
}

static void test_not_owned_refused(void)
{
    const char *path = fresh_path("users-owner");
    users *u;

    REQUIRE(users_put(path, "sam", ROLE_NURSE, "password-1", err, sizeof err) == 0);
    if (chown(path, geteuid() + 1, (gid_t)-1) != 0) {
        fprintf(stderr, "  (not root: cannot give the file away; skipped)\n");
        return;
    }
    u = users_load(path, err, sizeof err);
    CHECK(u == NULL);
    CHECK(strstr(err, "not by the user running the station") != NULL);
    users_free(u);
}

/* A hash of the right shape that libargon2 rejects: never verifies, and says why. */
static void test_unusable_hash_logged(void)
{
    const char *path = users_file("users-unusable",
                                  "sam:nurse:$argon2id$v=19$m=1024,t=1,p=1$AAAA$AAAAAAAA\n");
    users *u = users_load(path, err, sizeof err);
    char *log;

    REQUIRE(u != NULL);
    unit_capture_begin();
    CHECK(!users_verify(u, "sam", "password-1", NULL));
    log = unit_capture_end();
    CHECK(strstr(log, "sam's hash cannot be checked") != NULL);
    free(log);
    users_free(u);
}

static void test_missing_file_is_an_error(void)
{
    const char *path = fresh_path("users-missing");

    CHECK(users_load(path, err, sizeof err) == NULL);
    CHECK(strstr(err, "no such file") != NULL);
    CHECK(strstr(err, "user add") != NULL);
}

/* Loads text and checks the error is "<path>:<line>: <what>...". */
static void expect_malformed(const char *text, int line, const char *what, int src_line)
{
    const char *path = users_file("users-malformed", text);
    char want[600];
    users *u = users_load(path, err, sizeof err);

    snprintf(want, sizeof want, "%s:%d: ", path, line);
    if (u || strncmp(err, want, strlen(want)) != 0 || !strstr(err, what)) {
        fprintf(stderr, "  want \"%s...%s\", got \"%s\"\n", want, what, u ? "(loaded)" : err);
        check_true(false, "malformed line refused with file:line", __FILE__, src_line);
    }
    users_free(u);
}

static void test_malformed_lines(void)
{
    char text[4096], longline[700];
    const char *h = some_hash();

    REQUIRE(h[0] == '$');
    snprintf(text, sizeof text, "# header\nsam:nurse:%s\n\npat:nurse\n", h);
    expect_malformed(text, 4, "expected name:role:hash", __LINE__);
    snprintf(text, sizeof text, "sam:nurse:%s\npat:boss:%s\n", h, h);
    expect_malformed(text, 2, "bad role", __LINE__);
    snprintf(text, sizeof text, "# c\n# c\nbad name:nurse:%s\n", h);
    expect_malformed(text, 3, "bad name", __LINE__);
    snprintf(text, sizeof text, "sam:nurse:$argon2i$v=19$m=1024,t=1,p=1$AAAAAAAAAAAA$AAAAAAAA\n");
    expect_malformed(text, 1, "bad hash", __LINE__);
    snprintf(text, sizeof text, "sam:nurse:plaintext\n");
    expect_malformed(text, 1, "bad hash", __LINE__);
    snprintf(text, sizeof text, "sam:nurse:%s:bad group!\n", h);
    expect_malformed(text, 1, "bad group", __LINE__);
    snprintf(text, sizeof text, "# c\nsam:nurse:%s:nurses:extra\n", h);
    expect_malformed(text, 2, "bad group", __LINE__);
    snprintf(text, sizeof text, "sam:nurse:%s\nsam:charge:%s\n", h, h);
    expect_malformed(text, 2, "sam is there twice", __LINE__);
    memset(longline, 'a', 600);
    longline[600] = '\0';
    snprintf(text, sizeof text, "sam:nurse:%s\n#%s\n", h, longline);
    expect_malformed(text, 2, "line longer than 512 bytes", __LINE__);

    /* Good: comments, blank lines, CRLF, no newline at the end. */
    snprintf(text, sizeof text, "# c\n\nsam:nurse:%s\r\npat:charge:%s", h, h);
    {
        users *u = users_load(users_file("users-good", text), err, sizeof err);
        CHECK(u != NULL);
        CHECK_INT_EQ(users_count(u), 2);
        CHECK(users_verify(u, "pat", "password-x", NULL));
        users_free(u);
    }
}

static void test_at_most_10000_accounts(void)
{
    const char *h = some_hash();
    size_t cap = 10001 * (strlen(h) + 32) + 64;
    char *text = malloc(cap), *p;
    users *u;
    char want[600];
    const char *path;

    REQUIRE(text != NULL);
    p = text + sprintf(text, "# header\n");
    for (int i = 0; i < 10000; i++)
        p += sprintf(p, "n%d:nurse:%s\n", i, h);
    path = users_file("users-many", text);
    u = users_load(path, err, sizeof err);
    CHECK(u != NULL);
    CHECK_INT_EQ(users_count(u), 10000);
    users_free(u);
    /* users_put will not add the 10,001st... */
    CHECK(users_put(path, "one-more", ROLE_NURSE, "password-1", err, sizeof err) == -1);
    CHECK(strstr(err, "10000 accounts") != NULL);
    /* ...but resets an existing one. */
    CHECK(users_put(path, "n42", ROLE_CHARGE, "password-1", err, sizeof err) == 0);
    /* And a file with 10,001 is refused at the line past the bound. */
    sprintf(p, "n10000:nurse:%s\n", h);
    path = users_file("users-many", text);
    CHECK(users_load(path, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "%s:10002: more than 10000 accounts", path);
    CHECK_STR_EQ(err, want);
    free(text);
}

/* ---- constant work, and the default cost ------------------------------------------- */

/* The quickest of n verify calls, in ms (the least disturbed by a busy machine). */
static double min_verify_ms(const users *u, const char *name, const char *pw, int n)
{
    double best = 1e9;

    for (int i = 0; i < n; i++) {
        double t0 = now_ms();
        (void)users_verify(u, name, pw, NULL);
        double t = now_ms() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

static void test_unknown_name_costs_a_hash(void)
{
    const char *path = fresh_path("users-timing");
    double wrong, unknown;
    unsigned m = 0, t = 0;
    unsigned long before;
    users *u;

    users_set_cost(16384, 1);   /* ~15 ms: well above the clock's noise */
    REQUIRE(users_put(path, "sam", ROLE_NURSE, "password-1", err, sizeof err) == 0);
    users_set_cost(CHEAP_M, CHEAP_T);
    u = users_load(path, err, sizeof err);
    REQUIRE(u != NULL);
    /* Checked by what is done, not by a clock (a busy machine once made the unknown
     * name's minimum of five half the wrong password's): a hash is checked for every
     * attempt, and an unknown name's dummy costs what the account's hash costs. */
    CHECK(users_verify_cost(u, "sam", &m, &t));
    CHECK_INT_EQ(m, 16384);
    CHECK_INT_EQ(t, 1);
    m = t = 0;
    CHECK(users_verify_cost(u, "nobody", &m, &t));
    CHECK_INT_EQ(m, 16384);
    CHECK_INT_EQ(t, 1);
    m = t = 0;
    CHECK(users_verify_cost(u, "not a valid name!", &m, &t));
    CHECK_INT_EQ(m, 16384);
    before = users_hashes_checked();
    CHECK(!users_verify(u, "nobody", "password-2", NULL));
    CHECK(!users_verify(u, "not a valid name!", "password-2", NULL));
    CHECK(!users_verify(u, "sam", "password-2", NULL));
    CHECK_INT_EQ(users_hashes_checked() - before, 3);
    /* The times, for the record only. */
    wrong = min_verify_ms(u, "sam", "password-2", 3);
    unknown = min_verify_ms(u, "nobody", "password-2", 3);
    fprintf(stderr, "  verify at m=16 MiB t=1: wrong password %.2f ms, unknown name %.2f ms\n",
            wrong, unknown);
    users_free(u);
}

static void test_default_cost(void)
{
    const char *path = fresh_path("users-default");
    double t0, put_ms, ok_ms;
    char *text;
    users *u;

    users_set_cost(65536, 3);
    t0 = now_ms();
    REQUIRE(users_put(path, "sam", ROLE_NURSE, "password-1", err, sizeof err) == 0);
    put_ms = now_ms() - t0;
    users_set_cost(CHEAP_M, CHEAP_T);
    text = hv_read_file(path);
    REQUIRE(text != NULL);
    CHECK(strstr(text, "sam:nurse:$argon2id$v=19$m=65536,t=3,p=1$") != NULL);
    free(text);
    u = users_load(path, err, sizeof err);
    REQUIRE(u != NULL);
    t0 = now_ms();
    CHECK(users_verify(u, "sam", "password-1", NULL));
    ok_ms = now_ms() - t0;
    fprintf(stderr, "  default cost (m=64 MiB t=3 p=1): users_put %.1f ms, verify %.1f ms, "
            "wrong %.1f ms, unknown %.1f ms (min of 3)\n", put_ms, ok_ms,
            min_verify_ms(u, "sam", "password-2", 3), min_verify_ms(u, "nobody", "password-2", 3));
    users_free(u);
}

/* ---- haven-station user add -------------------------------------------------------- */

/* A pipe whose read end holds text (write end closed): returns the read fd. */
static int pipe_with(const char *text)
{
    int fds[2];

    if (pipe(fds) != 0)
        return -1;
    if (write(fds[1], text, strlen(text)) != (ssize_t)strlen(text)) {
        close(fds[0]);
        fds[0] = -1;
    }
    close(fds[1]);
    return fds[0];
}

/* Runs users_cli_add with argv words and stdin text; returns its exit status, *out its stderr. */
static int run_cli(const char *const *words, int n, const char *input, char **out)
{
    char *argv[16];
    int fd = pipe_with(input), rc;

    for (int i = 0; i < n; i++)
        argv[i] = (char *)words[i];
    argv[n] = NULL;
    unit_capture_begin();
    rc = users_cli_add(n, argv, fd);
    *out = unit_capture_end();
    close(fd);
    return rc;
}

static void test_cli_add_from_a_pipe(void)
{
    const char *path = fresh_path("users-cli");
    const char *add[] = {"haven-station", "user", "add", "--users", path, "sam"};
    const char *charge[] = {"user", "add", "--users", path, "--role", "charge", "alex"};
    char users_opt[600];
    enum user_role role;
    char *out;
    users *u;

    /* Only the first line is the password; its newline (and a CR) is not part of it. */
    CHECK_INT_EQ(run_cli(add, 6, "pipe password\nsomething else\n", &out), 0);
    CHECK(strstr(out, "sam (nurse) saved") != NULL);
    free(out);
    CHECK_INT_EQ(run_cli(charge, 7, "alex password\r\n", &out), 0);
    free(out);
    u = users_load(path, err, sizeof err);
    REQUIRE(u != NULL);
    CHECK(users_verify(u, "sam", "pipe password", &role));
    CHECK_INT_EQ(role, ROLE_NURSE);
    CHECK(!users_verify(u, "sam", "pipe password\n", NULL));
    CHECK(users_verify(u, "alex", "alex password", &role));
    CHECK_INT_EQ(role, ROLE_CHARGE);
    users_free(u);

    /* Reset, with --opt=value, and no newline at the end of the input. */
    snprintf(users_opt, sizeof users_opt, "--users=%s", path);
    {
        const char *again[] = {"--role=charge", users_opt, "sam"};
        CHECK_INT_EQ(run_cli(again, 3, "new pipe password", &out), 0);
        free(out);
    }
    u = users_load(path, err, sizeof err);
    REQUIRE(u != NULL);
    CHECK(!users_verify(u, "sam", "pipe password", NULL));
    CHECK(users_verify(u, "sam", "new pipe password", &role));
    CHECK_INT_EQ(role, ROLE_CHARGE);
    users_free(u);
}

static void test_cli_add_refusals(void)
{
    const char *path = fresh_path("users-cli-bad");
    const char *ok[] = {"user", "add", "--users", path, "sam"};
    const char *pw_arg[] = {"user", "add", "--users", path, "--password", "secret123", "sam"};
    const char *no_name[] = {"user", "add", "--users", path};
    const char *no_file[] = {"user", "add", "sam"};
    const char *bad_role[] = {"user", "add", "--users", path, "--role", "boss", "sam"};
    const char *bad_name[] = {"user", "add", "--users", path, "sam smith"};
    const char *two[] = {"user", "add", "--users", path, "sam", "pat"};
    char longpw[400];
    char *out;

    CHECK_INT_EQ(run_cli(pw_arg, 7, "password-1\n", &out), 1);
    CHECK(strstr(out, "never from the command line") != NULL);
    free(out);
    CHECK_INT_EQ(run_cli(no_name, 4, "password-1\n", &out), 1);
    CHECK(strstr(out, "no NAME") != NULL);
    free(out);
    CHECK_INT_EQ(run_cli(no_file, 3, "password-1\n", &out), 1);
    CHECK(strstr(out, "--users FILE is required") != NULL);
    free(out);
    CHECK_INT_EQ(run_cli(bad_role, 7, "password-1\n", &out), 1);
    CHECK(strstr(out, "bad --role") != NULL);
    free(out);
    CHECK_INT_EQ(run_cli(bad_name, 5, "password-1\n", &out), 1);
    CHECK(strstr(out, "bad NAME") != NULL);
    free(out);
    CHECK_INT_EQ(run_cli(two, 6, "password-1\n", &out), 1);
    CHECK(strstr(out, "one NAME only") != NULL);
    free(out);
    CHECK_INT_EQ(run_cli(ok, 5, "", &out), 1);
    CHECK(strstr(out, "no password on standard input") != NULL);
    free(out);
    CHECK_INT_EQ(run_cli(ok, 5, "short\n", &out), 1);
    CHECK(strstr(out, "8..256 bytes") != NULL);
    free(out);
    memset(longpw, 'p', 300);
    longpw[300] = '\n';
    longpw[301] = '\0';
    CHECK_INT_EQ(run_cli(ok, 5, longpw, &out), 1);
    CHECK(strstr(out, "longer than 256 bytes") != NULL);
    free(out);
    CHECK(access(path, F_OK) != 0);   /* nothing was written */
}

/* A pseudo-terminal: *master gets the typing, the returned fd is the terminal. */
static int open_pty(int *master)
{
    char *name;
    int fd;

    *master = posix_openpt(O_RDWR | O_NOCTTY);
    if (*master < 0 || grantpt(*master) != 0 || unlockpt(*master) != 0)
        return -1;
    name = ptsname(*master);
    fd = name ? open(name, O_RDWR | O_NOCTTY) : -1;
    return fd;
}

static void test_cli_add_from_a_terminal(void)
{
    const char *path = fresh_path("users-tty");
    char *argv[] = {"user", "add", "--users", (char *)path, "sam", NULL};
    struct termios t;
    char *out;
    int master, tty;
    users *u;

    tty = open_pty(&master);
    REQUIRE(tty >= 0);
    REQUIRE(isatty(tty));
    /* Typed twice, different: refused, and the terminal echoes again afterwards. */
    REQUIRE(write(master, "typed password\ntyped passwork\n", 30) == 30);
    unit_capture_begin();
    CHECK_INT_EQ(users_cli_add(5, argv, tty), 1);
    out = unit_capture_end();
    CHECK(strstr(out, "Password for sam: ") != NULL);
    CHECK(strstr(out, "Again: ") != NULL);
    CHECK(strstr(out, "the two passwords differ") != NULL);
    CHECK(strstr(out, "typed") == NULL);
    free(out);
    REQUIRE(tcgetattr(tty, &t) == 0);
    CHECK((t.c_lflag & ECHO) != 0);
    CHECK(access(path, F_OK) != 0);

    /* Typed twice, the same: saved. */
    REQUIRE(write(master, "typed password\ntyped password\n", 30) == 30);
    unit_capture_begin();
    CHECK_INT_EQ(users_cli_add(5, argv, tty), 0);
    out = unit_capture_end();
    free(out);
    REQUIRE(tcgetattr(tty, &t) == 0);
    CHECK((t.c_lflag & ECHO) != 0);
    u = users_load(path, err, sizeof err);
    REQUIRE(u != NULL);
    CHECK(users_verify(u, "sam", "typed password", NULL));
    users_free(u);
    close(tty);
    close(master);
}

/* The optional group: old files load, a group round-trips, a reset keeps it unless told. */
static void test_groups(void)
{
    const char *path;
    char text[2048];
    const char *h = some_hash(), *g;
    users *u;

    /* A file written before groups: every account loads, without one. */
    snprintf(text, sizeof text, "# haven-station users: name:role:argon2id hash\nsam:nurse:%s\n"
             "alex:charge:%s:\n", h, h);
    u = users_load(users_file("users-old", text), err, sizeof err);
    REQUIRE(u != NULL);
    CHECK(users_group(u, "sam") == NULL);
    CHECK(users_group(u, "alex") == NULL);   /* "name:role:hash:" is no group too */
    CHECK(users_verify(u, "sam", "password-x", NULL));
    users_free(u);

    path = fresh_path("users-groups");
    REQUIRE(users_put_group(path, "sam", ROLE_NURSE, "nurses", "password-1", err, sizeof err) == 0);
    REQUIRE(users_put(path, "pat", ROLE_NURSE, "password-2", err, sizeof err) == 0);
    u = users_load(path, err, sizeof err);
    REQUIRE(u != NULL);
    g = users_group(u, "sam");
    CHECK(g && strcmp(g, "nurses") == 0);
    CHECK(users_group(u, "pat") == NULL);
    CHECK(users_group(u, "nobody") == NULL);
    CHECK(users_nth(u, 0, &g) && !strcmp(users_nth(u, 0, &g), "sam") && g && !strcmp(g, "nurses"));
    CHECK(users_nth(u, 2, &g) == NULL && g == NULL);
    users_free(u);
    /* A reset without a group keeps it; "" removes it; a bad one is refused. */
    REQUIRE(users_put(path, "sam", ROLE_CHARGE, "password-3", err, sizeof err) == 0);
    u = users_load(path, err, sizeof err);
    REQUIRE(u != NULL);
    g = users_group(u, "sam");
    CHECK(g && strcmp(g, "nurses") == 0);
    users_free(u);
    REQUIRE(users_put_group(path, "sam", ROLE_NURSE, "", "password-3", err, sizeof err) == 0);
    u = users_load(path, err, sizeof err);
    REQUIRE(u != NULL);
    CHECK(users_group(u, "sam") == NULL);
    users_free(u);
    CHECK(users_put_group(path, "sam", ROLE_NURSE, "no:colons", "password-3", err, sizeof err) == -1);
    CHECK(strstr(err, "bad group") != NULL);
}

/* user add --group NAME: one of haven.cfg's groups (--config), or a clear error. */
static void test_cli_add_group(void)
{
    const char *path = fresh_path("users-cli-group");
    const char *cfg = unit_file("haven-groups.cfg",
        "prefix = \"t\";\ncontroller = { id = \"c\"; };\n"
        "groups = [ \"nurses\", \"charge\" ];\n"
        "priorities = {\n"
        "  routine = { chain = ( { group = \"nurses\"; after = 0; } ); repeat = 60; ack_timeout = 60; };\n"
        "  assist = { chain = ( { group = \"nurses\"; after = 0; } ); repeat = 60; ack_timeout = 60; };\n"
        "  urgent = { chain = ( { group = \"nurses\"; after = 0; } ); repeat = 60; ack_timeout = 60; };\n"
        "};\nrooms = ( { id = \"chair-1\"; label = \"Chair 1\"; } );\n");
    const char *ok[] = {"user", "add", "--users", path, "--config", cfg, "--group", "nurses", "sam"};
    const char *bad[] = {"user", "add", "--users", path, "--config", cfg, "--group", "floor", "pat"};
    const char *nocfg[] = {"user", "add", "--users", path, "--config", "/nonexistent/haven.cfg",
                           "--group", "nurses", "pat"};
    const char *g;
    char *out;
    users *u;

    CHECK_INT_EQ(run_cli(ok, 9, "sam password\n", &out), 0);
    CHECK(strstr(out, "sam (nurse, group nurses) saved") != NULL);
    free(out);
    CHECK_INT_EQ(run_cli(bad, 9, "pat password\n", &out), 1);
    CHECK(strstr(out, "group 'floor' is not one of the groups in") != NULL);
    CHECK(strstr(out, "(nurses, charge)") != NULL);
    free(out);
    CHECK_INT_EQ(run_cli(nocfg, 9, "pat password\n", &out), 1);
    CHECK(strstr(out, "--group needs the clinic's groups") != NULL);
    free(out);
    u = users_load(path, err, sizeof err);
    REQUIRE(u != NULL);
    g = users_group(u, "sam");
    CHECK(g && strcmp(g, "nurses") == 0);
    CHECK_INT_EQ(users_count(u), 1);       /* pat was never written */
    users_free(u);
}

int main(void)
{
    users_set_cost(CHEAP_M, CHEAP_T);
    RUN(test_roles_and_names);
    RUN(test_put_then_verify);
    RUN(test_reset_changes_password_and_role);
    RUN(test_put_refuses_bad_input);
    RUN(test_file_is_0600_after_put);
    RUN(test_group_or_world_readable_refused);
    RUN(test_not_owned_refused);
    RUN(test_unusable_hash_logged);
    RUN(test_missing_file_is_an_error);
    RUN(test_malformed_lines);
    RUN(test_at_most_10000_accounts);
    RUN(test_unknown_name_costs_a_hash);
    RUN(test_default_cost);
    RUN(test_cli_add_from_a_pipe);
    RUN(test_cli_add_refusals);
    RUN(test_cli_add_from_a_terminal);
    RUN(test_groups);
    RUN(test_cli_add_group);
    unit_cleanup();
    return CHECK_SUMMARY();
}
