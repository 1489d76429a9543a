/* seg_sources.c - expanding `mobileone segment`'s SOURCE arguments into inputs. */
#include "seg_sources.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "seg_video.h"

static int has_ext(const char *path, const char *const *exts) {
    const char *dot = strrchr(path, '.');
    for (; dot && *exts; exts++)
        if (!strcasecmp(dot, *exts)) return 1;
    return 0;
}

static int is_image(const char *path) {
    static const char *const exts[] = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff",
                                       ".ppm", ".pgm", NULL};
    return has_ext(path, exts);
}

static int push(seg_inputs *in, const char *path, int is_video) {
    if (in->count == in->cap) {
        int32_t cap = in->cap ? 2 * in->cap : 16;
        seg_input *grown = realloc(in->items, sizeof *grown * (size_t)cap);
        if (!grown) return 0;
        in->items = grown;
        in->cap = cap;
    }
    char *copy = strdup(path);
    if (!copy) return 0;
    in->items[in->count++] = (seg_input){copy, is_video};
    return 1;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_folder(seg_inputs *in, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("segment", "%s: cannot open folder: %s", dir, strerror(errno));
        return 0;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int ok = 1;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !is_image(e->d_name)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, sizeof *names * cap);
            ok = grown != NULL;
            if (ok) names = grown;
        }
        if (ok) ok = (names[n] = strdup(e->d_name)) != NULL, n += ok;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        ok = ok && push(in, path, 0);
        free(names[i]);
    }
    free(names);
    if (!ok) cli_error("segment", "%s: out of memory listing images", dir);
    else if (!n) cli_error("segment", "%s: no images found (.jpg .jpeg .png .bmp .webp .tif)", dir);
    return ok && n;
}

static int add_list(seg_inputs *in, const char *list) {
    FILE *f = fopen(list, "r");
    if (!f) {
        cli_error("segment", "%s: cannot open: %s", list, strerror(errno));
        return 0;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", list);
    char *slash = strrchr(dir, '/');
    if (slash) slash[1] = '\0';
    else dir[0] = '\0';
    char line[4096];
    int32_t before = in->count, ok = 1;
    while (ok && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') continue;
        char path[8192];
        snprintf(path, sizeof path, "%s%s", *p == '/' ? "" : dir, p);
        ok = push(in, path, mo_seg_is_video_path(path));
    }
    fclose(f);
    if (!ok) cli_error("segment", "%s: out of memory", list);
    else if (in->count == before) cli_error("segment", "%s: the list names no files", list);
    return ok && in->count > before;
}

int seg_inputs_add(seg_inputs *in, const char *source) {
    struct stat st;
    if (stat(source, &st) != 0) {
        cli_error("segment", "%s: cannot open: %s", source, strerror(errno));
        return 0;
    }
    if (S_ISDIR(st.st_mode)) return add_folder(in, source);
    if (mo_seg_is_video_path(source)) return push(in, source, 1);
    static const char *const list_exts[] = {".txt", ".lst", ".list", NULL};
    if (has_ext(source, list_exts)) return add_list(in, source);
    return push(in, source, 0); /* an image, or a file the decoder will name as unreadable */
}

void seg_inputs_free(seg_inputs *in) {
    for (int32_t i = 0; i < in->count; i++) free(in->items[i].path);
    free(in->items);
    memset(in, 0, sizeof *in);
}

void seg_stem(const char *path, char *out, size_t size) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    snprintf(out, size, "%.*s", (int)n, base);
}
