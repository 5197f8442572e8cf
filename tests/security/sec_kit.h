/*
 * sec_kit.h - a clinic behind the PRODUCTION broker settings, for tests/security.
 *
 * sec_env_make() does what docs/deployment.md tells an installer to do, with
 * the real tools: scripts/make-credentials (password file and ACL from the
 * clinic's haven.cfg, read by `haven-room list`), scripts/make-certs (a clinic
 * CA, the broker's certificate, device certificates, and a second "rogue" CA
 * whose certificates the broker must refuse), and a mosquitto.conf made from
 * config/mosquitto/haven-prod.conf itself: every setting kept, only the
 * listeners' ports and the file paths moved into the test's temp dir.  An
 * extra login "observer" (made as a pager) may also read everything, so the
 * room fixture can watch; "observer-2" likewise, for rf_client (late
 * subscribers: a second client of one login would take the first's session).  Run as root, the broker drops to
 * user mosquitto (haven-prod.conf's "user mosquitto") and the files are owned
 * as docs/deployment.md says: passwd, acl and broker.key root:mosquitto 0640,
 * their directories 0750, the persistence dir mosquitto's.
 */
#ifndef HAVEN_SEC_KIT_H
#define HAVEN_SEC_KIT_H

#include "harness.h"
#include "room_fixture.h"

#include <stdbool.h>

struct sec_env {
    char prefix[32];
    char dir[256];       /* temp dir: clinic.cfg, creds/, tls/, rogue/, mqtt/ */
    char controller[64]; /* the controller's username: controller-ctl-<prefix> */
    int tls_port;        /* the broker's TLS listener (its plain one is the fixture's port) */
    char *broker_conf;   /* for rf_opts.broker_conf (malloc'd) */
};

/* Makes everything above for prefix (rooms chair-1..4, groups nurses and charge). 0 or -1. */
int sec_env_make(struct sec_env *e, const char *prefix);
/*
 * Runs scripts/make-credentials again for this clinic (extra: one more
 * argument such as "--rotate", or NULL).  0 if it succeeded.
 */
int sec_make_credentials(const struct sec_env *e, const char *extra);
/* Runs a tool (argv NULL-terminated) with its output in dir/tools.log.  0 if it exited 0. */
int sec_run_tool(const struct sec_env *e, const char *const *argv);
/* Removes the temp dir (kept if the current test failed). */
void sec_env_free(struct sec_env *e);

/* user's password as make-credentials made it (static rotating buffer, 32 deep), or NULL. */
const char *sec_password(const struct sec_env *e, const char *user);

/* "<dir>/<rest>" (static rotating buffer, 32 deep). */
const char *sec_path(const struct sec_env *e, const char *rest);

/*
 * Client options for user: its username and password; with tls, the TLS port,
 * the clinic CA and the device certificate tls/<user>.crt (made for the
 * controller, kiosk-chair-1..3, pager-nurses, observer and station).  Logins:
 * those, kiosk-chair-4, pager-charge, pager-7, station-desk-2 and the light
 * bridges lights-<prefix>-z2m (chair-1's lamp) and lights-<prefix>-dome-2
 * (chair-2's Tasmota dome).
 * Strings point into static buffers valid for 32 further calls.
 */
struct hv_client_opts sec_user(const struct sec_env *e, const char *user, bool tls);

/* A client logged in as user on f's plain listener, client id "<prefix>-<name>", or NULL. */
hv_client *sec_login(const struct sec_env *e, const struct room_fixture *f, const char *user,
                     const char *name);

/*
 * The controller's config for this clinic, its credentials in
 * controller { broker { } }, and with tls its device certificate as well
 * (connect it to e->tls_port).  malloc'd.
 */
char *sec_room_config(const struct sec_env *e, bool tls, const char *extra);

/*
 * Starts the controller (and observer) on this clinic's broker and waits
 * until the observer has seen the rooms' empty calls the controller
 * publishes as it starts, so that it holds only what the test causes. 0 or -1.
 */
int sec_start(struct room_fixture *f, struct sec_env *e, bool tls, const char *extra_cfg);

#endif
