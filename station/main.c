/*
 * main.c - haven-station: the nurse station's web server.
 *
 *   haven-station --config FILE [--listen HOST:PORT] [--broker HOST:PORT]
 *                 [--users FILE] [--audit FILE] [--record FILE]
 *   haven-station user add --users FILE [--role nurse|charge] [--group NAME]
 *                          [--config FILE] NAME
 *
 * Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.
 */
#include "station.h"
#include "users.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HAVEN_VERSION "0.1.0"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: haven-station --config FILE [--listen HOST:PORT] [--broker HOST:PORT]\n"
            "                     [--users FILE] [--audit FILE] [--record FILE]\n"
            "       haven-station user add --users FILE [--role nurse|charge] [--group NAME]\n"
            "                              [--config FILE] NAME\n"
            "\n"
            "  serve the nurse station (the board and the phone view) for the clinic in FILE\n"
            "  (station = { ... } in haven.cfg); SIGHUP reloads the rooms and the accounts.\n"
            "  user add  adds an account or resets its password and role (and its nurse\n"
            "            group: one of the groups of --config's haven.cfg, default\n"
            "            " USERS_DEFAULT_CONFIG "; the phone view shows the calls paged to it);\n"
            "            the password is read from standard input (twice, without\n"
            "            echo, on a terminal).\n"
            "\n"
            "  --listen HOST:PORT  address to serve on instead of station.listen (plain HTTP\n"
            "                      only on loopback; elsewhere tls_cert and tls_key)\n"
            "  --broker HOST:PORT  broker to use instead of the one in FILE\n"
            "  --users FILE        accounts file instead of station.users\n"
            "  --audit FILE        audit log instead of station.audit\n"
            "  --record FILE       the patients' courses (SQLite) instead of station.record\n");
}

/* Fills a from argv. Returns 0, or an exit status to stop with (-1: 0 after --help). */
static int parse_args(int argc, char **argv, struct station_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char **dest = !strcmp(o, "--config") ? &a->config
                          : !strcmp(o, "--listen") ? &a->listen
                          : !strcmp(o, "--broker") ? &a->broker
                          : !strcmp(o, "--users") ? &a->users
                          : !strcmp(o, "--audit") ? &a->audit
                          : !strcmp(o, "--record") ? &a->record : NULL;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            usage(stdout);
            return -1;
        }
        if (!strcmp(o, "--version")) {
            printf("haven-station %s\n", HAVEN_VERSION);
            return -1;
        }
        if (!dest || i + 1 >= argc) {
            fprintf(stderr, "haven-station: %s '%s'\n", dest ? "missing value for" : "unknown option", o);
            usage(stderr);
            return 2;
        }
        *dest = argv[++i];
    }
    if (!a->config) {
        fprintf(stderr, "haven-station: --config FILE is required\n");
        usage(stderr);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct station_args a;
    int rc;

    if (argc >= 2 && !strcmp(argv[1], "user")) {
        if (argc >= 3 && !strcmp(argv[2], "add"))
            return users_cli_add(argc, argv, STDIN_FILENO);
        fprintf(stderr, "haven-station: the user command is: user add --users FILE "
                "[--role nurse|charge] [--group NAME] [--config FILE] NAME\n");
        return 2;
    }
    rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    return station_main(&a);
}
