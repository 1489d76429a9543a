/* error.h - filling an mo_error: the status and one sentence on the context. Internal. */
#ifndef MO_CORE_ERROR_H
#define MO_CORE_ERROR_H

#include "mobileone.h"

/* Sets err (when not NULL) to `status` and the formatted sentence; returns `status`, so
 * callers can write `return mo_error_set(err, MO_ERR_SHAPE, "...", ...);`. */
mo_status mo_error_set(mo_error *err, mo_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err to MO_OK and an empty message. */
void mo_error_clear(mo_error *err);

#endif
