/* error.c - status names and error sentences. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

const char *mo_status_name(mo_status status) {
    switch (status) {
    case MO_OK: return "MO_OK";
    case MO_ERR_ARGUMENT: return "MO_ERR_ARGUMENT";
    case MO_ERR_IO: return "MO_ERR_IO";
    case MO_ERR_FORMAT: return "MO_ERR_FORMAT";
    case MO_ERR_MISSING: return "MO_ERR_MISSING";
    case MO_ERR_SHAPE: return "MO_ERR_SHAPE";
    case MO_ERR_UNSUPPORTED: return "MO_ERR_UNSUPPORTED";
    case MO_ERR_MEMORY: return "MO_ERR_MEMORY";
    }
    return "MO_ERR_UNKNOWN";
}

mo_status mo_error_set(mo_error *err, mo_status status, const char *fmt, ...) {
    if (err) {
        err->status = status;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

void mo_error_clear(mo_error *err) {
    if (err) {
        err->status = MO_OK;
        err->message[0] = '\0';
    }
}
