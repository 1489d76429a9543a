/* files.h - writing the generator's outputs safely: whole files under `<path>.tmp`, renamed
 * when complete, and output folders created on demand.
 *
 * Errors are MO_ERR_IO with one sentence naming the path and the system's reason; nothing is
 * left under the temporary name on error. */
#ifndef MO_SYNTH_FILES_H
#define MO_SYNTH_FILES_H

#include <stddef.h>

#include "mobileone.h"

/* Writes len bytes to `path.tmp`, flushes, then renames it to path. */
mo_status synth_write_atomic(const char *path, const void *data, size_t len, mo_error *err);

/* Renames tmp to path, or removes tmp and fails. */
mo_status synth_commit(const char *tmp, const char *path, mo_error *err);

/* Creates the folder and its missing parents (as mkdir -p); an existing folder is fine. */
mo_status synth_make_dirs(const char *path, mo_error *err);

#endif
