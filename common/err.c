/* err.c - hv_strerror(), generated from HV_ERRNO_MAP in err.h. */
#include "err.h"

const char *hv_strerror(int code)
{
    switch (code) {
    case HV_OK: return "success";
#define HV_ERR_CASE(name, msg) case HV_E##name: return msg;
    HV_ERRNO_MAP(HV_ERR_CASE)
#undef HV_ERR_CASE
    default: return "unknown error";
    }
}
