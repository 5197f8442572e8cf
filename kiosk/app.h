/*
 * app.h - the kiosk's model: what the chair knows and what the patient asked.
 *
 * Screens read this struct to draw and turn touches into intents
 * (app_help_pressed, app_checkin_answer, ...).  They never see MQTT: the
 * intents become messages in app.c, which writes each one to the on-disk
 * outbox before it is published, so a call pressed while the network or the
 * broker is down, or just before the kiosk restarts, is delivered later.
 * Messages from the controller and the nurse station come back in through
 * app_on_message().
 */
#ifndef HAVEN_KIOSK_APP_H
#define HAVEN_KIOSK_APP_H

#include "contract.h"
#include "formrun.h"
#include "kcfg.h"
#include "mqtt.h"
#include "staff.h"

#include <stdbool.h>
#include <stdint.h>

struct outbox;
struct journal;
struct app;

/*
 * What follows the visit's course (app_forms_attach sets the questionnaires'), so
 * that app.c calls forward and app_forms.c back, with no circle between them.
 */
struct app_visit_ops {
    /* The phase changed from old: the old run's unfinished forms are sent as stopped,
     * and the new phase's forms begin. */
    void (*phase)(struct app *a, enum phase old, int64_t now_ms);
    /* The visit ends: unfinished forms are sent as stopped; the journal forgets it. */
    void (*end_visit)(struct app *a, int64_t now_ms);
};
struct sound;

/* How the model sends: over MQTT in the kiosk (main.c), nowhere in unit tests (NULL). */
struct app_link {
    /* Publishes at QoS 1; *mid receives the id its PUBLISHED event will carry. 0 or < 0. */
    int (*publish)(void *ctx, const char *topic, const char *payload, bool retain, int *mid);
    void *ctx;
};

/* The help button's life, as the patient sees it. */
enum call_ui {
    CALL_UI_NONE,          /* no call: the button says "Help" */
    CALL_UI_SENDING,       /* pressed; the controller has not shown it yet (P/call/R) */
    CALL_UI_CALLED,        /* "Your nurse has been called": the controller has it */
    CALL_UI_COMING,        /* "Sam is on the way": acknowledged, per P/call/R */
};

enum checkin_ui {
    CHECKIN_NONE,          /* no prompt */
    CHECKIN_PROMPT,        /* "How are you feeling?" on screen */
    CHECKIN_THANKS,        /* answered: a short thank-you */
};

struct app {
    const struct kiosk_config *cfg;
    struct outbox *outbox;      /* durable queue + persisted kiosk state */
    const struct app_link *link; /* NULL in unit tests: messages stay in the outbox */
    struct sound *sound;        /* the sound player (sound/sound.h); NULL: no sound configured */

    /* the visit */
    enum phase phase;
    char visit[HV_ID_MAX];      /* "" when no visit */
    char lang[8];               /* "en", "es" */
    int64_t phase_since_ms;     /* wall clock; for recovery countdown and infusion time */

    /* the call */
    enum call_ui call;
    char call_id[HV_ID_MAX];    /* the open call's id ("" when none) */
    char call_by[HV_NAME_MAX];  /* who is coming ("" until acknowledged, or unnamed) */
    bool ready_sent;            /* the discharge "ready" call went out this visit */
    /* The broker's PUBACK says the broker has the call, not that a controller does (it
     * may be resubscribing after a broker restart).  Until the room's retained call shows
     * it, the kiosk sends it again now and then, with the same id. */
    bool call_confirmed;
    enum call_reason call_reason;
    int call_priority;          /* a questionnaire rule's priority for it; -1: the reason's */
    char call_detail[HV_DETAIL_MAX]; /* what raised it ("" none): a re-send says it again */
    int64_t call_resend_ms;     /* wall clock of the next re-send (0: none) */
    int64_t call_resend_gap_ms; /* doubles up to CALL_RESEND_MAX_MS */
    int call_sent_link;         /* link_gen when the call was last sent (-1: while offline) */

    /* the link */
    bool connected;             /* broker reachable */
    int link_gen;               /* counts connections, for call_sent_link */
    int64_t disconnected_since_ms;
    int64_t status_ms;          /* wall clock the retained status last went out (the beat's base) */
    int pending;                /* outbox messages not yet acknowledged by the broker */

    /* check-ins */
    enum checkin_ui checkin;
    int64_t next_checkin_ms;    /* wall clock of the next prompt (0: none scheduled) */
    int64_t checkin_shown_ms;

    /* staff: a long press on the hidden corner, then the PIN, then the menu (staff.h) */
    struct staff staff;
    bool dirty;                 /* something changed: redraw */

    /* publishes in flight: MQTT message id -> outbox sequence number */
    struct mqtt_pending inflight_slots[64];
    struct mqtt_inflight inflight;   /* over inflight_slots[] */
    int64_t call_seq;           /* outbox seq of the last call message (SENDING until acked) */
    bool replayed;              /* the outbox left by an earlier run has been re-sent */
    char topic_status[HV_TOPIC_MAX];
    char topic_call[HV_TOPIC_MAX];  /* P/room/R/kiosk/call */

    /* What follows the visit (app_forms.c's questionnaires, once attached; NULL: nothing):
     * app.c tells it and knows nothing of forms. */
    const struct app_visit_ops *visit_ops;

    /* questionnaires (app_forms.c) */
    struct qn_set *forms;       /* owned; NULL: no forms (the intake's plain checklist) */
    struct qn_set *forms_next;  /* owned; a reloaded set waiting for the form on screen to end */
    struct journal *journal;    /* the tap journal; NULL: not journaled (unit tests) */
    struct run run;             /* the current phase's forms */
};

/* Sets up the model from the persisted state. Returns 0 or HV_EDB. */
int app_init(struct app *a, const struct kiosk_config *cfg, struct outbox *ob,
             const struct app_link *link, int64_t now_ms);

/* ---- intents, from the screens ---- */

/* The help button.  Opens a call (reason help), or re-alerts the open one with the same id. */
void app_help_pressed(struct app *a, int64_t now_ms);
/* A check-in answer: feeling 1 (very good) .. 5 (very bad); want_someone: "I'd like someone to come". */
void app_checkin_answer(struct app *a, int feeling, bool want_someone, int64_t now_ms);
/* Staff, from the unlocked menu. */
void app_begin_visit(struct app *a, const char *visit, const char *lang, int64_t now_ms);
void app_set_phase(struct app *a, enum phase p, int64_t now_ms);
void app_end_visit(struct app *a, int64_t now_ms);
void app_clear_call_bedside(struct app *a, const char *staff, int64_t now_ms);

enum pin_result {
    PIN_RESULT_OK,         /* the staff menu opens (a->staff.who says whose PIN) */
    PIN_RESULT_WRONG,      /* wrong, counted */
    PIN_RESULT_LOCKED,     /* the pad is locked (until a->staff.lock.until_ms): not checked */
};
/*
 * A PIN typed on the pad.  Checking it takes a slow KDF (pin.h), so it runs in two
 * halves: app_pin_begin refuses it while the pad is locked (false), else keeps it in
 * staff.check_pin and sets staff.checking (true); the kiosk checks it off the main
 * thread (kcfg_pin_who) and hands back whose it is (NULL: nobody's) to
 * app_pin_checked, which opens the menu or counts the failure.  The lockout grows
 * with each wrong PIN past the free tries, survives a restart, and each lockout is
 * logged and sent as a kiosk event (pin_locked).  app_pin_submit does both at once.
 */
bool app_pin_begin(struct app *a, const char *pin, int64_t now_ms);
enum pin_result app_pin_checked(struct app *a, const char *who, int64_t now_ms);
enum pin_result app_pin_submit(struct app *a, const char *pin, int64_t now_ms);

/* ---- the network, from the main loop ---- */

void app_on_connected(struct app *a, bool connected, int64_t now_ms);
/*
 * A message on a topic the kiosk subscribed to: kiosk/cmd (begin_visit, phase,
 * end_visit; retained ones and call states are ignored), the room's retained call
 * P/call/R (the only source of acknowledged / cleared), P/controller/+/status (a
 * controller back online gets an unconfirmed call again).  retained: as delivered.
 */
void app_on_message(struct app *a, const char *topic, const char *payload, size_t len,
                    bool retained, int64_t now_ms);
/* The broker acknowledged the publish with this mid. */
void app_on_published(struct app *a, int mid);

/* Timers: check-in prompts, their fading, the recovery countdown's end, the status
 * heartbeat. Returns the next wake-up (wall ms). */
int64_t app_tick(struct app *a, int64_t now_ms);

/*
 * Publishes the retained status (online, phase, visit, beat). Called on connect, on phase
 * changes, and every beat (keepalive/2) while connected: the controller takes 2.5 beats
 * without one as the kiosk's link gone silent (docs/protocol.md, Supervision).
 */
void app_publish_status(struct app *a, int64_t now_ms);

/* The visit's language ("en", "es"), from the welcome screen; saved with the visit. */
void app_set_lang(struct app *a, const char *lang);

/* ---- questionnaires (app_forms.c) ---- */

/*
 * Gives the app the forms (it owns set from now on; NULL: none) and the tap
 * journal (not owned; NULL: not journaled), and resumes the run of the
 * current phase from the journal: same form, same question, same answers.
 */
void app_forms_attach(struct app *a, struct qn_set *set, struct journal *j, int64_t now_ms);
/* A reloaded set (owned from now on): used at once, or when the form on screen is done. */
void app_forms_reload(struct app *a, struct qn_set *set);
/* Frees the sets (at exit). */
void app_forms_free(struct app *a);
/*
 * A patient's tap on a form: applied to the run, its effects carried out
 * (a rule's call, a submitted form's response, through the outbox), then
 * journaled.  An event that does not fit the run now is ignored.
 */
void app_form_event(struct app *a, const struct run_event *ev, int64_t now_ms);

/* ---- for app*.c only ---- */

/* Writes json (freed here) to the outbox for kind's topic, then publishes it. The outbox seq. */
int64_t app_send(struct app *a, enum topic_kind kind, char *json);
/* Opens a call for reason (priority: an enum priority, or -1 for the reason's), or
 * re-alerts the open one (same id). */
void app_call(struct app *a, enum call_reason reason, int priority, const char *detail,
              int64_t now_ms);

#endif
