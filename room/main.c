/*
 * main.c - haven-room: the room controller.
 *
 *   haven-room [run] --config FILE [--broker HOST:PORT] [--db FILE]
 *   haven-room report --config FILE [--db FILE] [--since DATE]
 *   haven-room check --config FILE
 *   haven-room list --config FILE
 *
 * Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.
 */
#include "controller.h"

#include <stdio.h>
#include <string.h>

#define HAVEN_VERSION "0.1.0"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: haven-room [run] --config FILE [--broker HOST:PORT] [--db FILE]\n"
            "       haven-room report --config FILE [--db FILE] [--since DATE]\n"
            "       haven-room check --config FILE\n"
            "       haven-room list --config FILE\n"
            "\n"
            "  run      serve the rooms in FILE: page nurses, escalate, supervise kiosks\n"
            "  report   per-room call counts and raised->acknowledged times (p50/p90/max)\n"
            "  check    validate FILE and print the escalation chains\n"
            "  list     print the prefix, controller id, groups, rooms and light topics, one per line\n"
            "\n"
            "  --broker HOST:PORT  broker to use instead of the one in FILE\n"
            "  --db FILE           call log to use instead of controller.database\n"
            "  --since DATE        report calls raised on or after DATE (2026-11-01)\n");
}

struct options {
    const char *command, *config, *broker, *db, *since;
};

/* Fills o from argv. Returns 0, or an exit status to stop with. */
static int parse_args(int argc, char **argv, struct options *o)
{
    int i = 1;

    memset(o, 0, sizeof *o);
    o->command = "run";
    if (i < argc && argv[i][0] != '-')
        o->command = argv[i++];
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char **dest = !strcmp(a, "--config") ? &o->config
                          : !strcmp(a, "--broker") ? &o->broker
                          : !strcmp(a, "--db") ? &o->db
                          : !strcmp(a, "--since") ? &o->since : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return -1;
        }
        if (!strcmp(a, "--version")) {
            printf("haven-room %s\n", HAVEN_VERSION);
            return -1;
        }
        if (!dest || i + 1 >= argc) {
            fprintf(stderr, "haven-room: %s '%s'\n", dest ? "missing value for" : "unknown option", a);
            usage(stderr);
            return 2;
        }
        *dest = argv[++i];
    }
    if (!o->config) {
        fprintf(stderr, "haven-room: --config FILE is required\n");
        usage(stderr);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_args(argc, argv, &o);

    if (rc)
        return rc < 0 ? 0 : rc;
    if (!strcmp(o.command, "run")) {
        struct controller_args args = { o.config, o.broker, o.db };
        return controller_run(&args);
    }
    if (!strcmp(o.command, "report"))
        return report_run(o.config, o.db, o.since);
    if (!strcmp(o.command, "check"))
        return check_run(o.config);
    if (!strcmp(o.command, "list"))
        return list_run(o.config);
    fprintf(stderr, "haven-room: unknown command '%s'\n", o.command);
    usage(stderr);
    return 2;
}
