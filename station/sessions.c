/* sessions.c - see sessions.h (being written). */
#include "sessions.h"
