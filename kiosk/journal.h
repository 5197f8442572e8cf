/*
 * journal.h - the kiosk's tap journal: every questionnaire event (start,
 * answer, back, next, submit) written to disk as it happens, so that a
 * kiosk killed mid-form comes back at the same question with the same
 * answers (formrun.h rebuilds the run from these rows).
 *
 * A table of the kiosk database (state_dir/kiosk.db, outbox.h; before issue
 * 15 a file of its own, journal.db, which outbox_import_journal copies in),
 * WAL with synchronous=FULL: a row is on disk when journal_append returns
 * (or, inside an intent's transaction, when that commits).  Rows are kept per visit and phase; leaving a
 * phase appends a "close" mark, so coming back to it later starts afresh,
 * and the end of a visit deletes its rows.
 */
#ifndef HAVEN_KIOSK_JOURNAL_H
#define HAVEN_KIOSK_JOURNAL_H

#include "contract.h"
#include "formrun.h"

#include <stdint.h>

struct journal;
struct db;

/* Opens (creating) a kiosk database at path for the journal alone (tests, bench). NULL on
 * failure (logged). */
struct journal *journal_open(const char *path);
/* The journal on the kiosk database db (outbox_db), which stays the outbox's to close.
 * NULL when db is NULL or out of memory. */
struct journal *journal_on(struct db *db);
/* Closes the journal (and its database if journal_open opened it). */
void journal_close(struct journal *j);

/* Appends ev for visit and phase. 0 or HV_EDB. */
int journal_append(struct journal *j, const char *visit, enum phase p, const struct run_event *ev,
                   int64_t ts_ms);
/* Marks the run of visit and phase as over: journal_load then returns nothing for it. */
int journal_close_run(struct journal *j, const char *visit, enum phase p);
/*
 * Calls fn for each event of the open run of visit and phase, oldest first.
 * Returns the number of events, or HV_EDB.
 */
int journal_load(struct journal *j, const char *visit, enum phase p,
                 void (*fn)(void *ud, const struct run_event *ev), void *ud);
/* Deletes every row of visit. 0 or HV_EDB. */
int journal_forget(struct journal *j, const char *visit);

#endif
