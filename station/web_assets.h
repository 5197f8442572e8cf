/* web_assets.h - the station's web files, embedded at build time (station/embed.cmake). */
#ifndef HAVEN_STATION_WEB_ASSETS_H
#define HAVEN_STATION_WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
    const char *path;          /* "/app.js" */
    const char *content_type;
    const unsigned char *data; /* NUL-terminated as well */
    size_t len;
};

/* Ends with an entry whose path is NULL. */
extern const struct web_asset web_assets[];

#endif
