/* files.c - whole-file writes through a temporary name, and mkdir -p (see files.h). */
#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"

mo_status synth_commit(const char *tmp, const char *path, mo_error *err) {
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return mo_error_set(err, MO_ERR_IO, "%s: cannot rename from %s: %s", path, tmp,
                            strerror(e));
    }
    return MO_OK;
}

mo_status synth_write_atomic(const char *path, const void *data, size_t len, mo_error *err) {
    size_t n = strlen(path) + 5;
    char *tmp = malloc(n);
    if (!tmp) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        mo_error_set(err, MO_ERR_IO, "%s: cannot open for writing: %s", tmp, strerror(errno));
        free(tmp);
        return MO_ERR_IO;
    }
    size_t wrote = len ? fwrite(data, 1, len, f) : 0;
    int e = wrote == len ? 0 : errno;
    if (fclose(f) != 0 && !e) e = errno ? errno : EIO;
    if (wrote != len || e) {
        remove(tmp);
        mo_error_set(err, MO_ERR_IO, "%s: write failed: %s", tmp, strerror(e ? e : EIO));
        free(tmp);
        return MO_ERR_IO;
    }
    mo_status st = synth_commit(tmp, path, err);
    free(tmp);
    return st;
}

mo_status synth_make_dirs(const char *path, mo_error *err) {
    size_t n = strlen(path);
    char *p = malloc(n + 1);
    if (!p) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char c = p[i];
        p[i] = '\0';
        struct stat st;
        if (stat(p, &st) != 0) {
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                mo_error_set(err, MO_ERR_IO, "%s: cannot create folder: %s", p, strerror(errno));
                free(p);
                return MO_ERR_IO;
            }
        } else if (!S_ISDIR(st.st_mode)) {
            mo_error_set(err, MO_ERR_IO, "%s: exists and is not a folder", p);
            free(p);
            return MO_ERR_IO;
        }
        p[i] = c;
    }
    free(p);
    return MO_OK;
}
