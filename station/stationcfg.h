/* stationcfg.h - the station { } group of haven.cfg (being written). */
#ifndef HAVEN_STATION_STATIONCFG_H
#define HAVEN_STATION_STATIONCFG_H
#endif
