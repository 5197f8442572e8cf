/*
 * pin.c - the staff PIN's secrets file, its check, and the lockout (pin.h).
 *
 * Hashes are crypt(3) (libxcrypt): yescrypt "$y$" for new ones, at a cost
 * well above libxcrypt's default; any other method libxcrypt rates as current
 * is accepted from the file.
 */
#include "pin.h"
#include "err.h"
#include "log.h"

#include <crypt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- crypt(3) ------------------------------------------------------------------------ */

/*
 * crypt_r of pin with setting (a full hash or a fresh salt) into out.
 * struct crypt_data is some 32 KiB: on the heap, and wiped after use since it
 * holds material derived from the PIN.  Returns 0, or HV_EIO when libcrypt
 * refuses (it answers a failure with a string starting '*').
 */
static int crypt_into(const char *pin, const char *setting, char *out, size_t outlen)
{
    struct crypt_data *cd = calloc(1, sizeof *cd);
    const char *h;
    int rc = HV_EIO;

    if (!cd)
        return HV_EIO;
    h = crypt_r(pin, setting, cd);
    if (h && h[0] != '*' && strlen(h) < outlen) {
        strcpy(out, h);
        rc = 0;
    }
    explicit_bzero(cd, sizeof *cd);
    free(cd);
    return rc;
}

/*
 * Hashing any PIN with hash as the setting must give a string of the same
 * length and the same setting part (up to the last '$').  "$6$" alone, a hash
 * cut short when pasted, or a legacy DES/MD5 hash would otherwise lock staff
 * out silently, or be easy to reverse.
 */
bool pin_hash_usable(const char *hash)
{
    char got[CRYPT_OUTPUT_SIZE];
    const char *dollar = strrchr(hash, '$');
    size_t n = strlen(hash);
    bool ok;

    if (crypt_checksalt(hash) != CRYPT_SALT_OK || !dollar ||
        crypt_into("", hash, got, sizeof got) != 0)
        return false;
    ok = strlen(got) == n && strrchr(got, '$') - got == dollar - hash &&
         memcmp(got, hash, (size_t)(dollar - hash)) == 0;
    explicit_bzero(got, sizeof got);
    return ok;
}

/* True if pin matches hash (every byte compared, whatever the first difference). */
static bool hash_matches(const char *hash, const char *pin)
{
    char got[CRYPT_OUTPUT_SIZE];
    size_t n = strlen(hash);
    volatile unsigned char diff = 0;

    if (n == 0 || crypt_checksalt(hash) != CRYPT_SALT_OK ||
        crypt_into(pin, hash, got, sizeof got) != 0 || strlen(got) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(got[i] ^ hash[i]);
    explicit_bzero(got, sizeof got);
    return diff == 0;
}

/* True for 4 to 8 digits, the PINs the kiosk's pad can type. */
static bool pin_shape_ok(const char *pin)
{
    size_t n = pin ? strlen(pin) : 0;

    return n >= 4 && n <= 8 && strspn(pin, "0123456789") == n;
}

const char *pin_set_check(const struct pin_set *set, const char *pin)
{
    const char *who = NULL;

    if (!pin_shape_ok(pin))
        return NULL;
    for (int i = 0; i < set->n; i++)
        if (hash_matches(set->users[i].hash, pin) && !who)
            who = set->users[i].name;
    return who;
}

int pin_hash_new(const char *pin, char *out, size_t outlen)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];

    if (outlen)
        out[0] = '\0';
    if (!pin_shape_ok(pin)) {
        log_error("a staff PIN must be 4 to 8 digits");
        return HV_EIO;
    }
    if (!crypt_gensalt_rn("$y$", PIN_COST, NULL, 0, salt, sizeof salt)) {
        log_error("cannot make a salt for the PIN hash (no random source?)");
        return HV_EIO;
    }
    if (crypt_into(pin, salt, out, outlen) != 0) {
        log_error("cannot hash the PIN (libcrypt refused, or the output buffer is too small)");
        return HV_EIO;
    }
    return 0;
}

/* ---- the file ------------------------------------------------------------------------ */

static int fail(struct cfg_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct cfg_error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    return HV_ECONFIG;
}

/* A user's name: 1 to 32 of A-Za-z0-9 . _ - (it becomes the bedside clear's "by"). */
static bool name_ok(const char *s, size_t n)
{
    return n >= 1 && n <= 32 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") >= n;
}

/* One line ("hash" or "name:hash", trailing blanks gone) into u. 0 or HV_ECONFIG. */
static int read_line(char *line, const char *path, int lineno, struct pin_user *u,
                     struct cfg_error *err)
{
    char *colon = strchr(line, ':');
    const char *hash = line;

    snprintf(u->name, sizeof u->name, "staff");
    if (colon && (!strchr(line, '$') || colon < strchr(line, '$'))) {
        if (!name_ok(line, (size_t)(colon - line)))
            return fail(err, "%s:%d: a name before ':' is 1 to 32 letters, digits, '.', '_' "
                        "or '-'", path, lineno);
        *colon = '\0';
        snprintf(u->name, sizeof u->name, "%s", line);
        hash = colon + 1;
    }
    if (strspn(hash, "0123456789") == strlen(hash))
        return fail(err, "%s:%d: a PIN's hash, not the PIN itself: run 'haven-kiosk "
                    "hash-pin' and put what it prints here", path, lineno);
    if (strlen(hash) >= sizeof u->hash || !pin_hash_usable(hash))
        return fail(err, "%s:%d: not a complete crypt(3) hash this system accepts: make one "
                    "with 'haven-kiosk hash-pin'", path, lineno);
    snprintf(u->hash, sizeof u->hash, "%s", hash);
    return 0;
}

static int read_lines(FILE *f, const char *path, struct pin_set *out, struct cfg_error *err)
{
    char line[512];
    int lineno = 0, rc;

    while (fgets(line, sizeof line, f)) {
        size_t n;
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        n = strlen(line);
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        if (out->n == PIN_USERS_MAX)
            return fail(err, "%s:%d: more than %d PINs", path, lineno, PIN_USERS_MAX);
        if ((rc = read_line(line, path, lineno, &out->users[out->n], err)) != 0)
            return rc;
        out->n++;
    }
    if (out->n == 0)
        return fail(err, "%s:1: no PIN in the file (one hash a line, or name:hash)", path);
    return 0;
}

int pin_set_load(const char *path, const char *setting_at, struct pin_set *out,
                 struct cfg_error *err)
{
    struct stat st;
    FILE *f;
    int rc;

    memset(out, 0, sizeof *out);
    f = fopen(path, "r");
    if (!f)
        return fail(err, "%s: pin_file %s cannot be read: %s", setting_at, path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return fail(err, "%s: pin_file %s is not a regular file", setting_at, path);
    }
    if (st.st_mode & 077) {
        fclose(f);
        return fail(err, "%s: pin_file %s is readable by others (mode %03o): it must be 0600, "
                    "e.g. chmod 600 %s", setting_at, path, (unsigned)(st.st_mode & 0777), path);
    }
    rc = read_lines(f, path, out, err);
    fclose(f);
    return rc;
}

/* ---- the lockout ------------------------------------------------------------------------ */

bool pin_lock_locked(const struct pin_lock *l, int64_t now)
{
    return l->until_ms && now < l->until_ms;
}

int64_t pin_lock_fail(struct pin_lock *l, int64_t now)
{
    int64_t ms = PIN_LOCK_FIRST_MS;

    l->failures++;
    if (l->failures < PIN_FREE_TRIES)
        return 0;
    for (int i = PIN_FREE_TRIES; i < l->failures && ms < PIN_LOCK_MAX_MS; i++)
        ms *= 2;
    if (ms > PIN_LOCK_MAX_MS)
        ms = PIN_LOCK_MAX_MS;
    l->until_ms = now + ms;
    return ms;
}

void pin_lock_reset(struct pin_lock *l)
{
    l->failures = 0;
    l->until_ms = 0;
}
