/* default_model.c - finds a shipped model by file name (see default_model.h).
 *
 * MO_SOURCE_MODELS_DIR and MO_INSTALL_MODELS_DIR are compile definitions (apps/CMakeLists.txt):
 * the models/ folder of the source tree this binary was built from, and the install's. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "default_model.h"

/* Writes dir/name into path; returns 1 when that file can be read. */
static int try_dir(const char *dir, const char *name, char *path, size_t size) {
    int n = snprintf(path, size, "%s/%s", dir, name);
    return n > 0 && (size_t)n < size && access(path, R_OK) == 0;
}

const char *default_model_find(const char *name, char *path, size_t size) {
    const char *env = getenv(MO_MODELS_ENV);
    if (env && *env) {
        if (try_dir(env, name, path, size)) return path;
        snprintf(path, size, "no %s in $" MO_MODELS_ENV " (%s)", name, env);
        return NULL;
    }
    char exe[PATH_MAX] = "", dir[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
    if (slash) {
        *slash = '\0';
        snprintf(dir, sizeof dir, "%s/models", exe);
        if (try_dir(dir, name, path, size)) return path;
        snprintf(dir, sizeof dir, "%s/../models", exe);
        if (try_dir(dir, name, path, size)) return path;
    }
    if (try_dir(MO_SOURCE_MODELS_DIR, name, path, size)) return path;
    if (try_dir(MO_INSTALL_MODELS_DIR, name, path, size)) return path;
    char here[2 * PATH_MAX + 64] = "";
    if (slash) snprintf(here, sizeof here, "%s/models, %s/../models, ", exe, exe);
    snprintf(path, size,
             "no --model given, and the default model %s is in none of %s" MO_SOURCE_MODELS_DIR
             ", " MO_INSTALL_MODELS_DIR " (pass --model, or set $" MO_MODELS_ENV
             " to its folder)",
             name, here);
    return NULL;
}
