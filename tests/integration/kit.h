/*
 * kit.h - the helpers the integration tests share, on top of room_fixture.h
 * (the controller and broker) and json_util.h (reading the payloads).
 *
 * Two parts:
 *
 *  - The room kit: the default test clinic (rf_default_config) with a kiosk,
 *    a pager and a nurse already connected, for tests written as
 *
 *        ROOM_TEST(test_x)
 *        {
 *            KIOSK_PUB(t, "room/chair-1/kiosk/call", "{\"id\":\"k-1\",\"reason\":\"help\"}");
 *            char *page = NEXT_PAGE(t, "nurses", 2000);
 *            ...
 *        }
 *
 *  - Helpers for tests that drive a struct room_fixture themselves (their own
 *    config, restarts, crashes): a clinic config with long timers, the
 *    controller's status topic, waiting for a line in its log, waiting until
 *    it has handled what was published, sleeping until a moment, publishing a
 *    kiosk call, reading a retained message as a new subscriber.
 *
 * The UPPER-CASE macros report a failed check at the test's own file:line.
 */
#ifndef HAVEN_TEST_KIT_H
#define HAVEN_TEST_KIT_H

#include "check.h"
#include "room_fixture.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- the room kit ------------------------------------------------------------------ */

/* A room with a kiosk, a pager and a nurse (see room_kit_run). */
struct room_kit {
    struct room_fixture f;
    hv_client *kiosk;  /* the rooms' kiosks: sends calls and bedside clears, hears kiosk/cmd */
    hv_client *pager;  /* every group's pager: page/+ */
    hv_client *nurse;  /* a nurse's phone: acks and remote clears */
};

/*
 * Starts the fixture with the default test clinic (rf_default_config, on the
 * shared broker), waits until the controller has re-published the 4 rooms'
 * (empty) retained calls, so that a client subscribing later sees only what
 * the test caused, connects the kiosk (subscribed to room/+/kiosk/cmd), the
 * pager (page/+) and the nurse, and runs body.  Afterwards checks that the
 * controller still runs, and tears everything down.  A fixture or client
 * that does not start is a failed check (and body does not run).
 */
void room_kit_run(void (*body)(struct room_kit *t));

/* Defines the test function name, whose body runs in a room kit as t (a struct room_kit *). */
#define ROOM_TEST(name) \
    static void name##_body(struct room_kit *t); \
    static void name(void) { room_kit_run(name##_body); } \
    static void name##_body(struct room_kit *t)

/* Publishes payload on "<prefix>/<rest>" at QoS 1 as the kiosk; checks it was sent. */
#define KIOSK_PUB(t, rest, payload) \
    CHECK(hv_client_pub((t)->kiosk, rf_topic(&(t)->f, (rest)), (payload), 1, false) == 0)
/* Publishes payload on "<prefix>/<rest>" at QoS 1 as the nurse; checks it was sent. */
#define NURSE_PUB(t, rest, payload) \
    CHECK(hv_client_pub((t)->nurse, rf_topic(&(t)->f, (rest)), (payload), 1, false) == 0)

/*
 * The next page (any group) within timeout_ms, as a message (for its arrival
 * time, hv_msg.recv_us; free it with hv_msg_free); checks that it arrived and
 * went to group (reported at file:line).  NULL on timeout.
 */
hv_msg *next_page_msg_(struct room_kit *t, const char *group, int timeout_ms, const char *file,
                       int line);
#define NEXT_PAGE_MSG(t, group, ms) next_page_msg_((t), (group), (ms), __FILE__, __LINE__)

/* Like NEXT_PAGE_MSG, but returns just the payload (malloc'd, NUL-terminated), or NULL. */
char *next_page_(struct room_kit *t, const char *group, int timeout_ms, const char *file,
                 int line);
#define NEXT_PAGE(t, group, ms) next_page_((t), (group), (ms), __FILE__, __LINE__)

/*
 * What room's kiosk is told, as the real kiosk learns it: the next P/call/room
 * the kit's kiosk client sees whose state is state ("acknowledged"), or, for a
 * NULL state, the next empty one (cleared), within timeout_ms; other updates
 * on the way are skipped.  malloc'd, or NULL.
 */
char *kiosk_told(struct room_kit *t, const char *room, const char *state, int timeout_ms);
/* The same for any client subscribed to P/call/room (or P/call/+). */
char *expect_call_state(hv_client *c, const struct room_fixture *f, const char *room,
                        const char *state, int timeout_ms);

/*
 * The next P/call/room the observer saw within timeout_ms (malloc'd; an empty
 * string for an empty payload), or NULL.
 */
char *call_update(struct room_kit *t, const char *room, int timeout_ms);

/*
 * What a board subscribing now gets as room's retained call (malloc'd), or
 * NULL if none within 600 ms.  Checks (at file:line) that what it got was
 * delivered as retained and is not empty.
 */
char *retained_call_(struct room_kit *t, const char *room, const char *file, int line);
#define RETAINED_CALL(t, room) retained_call_((t), (room), __FILE__, __LINE__)

/* ---- for tests that drive a struct room_fixture themselves ----------------------------- */

/*
 * A clinic for rf_start ("%PREFIX%" in it) with long timers, so that nothing
 * escalates or reminds on its own during a test: controller "ctl-<prefix>",
 * rooms chair-1 and chair-2, groups nurses and charge; every priority pages
 * nurses at 0 and charge at 60 s, repeat 60 s, ack_timeout 60 s.
 */
extern const char config_long_timers[];

/*
 * "<prefix>/controller/ctl-<prefix>/status": the controller's status topic
 * for the id the test configs give it.  A static buffer, valid until the next call.
 */
const char *status_topic(const struct room_fixture *f);

/*
 * True once the controller's log contains needle: reads it at once, then
 * every 20 ms until timeout_ms have passed (0: one look, and a 20 ms pause
 * if it is not there).
 */
bool wait_log(const struct room_fixture *f, const char *needle, int timeout_ms);

/*
 * Waits until the controller has handled everything published before now:
 * publishes, as client c, an acknowledgement on call/chair-2/ack for an
 * unknown id "probe-N" (which the controller logs and ignores) and waits up
 * to 5 s for that log line; the broker keeps the order.  The config must
 * have a room chair-2.  True when the line appeared.
 */
bool sync_room(const struct room_fixture *f, hv_client *c);

/* Sleeps until ms milliseconds after t0_us (an hv_now_us() value); at once if that has passed. */
void sleep_until(int64_t t0_us, int ms);

/*
 * Publishes, as kiosk, a "help" call with this id on room's kiosk/call
 * (QoS 1, with a fixed ts).  Returns 0, or -1 if it was not sent.
 */
int publish_call(hv_client *kiosk, const struct room_fixture *f, const char *room,
                 const char *id);

/*
 * The retained message a new subscriber to topic gets within wait_ms: its
 * payload, malloc'd, or NULL (saying so on stderr) if none came, or it was
 * not delivered as retained, empty, or not JSON.
 */
char *retained_payload(const struct room_fixture *f, const char *topic, int wait_ms);

#endif /* HAVEN_TEST_KIT_H */
