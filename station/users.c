/*
 * users.c - the station's staff accounts (see users.h).
 *
 * The file is small (at most USERS_MAX lines of at most USERS_LINE_MAX bytes)
 * and read whole at start-up; a change (users_put) reads it again, edits the
 * table in memory and writes a new file next to the old one, fsync'd, then
 * renamed over it.  Passwords exist here only on their way into libargon2,
 * and every buffer that held one is wiped (explicit_bzero) before it is
 * released.
 */
#include "users.h"

#include "err.h"
#include "log.h"
#include "roomcfg.h"

#include <argon2.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define USERS_LINE_MAX 512       /* bytes in a line, without its newline */
#define USERS_MAX 10000          /* accounts in a file */
#define USERS_HASH_MAX 400       /* an encoded argon2id hash, with its NUL */
#define USERS_PASSWORD_MIN 8
#define USERS_PASSWORD_MAX 256
#define USERS_SALT_LEN 16
#define USERS_HASH_LEN 32
#define USERS_HEADER "# haven-station users: name:role:argon2id hash[:group]\n"

struct account {
    char name[USER_NAME_MAX];
    enum user_role role;
    char hash[USERS_HASH_MAX];   /* "$argon2id$v=19$m=..,t=..,p=..$salt$hash" */
    char group[USER_GROUP_MAX];  /* "" for none */
};

struct users {
    struct account *acc;
    size_t n, cap;
    /* Checked for a name that does not exist: the cost of the file's first
     * hash, a fixed salt and a hash no password gives (all zero bytes). */
    char dummy[USERS_HASH_MAX];
};

static uint32_t cost_m_kib = 65536;
static uint32_t cost_t = 3;

/* ---- names and roles --------------------------------------------------------------- */

const char *user_role_name(enum user_role r)
{
    return r == ROLE_CHARGE ? "charge" : "nurse";
}

int user_role_from_name(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "nurse") == 0)
        return ROLE_NURSE;
    if (strcmp(name, "charge") == 0)
        return ROLE_CHARGE;
    return -1;
}

bool user_name_valid(const char *name)
{
    size_t n = 0;

    if (!name)
        return false;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok || n >= USER_NAME_MAX - 1)
            return false;
    }
    return n > 0;
}

bool user_group_valid(const char *group)
{
    return user_name_valid(group);      /* the same alphabet: a group is in topics (page/<group>) */
}

void users_set_cost(unsigned m_kib, unsigned t_cost)
{
    cost_m_kib = m_kib < 8 ? 8 : m_kib;      /* argon2's floor: 8 KiB per lane */
    cost_t = t_cost < 1 ? 1 : t_cost;
}

size_t users_count(const users *u)
{
    return u ? u->n : 0;
}

/* ---- the table --------------------------------------------------------------------- */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static users *users_empty(void)
{
    return calloc(1, sizeof(users));
}

void users_free(users *u)
{
    if (!u)
        return;
    if (u->acc)
        explicit_bzero(u->acc, u->cap * sizeof *u->acc);
    free(u->acc);
    free(u);
}

static struct account *users_find(const users *u, const char *name)
{
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->acc[i].name, name) == 0)
            return &u->acc[i];
    return NULL;
}

/* Adds an account at the end (the caller checked the name is new). 0 or HV_ENOMEM. */
static int users_append(users *u, const char *name, enum user_role role, const char *hash,
                        const char *group)
{
    struct account *a;

    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 16;
        struct account *acc = realloc(u->acc, cap * sizeof *acc);
        if (!acc)
            return HV_ENOMEM;
        u->acc = acc;
        u->cap = cap;
    }
    a = &u->acc[u->n++];
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->role = role;
    snprintf(a->hash, sizeof a->hash, "%s", hash);
    snprintf(a->group, sizeof a->group, "%s", group ? group : "");
    return 0;
}

/*
 * Reads "$argon2id$v=19$m=M,t=T,p=P$" off hash.  True when it has that shape
 * and the rest is salt$hash in argon2's base64 alphabet.
 */
static bool hash_params(const char *hash, unsigned *m, unsigned *t, unsigned *p)
{
    int used = 0;
    const char *rest;
    int dollars = 0;

    if (sscanf(hash, "$argon2id$v=19$m=%u,t=%u,p=%u$%n", m, t, p, &used) != 3 || used == 0)
        return false;
    rest = hash + used;
    for (const char *c = rest; *c; c++) {
        bool b64 = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                   (*c >= '0' && *c <= '9') || *c == '+' || *c == '/';
        if (*c == '$')
            dollars++;
        else if (!b64)
            return false;
    }
    return dollars == 1 && rest[0] != '$' && rest[strlen(rest) - 1] != '$' && *m >= 8 &&
           *t >= 1 && *p >= 1;
}

/* The dummy hash for unknown names, at the cost of the first account (else the current cost). */
static void users_make_dummy(users *u)
{
    unsigned m = cost_m_kib, t = cost_t, p = 1;

    if (u->n > 0 && !hash_params(u->acc[0].hash, &m, &t, &p)) {
        m = cost_m_kib;
        t = cost_t;
        p = 1;
    }
    /* 16 zero bytes of salt, 32 zero bytes of hash, in argon2's unpadded base64. */
    snprintf(u->dummy, sizeof u->dummy,
             "$argon2id$v=19$m=%u,t=%u,p=%u$AAAAAAAAAAAAAAAAAAAAAA$"
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", m, t, p);
}

/* ---- loading ----------------------------------------------------------------------- */

/* Parses one account line (no newline) into u. 0, or -1 with err "path:line: ...". */
static int users_parse_line(users *u, char *line, const char *path, int lineno, char *err,
                            size_t errlen)
{
    char *role_s, *hash, *group;
    int role;
    unsigned m, t, p;

    role_s = strchr(line, ':');
    hash = role_s ? strchr(role_s + 1, ':') : NULL;
    if (!hash) {
        seterr(err, errlen, "%s:%d: expected name:role:hash", path, lineno);
        return -1;
    }
    *role_s++ = '\0';
    *hash++ = '\0';
    group = strchr(hash, ':');      /* an argon2 hash has no ':' */
    if (group)
        *group++ = '\0';
    if (!user_name_valid(line)) {
        seterr(err, errlen, "%s:%d: bad name (1..32 of A-Z a-z 0-9 . _ -)", path, lineno);
        return -1;
    }
    role = user_role_from_name(role_s);
    if (role < 0) {
        seterr(err, errlen, "%s:%d: bad role \"%.16s\" (nurse or charge)", path, lineno, role_s);
        return -1;
    }
    if (strlen(hash) >= USERS_HASH_MAX || !hash_params(hash, &m, &t, &p)) {
        seterr(err, errlen, "%s:%d: bad hash (expected $argon2id$v=19$m=..,t=..,p=..$salt$hash)",
               path, lineno);
        return -1;
    }
    if (group && *group && !user_group_valid(group)) {
        seterr(err, errlen, "%s:%d: bad group \"%.32s\" (1..32 of A-Z a-z 0-9 . _ -, or "
               "nothing)", path, lineno, group);
        return -1;
    }
    if (users_find(u, line)) {
        seterr(err, errlen, "%s:%d: %s is there twice", path, lineno, line);
        return -1;
    }
    if (u->n >= USERS_MAX) {
        seterr(err, errlen, "%s:%d: more than %d accounts", path, lineno, USERS_MAX);
        return -1;
    }
    if (users_append(u, line, (enum user_role)role, hash, group) != 0) {
        seterr(err, errlen, "%s: out of memory", path);
        return -1;
    }
    return 0;
}

/* Reads every line of f into u. 0, or -1 with err set. */
static int users_read(users *u, FILE *f, const char *path, char *err, size_t errlen)
{
    char line[USERS_LINE_MAX + 2];   /* the line, its newline, the NUL */
    int lineno = 0;
    int rc = 0;

    while (rc == 0 && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        else if (!feof(f)) {
            seterr(err, errlen, "%s:%d: line longer than %d bytes", path, lineno,
                   USERS_LINE_MAX);
            rc = -1;
            break;
        }
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        if (len > 0 && line[0] != '#')
            rc = users_parse_line(u, line, path, lineno, err, errlen);
    }
    if (rc == 0 && ferror(f)) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    explicit_bzero(line, sizeof line);
    return rc;
}

/* Refuses a file the station should not trust: not ours, not regular, or readable by others. */
static int users_check_file(int fd, const char *path, char *err, size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        seterr(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        seterr(err, errlen, "%s: owned by uid %u, not by the user running the station (uid %u)",
               path, (unsigned)st.st_uid, (unsigned)geteuid());
        return -1;
    }
    if (st.st_mode & 0044) {
        seterr(err, errlen, "%s: group or world can read it; chmod 600 %s", path, path);
        return -1;
    }
    if (st.st_mode & 0022) {
        seterr(err, errlen, "%s: group or world can write it; chmod 600 %s", path, path);
        return -1;
    }
    return 0;
}

users *users_load(const char *path, char *err, size_t errlen)
{
    users *u;
    FILE *f;
    int fd;

    if (!path || !*path) {
        seterr(err, errlen, "no users file given");
        return NULL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            seterr(err, errlen, "%s: no such file (haven-station user add --users %s NAME "
                   "creates it)", path, path);
        else
            seterr(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (users_check_file(fd, path, err, errlen) != 0)
        goto fail_fd;
    f = fdopen(fd, "r");
    if (!f) {
        seterr(err, errlen, "%s: %s", path, strerror(errno));
        goto fail_fd;
    }
    u = users_empty();
    if (!u) {
        seterr(err, errlen, "%s: out of memory", path);
        goto fail_file;
    }
    if (users_read(u, f, path, err, errlen) != 0)
        goto fail_users;
    fclose(f);
    users_make_dummy(u);
    return u;

fail_users:
    users_free(u);
fail_file:
    fclose(f);
    return NULL;
fail_fd:
    close(fd);
    return NULL;
}

/* ---- checking a password ----------------------------------------------------------- */

static atomic_ulong hashes_checked;

/* The account users_verify checks for name (NULL: none), and the dummy hash into dummy. */
static const struct account *verify_target(const users *u, const char *name,
                                           char dummy[USERS_HASH_MAX])
{
    if (u)
        memcpy(dummy, u->dummy, USERS_HASH_MAX);
    else
        snprintf(dummy, USERS_HASH_MAX, "$argon2id$v=19$m=%u,t=%u,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", cost_m_kib, cost_t);
    return u && name && user_name_valid(name) ? users_find(u, name) : NULL;
}

bool users_verify_cost(const users *u, const char *name, unsigned *m_kib, unsigned *t_cost)
{
    char dummy[USERS_HASH_MAX];
    const struct account *a = verify_target(u, name, dummy);
    unsigned p;

    return hash_params(a ? a->hash : dummy, m_kib, t_cost, &p);
}

unsigned long users_hashes_checked(void)
{
    return atomic_load(&hashes_checked);
}

bool users_verify(const users *u, const char *name, const char *password, enum user_role *role)
{
    char dummy[USERS_HASH_MAX];
    const struct account *a = verify_target(u, name, dummy);
    const char *hash;
    size_t len;
    int rc;
    bool ok;

    if (!password)
        password = "";
    len = strnlen(password, USERS_PASSWORD_MAX + 1);
    if (len > USERS_PASSWORD_MAX) {
        a = NULL;         /* never right, but do the same work */
        len = USERS_PASSWORD_MAX;
    }
    hash = a ? a->hash : dummy;
    atomic_fetch_add(&hashes_checked, 1);
    rc = argon2id_verify(hash, password, len);
    if (rc != ARGON2_OK && rc != ARGON2_VERIFY_MISMATCH)
        log_warn("users: %s's hash cannot be checked: %s", a ? a->name : "(dummy)",
                 argon2_error_message(rc));
    ok = rc == ARGON2_OK && a != NULL;
    if (ok && role)
        *role = a->role;
    return ok;
}

/* ---- writing the file -------------------------------------------------------------- */

/* A fresh argon2id hash of password at the current cost into out. 0, or -1 with err set. */
static int users_hash(const char *password, char out[USERS_HASH_MAX], char *err, size_t errlen)
{
    unsigned char salt[USERS_SALT_LEN];
    size_t got = 0;
    int rc;

    while (got < sizeof salt) {
        ssize_t n = getrandom(salt + got, sizeof salt - got, 0);
        if (n < 0 && errno != EINTR) {
            seterr(err, errlen, "getrandom: %s", strerror(errno));
            return -1;
        }
        if (n > 0)
            got += (size_t)n;
    }
    if (argon2_encodedlen(cost_t, cost_m_kib, 1, USERS_SALT_LEN, USERS_HASH_LEN, Argon2_id) >
        USERS_HASH_MAX) {
        seterr(err, errlen, "argon2id: cost too large for the hash buffer");
        return -1;
    }
    rc = argon2id_hash_encoded(cost_t, cost_m_kib, 1, password, strlen(password), salt,
                               sizeof salt, USERS_HASH_LEN, out, USERS_HASH_MAX);
    if (rc != ARGON2_OK) {
        seterr(err, errlen, "argon2id: %s", argon2_error_message(rc));
        return -1;
    }
    return 0;
}

/* Writes all of buf to fd. 0 or -1 (errno set). */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The folder of path (for the temp file and the fsync after the rename), into dir. */
static void dir_of(const char *path, char *dir, size_t len)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        snprintf(dir, len, ".");
    else if (slash == path)
        snprintf(dir, len, "/");
    else
        snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* Writes u's accounts to fd. 0 or -1 (errno set). */
static int users_write_fd(const users *u, int fd)
{
    char line[USERS_LINE_MAX + 2];

    if (write_all(fd, USERS_HEADER, strlen(USERS_HEADER)) != 0)
        return -1;
    for (size_t i = 0; i < u->n; i++) {
        const struct account *a = &u->acc[i];
        int n = snprintf(line, sizeof line, "%s:%s:%s%s%s\n", a->name, user_role_name(a->role),
                         a->hash, a->group[0] ? ":" : "", a->group);
        if (n < 0 || (size_t)n >= sizeof line) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (write_all(fd, line, (size_t)n) != 0)
            return -1;
    }
    return 0;
}

/*
 * Replaces the file at path with u's accounts: a temp file in the same
 * folder (mkstemp: 0600), written, fsync'd, renamed over path, and the
 * folder fsync'd so the rename survives a crash too. 0, or -1 with err set.
 */
static int users_save(const users *u, const char *path, char *err, size_t errlen)
{
    char tmp[4096], dir[4096];
    int fd, dfd;

    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp) {
        seterr(err, errlen, "%s: path too long", path);
        return -1;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        seterr(err, errlen, "%s: cannot create a temp file: %s", tmp, strerror(errno));
        return -1;
    }
    if (fchmod(fd, 0600) != 0 || users_write_fd(u, fd) != 0 || fsync(fd) != 0) {
        seterr(err, errlen, "%s: %s", tmp, strerror(errno));
        goto fail_tmp;
    }
    if (close(fd) != 0) {
        fd = -1;
        seterr(err, errlen, "%s: %s", tmp, strerror(errno));
        goto fail_tmp;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        seterr(err, errlen, "%s: cannot rename into place: %s", path, strerror(errno));
        goto fail_tmp;
    }
    dir_of(path, dir, sizeof dir);
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0)
            log_warn("users: fsync %s: %s", dir, strerror(errno));
        close(dfd);
    }
    return 0;

fail_tmp:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}

const char *users_nth(const users *u, size_t i, const char **group)
{
    const struct account *a = u && i < u->n ? &u->acc[i] : NULL;

    if (group)
        *group = a && a->group[0] ? a->group : NULL;
    return a ? a->name : NULL;
}

const char *users_group(const users *u, const char *name)
{
    const struct account *a = u && name ? users_find(u, name) : NULL;

    return a && a->group[0] ? a->group : NULL;
}

int users_put(const char *path, const char *name, enum user_role role, const char *password,
              char *err, size_t errlen)
{
    return users_put_group(path, name, role, NULL, password, err, errlen);
}

int users_put_group(const char *path, const char *name, enum user_role role, const char *group,
                    const char *password, char *err, size_t errlen)
{
    char hash[USERS_HASH_MAX];
    struct account *a;
    size_t plen;
    users *u;
    int rc = -1;

    if (!path || !*path) {
        seterr(err, errlen, "no users file given");
        return -1;
    }
    if (!user_name_valid(name)) {
        seterr(err, errlen, "bad name (1..32 of A-Z a-z 0-9 . _ -)");
        return -1;
    }
    if (role != ROLE_NURSE && role != ROLE_CHARGE) {
        seterr(err, errlen, "bad role (nurse or charge)");
        return -1;
    }
    if (group && *group && !user_group_valid(group)) {
        seterr(err, errlen, "bad group (1..32 of A-Z a-z 0-9 . _ -)");
        return -1;
    }
    plen = password ? strnlen(password, USERS_PASSWORD_MAX + 1) : 0;
    if (plen < USERS_PASSWORD_MIN || plen > USERS_PASSWORD_MAX) {
        seterr(err, errlen, "the password must be %d..%d bytes", USERS_PASSWORD_MIN,
               USERS_PASSWORD_MAX);
        return -1;
    }
    if (access(path, F_OK) != 0 && errno == ENOENT) {
        u = users_empty();      /* the first account creates the file */
        if (!u)
            seterr(err, errlen, "out of memory");
    } else
        u = users_load(path, err, errlen);
    if (!u)
        return -1;
    a = users_find(u, name);
    if (!a && u->n >= USERS_MAX) {
        seterr(err, errlen, "%s: already %d accounts", path, USERS_MAX);
        goto out;
    }
    if (users_hash(password, hash, err, errlen) != 0)
        goto out;
    if (a) {
        a->role = role;
        snprintf(a->hash, sizeof a->hash, "%s", hash);
        if (group)
            snprintf(a->group, sizeof a->group, "%s", group);
    } else if (users_append(u, name, role, hash, group) != 0) {
        seterr(err, errlen, "out of memory");
        goto out;
    }
    rc = users_save(u, path, err, errlen);
out:
    explicit_bzero(hash, sizeof hash);
    users_free(u);
    return rc;
}

/* ---- haven-station user add -------------------------------------------------------- */

/*
 * Reads one line from fd into buf (at most len - 1 bytes, newline and a
 * trailing CR stripped), a byte at a time so nothing after it is consumed.
 * Returns its length, -1 at end of input before any byte, or -2 when it is
 * longer than the buffer.
 */
static int read_line(int fd, char *buf, size_t len)
{
    size_t n = 0;
    bool any = false, over = false;

    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        any = true;
        if (c == '\n')
            break;
        if (n + 1 < len)
            buf[n++] = c;
        else
            over = true;
    }
    buf[n] = '\0';
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    if (!any)
        return -1;
    return over ? -2 : (int)n;
}

/* Reads a password line from the terminal fd with echo off, after prompt on stderr. */
static int read_secret_tty(int fd, const char *prompt, char *buf, size_t len)
{
    struct termios old, quiet;
    int n, restored;

    fputs(prompt, stderr);
    fflush(stderr);
    if (tcgetattr(fd, &old) != 0)
        return -1;
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    if (tcsetattr(fd, TCSANOW, &quiet) != 0)
        return -1;
    n = read_line(fd, buf, len);
    restored = tcsetattr(fd, TCSANOW, &old);
    fputc('\n', stderr);
    return restored == 0 ? n : -1;
}

/*
 * The password for user add from fd into buf (USERS_PASSWORD_MAX + 2 bytes):
 * its first line, or from a terminal twice with echo off.  0, or -1 with a
 * message on stderr.
 */
static int cli_read_password(int fd, const char *name, char *buf, size_t len)
{
    char again[USERS_PASSWORD_MAX + 2];
    char prompt[96];
    int n, m, rc = -1;

    if (!isatty(fd)) {
        n = read_line(fd, buf, len);
        m = n;
    } else {
        snprintf(prompt, sizeof prompt, "Password for %s: ", name);
        n = read_secret_tty(fd, prompt, buf, len);
        m = n >= 0 ? read_secret_tty(fd, "Again: ", again, sizeof again) : n;
        if (n >= 0 && m >= 0 && strcmp(buf, again) != 0) {
            fputs("haven-station user add: the two passwords differ\n", stderr);
            n = m = -3;
        }
    }
    if (n == -2 || m == -2)
        fprintf(stderr, "haven-station user add: the password is longer than %d bytes\n",
                USERS_PASSWORD_MAX);
    else if (n == -1 || m == -1)
        fputs("haven-station user add: no password on standard input (it is read from there, "
              "never from the command line)\n", stderr);
    else if (n >= 0)
        rc = 0;
    explicit_bzero(again, sizeof again);
    return rc;
}

static int cli_usage(const char *why)
{
    fprintf(stderr, "haven-station user add: %s\n"
            "usage: haven-station user add --users FILE [--role nurse|charge] [--group NAME]\n"
            "                              [--config FILE] NAME\n"
            "       (--group: one of the groups in haven.cfg, --config FILE or %s)\n"
            "       (the password is read from standard input: its first line, or typed twice "
            "at a terminal)\n", why, USERS_DEFAULT_CONFIG);
    return 1;
}

/* What the words of `user add` say. */
struct cli_args {
    const char *path, *role, *name, *group, *config;
};

/*
 * Parses argv: options --users FILE, --role ROLE (or --opt=VALUE) and one
 * NAME.  main may pass its argv whole or from "user", "add" or the first
 * option on: a leading program name, then "user", then "add" are skipped
 * (so an account called "add" is `user add ... add`).
 * 0, or the exit status.
 */
static int cli_parse(int argc, char **argv, struct cli_args *a)
{
    const char *plain[8];
    int np = 0, first = 0;

    a->path = a->role = a->name = a->group = a->config = NULL;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        const char **dst = NULL;
        size_t k = 0;
        if (strncmp(w, "--users", 7) == 0 && (w[7] == '\0' || w[7] == '='))
            dst = &a->path, k = 7;
        else if (strncmp(w, "--role", 6) == 0 && (w[6] == '\0' || w[6] == '='))
            dst = &a->role, k = 6;
        else if (strncmp(w, "--group", 7) == 0 && (w[7] == '\0' || w[7] == '='))
            dst = &a->group, k = 7;
        else if (strncmp(w, "--config", 8) == 0 && (w[8] == '\0' || w[8] == '='))
            dst = &a->config, k = 8;
        else if (strncmp(w, "--password", 10) == 0)
            return cli_usage("the password is read from standard input, never from the "
                             "command line");
        else if (w[0] == '-' && w[1] != '\0')
            return cli_usage("unknown option");
        if (dst && w[k] == '=')
            *dst = w + k + 1;
        else if (dst && i + 1 < argc)
            *dst = argv[++i];
        else if (dst)
            return cli_usage("an option needs a value");
        else if (np == (int)(sizeof plain / sizeof plain[0]))
            return cli_usage("one NAME only");
        else {
            if (i == 0 && strcmp(w, "user") != 0 && strcmp(w, "add") != 0)
                first = -1;     /* maybe the program's name: decided below */
            plain[np++] = w;
        }
    }
    if (first == -1)
        first = np > 1 ? 1 : 0;
    if (first < np && strcmp(plain[first], "user") == 0)
        first++;
    if (first < np && strcmp(plain[first], "add") == 0)
        first++;
    if (np - first == 0)
        return cli_usage("no NAME");
    if (np - first > 1)
        return cli_usage("one NAME only");
    a->name = plain[first];
    if (!a->path || !*a->path)
        return cli_usage("--users FILE is required");
    return 0;
}

/*
 * --group must name one of the groups of the clinic's haven.cfg (config, or
 * USERS_DEFAULT_CONFIG).  "" (no group) needs no config.  0, or 1 with a
 * message on stderr.
 */
static int cli_check_group(const char *group, const char *config)
{
    struct room_config *cfg;
    struct cfg_error cerr;
    char list[ROOMCFG_MAX_GROUPS * (HV_NAME_MAX + 2)] = "";
    int known;

    if (!*group)
        return 0;
    if (!user_group_valid(group))
        return cli_usage("bad --group (1..32 of A-Z a-z 0-9 . _ -)");
    if (!config)
        config = USERS_DEFAULT_CONFIG;
    cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return 1;
    if (roomcfg_load(config, cfg, &cerr) != 0) {
        fprintf(stderr, "haven-station user add: --group needs the clinic's groups: %s\n",
                cerr.text);
        free(cfg);
        return 1;
    }
    known = roomcfg_has_group(cfg, group);
    for (int i = 0; i < cfg->ngroups; i++) {
        strcat(list, i ? ", " : "");
        strcat(list, cfg->groups[i]);
    }
    if (!known)
        fprintf(stderr, "haven-station user add: group '%s' is not one of the groups in %s "
                "(%s)\n", group, config, cfg->ngroups ? list : "none");
    roomcfg_free(cfg);
    free(cfg);
    return known ? 0 : 1;
}

int users_cli_add(int argc, char **argv, int fd)
{
    char password[USERS_PASSWORD_MAX + 2];
    char err[512];
    struct cli_args a;
    int role = ROLE_NURSE;
    size_t plen;
    int rc;

    rc = cli_parse(argc, argv, &a);
    if (rc != 0)
        return rc;
    if (!user_name_valid(a.name))
        return cli_usage("bad NAME (1..32 of A-Z a-z 0-9 . _ -)");
    if (a.role && (role = user_role_from_name(a.role)) < 0)
        return cli_usage("bad --role (nurse or charge)");
    if (a.group && cli_check_group(a.group, a.config) != 0)
        return 1;
    if (cli_read_password(fd, a.name, password, sizeof password) != 0)
        return 1;
    plen = strlen(password);
    if (plen < USERS_PASSWORD_MIN || plen > USERS_PASSWORD_MAX) {
        explicit_bzero(password, sizeof password);
        fprintf(stderr, "haven-station user add: the password must be %d..%d bytes\n",
                USERS_PASSWORD_MIN, USERS_PASSWORD_MAX);
        return 1;
    }
    rc = users_put_group(a.path, a.name, (enum user_role)role, a.group, password, err,
                         sizeof err);
    explicit_bzero(password, sizeof password);
    if (rc != 0) {
        fprintf(stderr, "haven-station user add: %s\n", err);
        return 1;
    }
    fprintf(stderr, "haven-station user add: %s (%s%s%s) saved in %s\n", a.name,
            user_role_name((enum user_role)role), a.group && *a.group ? ", group " : "",
            a.group ? a.group : "", a.path);
    return 0;
}
