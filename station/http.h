/*
 * http.h - the station's web server (libmicrohttpd): routes, cookies, bodies,
 * security headers, static assets, Server-Sent Events, TLS.
 *
 * MQTT-free: everything the station knows or does goes through the station.h
 * API (which takes the station's lock).  libmicrohttpd runs its own thread
 * (internal polling, epoll); event streams and report requests are
 * suspended connections that the station resumes through the callbacks of
 * struct station_waker.
 *
 * Bounds: request line and headers <= 16 KiB, a body <= 8 KiB (413), 15 s
 * of silence drops a connection, 600 connections in all, 300 event streams.
 */
#ifndef HAVEN_STATION_HTTP_H
#define HAVEN_STATION_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct station;

struct http_opts {
    const char *host;            /* numeric address or name to listen on */
    int port;
    const char *tls_cert_pem;    /* NULL: plain HTTP (refused unless host is loopback) */
    const char *tls_key_pem;
};

typedef struct http_server http_server;

/* Starts serving.  NULL (logged) when the address cannot be used. */
http_server *http_start(const struct http_opts *o, struct station *st);

/* Ends every stream and stops the server (joins its thread). */
void http_stop(http_server *h);

/*
 * Drops the connections that have not sent their whole request within 15 s
 * of connecting (or of their previous request): the slow clients
 * libmicrohttpd's idle timeout cannot see.  Call it about once a second.
 */
void http_sweep(http_server *h);

/* The port actually bound (for --listen HOST:0). */
int http_port(const http_server *h);

#endif
