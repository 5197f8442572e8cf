/* users.c - see users.h (being written). */
#include "users.h"
