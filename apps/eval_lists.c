/* eval_lists.c - name lists for `mobileone eval`: lines of a file, the files of a folder. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "eval_cmds.h"

const char *const mo_eval_image_exts[] = {".jpg", ".jpeg", ".png", ".bmp", ".webp",
                                          ".tif", ".tiff", ".ppm", NULL};

int mo_eval_names_push(mo_eval_names *l, const char *s, size_t len) {
    if (l->n == l->cap) {
        size_t c = l->cap ? l->cap * 2 : 256;
        char **nv = realloc(l->v, c * sizeof *nv);
        if (!nv) return 0;
        l->v = nv;
        l->cap = c;
    }
    char *d = malloc(len + 1);
    if (!d) return 0;
    memcpy(d, s, len);
    d[len] = '\0';
    l->v[l->n++] = d;
    return 1;
}

void mo_eval_names_free(mo_eval_names *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

int mo_eval_read_lines(const char *cmd, const char *path, mo_eval_names *out) {
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error(cmd, "%s: cannot open for reading: %s", path, strerror(errno));
        return 0;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            cli_error(cmd, "%s: a line is longer than %zu bytes", path, sizeof line - 2);
            fclose(f);
            return 0;
        }
        char *s = line;
        while (*s && isspace((unsigned char)*s))
            s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s && !mo_eval_names_push(out, s, (size_t)(e - s))) {
            cli_error(cmd, "out of memory");
            fclose(f);
            return 0;
        }
    }
    fclose(f);
    return 1;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *matching_ext(const char *name, const char *const *exts) {
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) return NULL;
    for (; *exts; exts++)
        if (!strcasecmp(dot, *exts)) return dot;
    return NULL;
}

int mo_eval_list_dir(const char *cmd, const char *dir, const char *const *exts, int with_ext,
                     mo_eval_names *out) {
    DIR *d = opendir(dir);
    if (!d) {
        cli_error(cmd, "%s: cannot open the folder: %s", dir, strerror(errno));
        return 0;
    }
    size_t before = out->n;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *dot = e->d_name[0] == '.' ? NULL : matching_ext(e->d_name, exts);
        if (!dot) continue;
        size_t len = with_ext ? strlen(e->d_name) : (size_t)(dot - e->d_name);
        if (!mo_eval_names_push(out, e->d_name, len)) {
            cli_error(cmd, "out of memory");
            closedir(d);
            return 0;
        }
    }
    closedir(d);
    qsort(out->v + before, out->n - before, sizeof *out->v, cmp_str);
    return 1;
}

int mo_eval_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

mo_status mo_eval_check_readable(const char *path, mo_error *err) {
    if (access(path, R_OK) == 0) return MO_OK;
    return mo_error_set(err, MO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
}
