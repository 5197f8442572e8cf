/* audit.c - see audit.h (being written). */
#include "audit.h"
