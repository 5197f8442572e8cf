/* http.c - (being written). */
#include "web_assets.h"
