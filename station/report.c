/* report.c - see report.h (being written). */
#include "report.h"
