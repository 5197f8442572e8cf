/*
 * lightcfg.h - the lighting part of haven.cfg: scenes { }, lighting { } and
 * each room's lights ( ) and dome { }.  Used by roomcfg.c only; the settings
 * land in struct room_config (roomcfg.h).
 */
#ifndef HAVEN_LIGHTCFG_H
#define HAVEN_LIGHTCFG_H

#include "roomcfg.h"

/* Reads room's lights and dome into r (r->lights is malloc'd). 0 or HV_ECONFIG. */
int lightcfg_read_room(const config_setting_t *room, struct room_def *r, struct cfg_error *err);

/* Reads scenes { } and lighting { } into c->lighting; call after the rooms. 0 or HV_ECONFIG. */
int lightcfg_read(const config_t *cfg, struct room_config *c, struct cfg_error *err);

#endif
