/*
 * users.h - the station's staff accounts: a file of its own, one line per
 * account, passwords kept only as argon2id hashes (libargon2).
 *
 * The file (created 0600, refused with a clear error when group or world
 * may read it, or when it is not owned by the user running the station):
 *
 *     # haven-station users: name:role:argon2id hash[:group]
 *     sam:nurse:$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>:nurses
 *     alex:charge:$argon2id$...
 *
 * A name is 1..32 of [A-Za-z0-9._-] (it is what the kiosk shows: "sam is on
 * the way"); a role is nurse or charge; the group (optional: files written
 * before it load as they are, and an account without one sees every call)
 * is the nurse group whose calls the phone view shows (docs/station.md
 * "Groups"), one of haven.cfg's groups (checked by `user add`; the station
 * warns at start for one that is not).  A malformed line is an error with
 * "file:line".  Writes go to a temp file in the same folder (0600), fsync'd,
 * then renamed over the old one, so a crash never leaves half a file.
 *
 * Hashing costs ~0.3 s and 64 MiB (argon2id t=3, m=64 MiB, p=1; the memory
 * can be lowered with users_set_cost for tests).  users_verify takes as long
 * for an unknown name as for a wrong password (a dummy hash is checked), so
 * a timing does not tell which names exist.
 */
#ifndef HAVEN_STATION_USERS_H
#define HAVEN_STATION_USERS_H

#include <stdbool.h>
#include <stddef.h>

#define USER_NAME_MAX 33   /* 32 characters and the NUL */
#define USER_GROUP_MAX 33  /* the same for a group */
#define USERS_DEFAULT_CONFIG "/etc/haven/haven.cfg"   /* where user add --group finds the groups */

enum user_role { ROLE_NURSE, ROLE_CHARGE };

const char *user_role_name(enum user_role r);
int user_role_from_name(const char *name);   /* enum user_role, or -1 */
bool user_name_valid(const char *name);
bool user_group_valid(const char *group);   /* the same alphabet and length as a name */

typedef struct users users;

/*
 * Loads path.  Returns the accounts, or NULL with err set ("file:line: ..."
 * or "path: group or world can read it; chmod 600 path").  A missing file is
 * an error too (haven-station user add creates it).
 */
users *users_load(const char *path, char *err, size_t errlen);
void users_free(users *u);
size_t users_count(const users *u);

/* Argon2id cost: memory in KiB and passes (defaults 65536, 3).  For tests. */
void users_set_cost(unsigned m_kib, unsigned t_cost);

/*
 * True when name's password is password; *role (may be NULL) gets its role.
 * Constant work whether or not the name exists.
 */
bool users_verify(const users *u, const char *name, const char *password, enum user_role *role);

/*
 * What users_verify pays for name, for tests to check without a clock: the
 * argon2id cost of the hash it checks (the account's, or the dummy's for an
 * unknown name), and how many hashes users_verify has checked in all.
 */
bool users_verify_cost(const users *u, const char *name, unsigned *m_kib, unsigned *t_cost);
unsigned long users_hashes_checked(void);

/* The i-th account's name (NULL past the end); *group its group or NULL. */
const char *users_nth(const users *u, size_t i, const char **group);

/* name's group, or NULL when it has none (or there is no such account). */
const char *users_group(const users *u, const char *name);

/*
 * Adds name, or resets its password and role, in the file at path (created
 * 0600 if missing).  The password must be 8..256 bytes.  Returns 0, or -1
 * with err set.  users_put keeps an existing account's group;
 * users_put_group sets it (NULL: keep, "": none; its validity only is
 * checked here, not that haven.cfg has it).
 */
int users_put(const char *path, const char *name, enum user_role role, const char *password,
              char *err, size_t errlen);
int users_put_group(const char *path, const char *name, enum user_role role, const char *group,
                    const char *password, char *err, size_t errlen);

/*
 * `haven-station user add --users FILE [--role nurse|charge] [--group NAME]
 * [--config FILE] NAME` (--group one of the groups of --config's haven.cfg,
 * default USERS_DEFAULT_CONFIG; "" removes it; without --group an existing
 * account keeps its group): reads the
 * password from fd (its first line; twice, and they must match, when fd is a
 * terminal, with echo off), never from argv.  Returns the exit status (0, or
 * 1 with a message on stderr).
 */
int users_cli_add(int argc, char **argv, int fd);

#endif
