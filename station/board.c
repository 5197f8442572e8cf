/* board.c - see board.h (being written). */
#include "board.h"
