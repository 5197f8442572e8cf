/*
 * pin.h - the staff PIN: its secrets file, the check, and the lockout after
 * wrong PINs.
 *
 * The hashes live in a file of their own (kiosk.pin_file), never in haven.cfg,
 * which staff and installers read: one line per PIN,
 *
 *     # comments and blank lines are ignored
 *     $y$jBT$...                  one PIN for every nurse (who cleared: "staff")
 *     sam:$y$jBT$...              a PIN of one's own: the name is who cleared
 *
 * The file must be readable by its owner only (0600 or 0400): a group- or
 * world-readable file is refused, since a 4-digit PIN falls to an offline
 * search of its hash.  The hash is yescrypt with a high cost (PIN_COST, some
 * 0.2 s per check here), so such a search takes half an hour per hash instead
 * of seconds.
 *
 * The lockout: the PIN_FREE_TRIES-th wrong PIN in a row locks the pad for
 * PIN_LOCK_FIRST_MS, and each one after it for twice as long, up to
 * PIN_LOCK_MAX_MS (docs/protocol.md: "after 3 wrong PINs in a row").
 * A right PIN resets the count.  The state is the caller's to persist.
 */
#ifndef HAVEN_KIOSK_PIN_H
#define HAVEN_KIOSK_PIN_H

#include "cfg.h"
#include "contract.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define PIN_USERS_MAX 32
#define PIN_COST 7                  /* yescrypt's cost for new hashes (libxcrypt's default: 5) */
#define PIN_FREE_TRIES 3
#define PIN_LOCK_FIRST_MS 30000
#define PIN_LOCK_MAX_MS (60 * 60000)
#define PIN_DEMO "2468"             /* the demo's PIN: `haven-kiosk check` warns about it */

struct pin_user {
    char name[HV_NAME_MAX];         /* "staff" for a line without a name */
    char hash[256];
};

struct pin_set {
    int n;
    struct pin_user users[PIN_USERS_MAX];
};

/*
 * Reads the pin file at path into out.  setting_at is where haven.cfg names it
 * ("haven.cfg:73", for errors about the file as a whole).  Returns 0, or
 * HV_ECONFIG with err "file:line: ..." (a group- or world-readable file, a line
 * that is not a usable hash, a bad name, too many lines).
 */
int pin_set_load(const char *path, const char *setting_at, struct pin_set *out,
                 struct cfg_error *err);

/* True if hash is a complete crypt(3) hash of a current method (not DES, MD5, cut short). */
bool pin_hash_usable(const char *hash);

/*
 * The name of the user whose PIN pin is, or NULL.  Every hash is tried, whatever
 * matched first, so the time says nothing about who.
 */
const char *pin_set_check(const struct pin_set *set, const char *pin);

/* A new yescrypt hash of pin (4 to 8 digits) at PIN_COST. 0 or HV_EIO. */
int pin_hash_new(const char *pin, char *out, size_t outlen);

/* ---- the lockout ---- */

struct pin_lock {
    int failures;                   /* wrong PINs in a row */
    int64_t until_ms;               /* wall clock; the pad is locked before it (0: not) */
};

/* True while the pad is locked. */
bool pin_lock_locked(const struct pin_lock *l, int64_t now_ms);
/* A wrong PIN: counts it; returns how long the pad is now locked (0: not locked). */
int64_t pin_lock_fail(struct pin_lock *l, int64_t now_ms);
/* A right PIN: the count starts again. */
void pin_lock_reset(struct pin_lock *l);

#endif
