/* stationcfg.c - the station { } group (being written). */
#include "stationcfg.h"
