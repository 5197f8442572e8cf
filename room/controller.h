/*
 * controller.h - the room controller process: configuration, call log, MQTT
 * session and the paging state machine, run by one loop.
 */
#ifndef HAVEN_CONTROLLER_H
#define HAVEN_CONTROLLER_H

struct controller_args {
    const char *config_path;
    const char *broker;    /* "HOST:PORT" overriding the config, or NULL */
    const char *db_path;   /* overriding the config, or NULL */
};

/*
 * Runs until SIGTERM or SIGINT.  SIGHUP reloads the configuration.
 * Returns the process exit status: 0 after a clean stop, 2 for a
 * configuration error, 1 when the call log or the broker session cannot be set up.
 */
int controller_run(const struct controller_args *args);

/* `haven-room report`: prints per-room response times. Returns an exit status. */
int report_run(const char *config_path, const char *db_path, const char *since);

/* `haven-room check`: validates the configuration. Returns 0 or 2. */
int check_run(const char *config_path);

/*
 * `haven-room list`: the validated configuration's names, one per line, for
 * scripts (scripts/make-credentials) that must not parse libconfig by hand:
 *     prefix haven / controller room-1 / group nurses ... / room chair-1 ...
 * Returns 0 or 2.
 */
int list_run(const char *config_path);

#endif
