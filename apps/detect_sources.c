/* detect_sources.c - classifying SOURCE and listing its images. */
#include "detect_sources.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"

static const char *const image_exts[] = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif",
                                         ".tiff", ".ppm", ".pgm", ".jp2"};

int detect_is_image_path(const char *path) {
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return 0;
    for (size_t i = 0; i < sizeof image_exts / sizeof image_exts[0]; i++)
        if (!strcasecmp(dot, image_exts[i])) return 1;
    return 0;
}

static int is_list_path(const char *path) {
    const char *dot = strrchr(path, '.');
    return dot && !strchr(dot, '/') && (!strcasecmp(dot, ".txt") || !strcasecmp(dot, ".list"));
}

static int add_path(detect_source *s, const char *path) {
    char **grown = realloc(s->paths, sizeof(char *) * ((size_t)s->count + 1));
    if (!grown) return 0;
    s->paths = grown;
    if (!(s->paths[s->count] = strdup(path))) return 0;
    s->count++;
    return 1;
}

static int by_string(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_folder(detect_source *s, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("detect", "%s: cannot open folder: %s", dir, strerror(errno));
        return 0;
    }
    struct dirent *e;
    char path[4096];
    int ok = 1;
    while (ok && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !detect_is_image_path(e->d_name)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ok = add_path(s, path);
    }
    closedir(d);
    if (s->count > 1) qsort(s->paths, (size_t)s->count, sizeof(char *), by_string);
    return ok;
}

static int read_list(detect_source *s, const char *list) {
    FILE *f = fopen(list, "r");
    if (!f) {
        cli_error("detect", "%s: cannot open: %s", list, strerror(errno));
        return 0;
    }
    char line[4096], path[8192];
    const char *slash = strrchr(list, '/');
    int dir_len = slash ? (int)(slash - list) : 0, ok = 1;
    while (ok && fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && isspace((unsigned char)line[n - 1])) line[--n] = '\0';
        const char *p = line;
        while (isspace((unsigned char)*p)) p++;
        if (!*p || *p == '#') continue;
        if (*p == '/' || !dir_len) snprintf(path, sizeof path, "%s", p);
        else snprintf(path, sizeof path, "%.*s/%s", dir_len, list, p);
        ok = add_path(s, path);
    }
    fclose(f);
    return ok;
}

int detect_source_open(detect_source *s, const char *source) {
    memset(s, 0, sizeof *s);
    int all_digits = *source != '\0';
    for (const char *p = source; *p; p++) all_digits &= isdigit((unsigned char)*p) != 0;
    struct stat st;
    if (all_digits && stat(source, &st) != 0) {
        s->kind = SOURCE_CAMERA;
        return 1;
    }
    if (stat(source, &st) != 0) {
        cli_error("detect", "%s: cannot open: %s", source, strerror(errno));
        return 0;
    }
    int ok;
    if (S_ISDIR(st.st_mode)) {
        ok = list_folder(s, source);
    } else if (detect_is_image_path(source)) {
        ok = add_path(s, source);
    } else if (is_list_path(source)) {
        ok = read_list(s, source);
    } else {
        s->kind = SOURCE_VIDEO;
        return 1;
    }
    if (!ok) {
        detect_source_free(s);
        cli_error("detect", "%s: out of memory listing images", source);
        return 0;
    }
    if (s->count == 0) {
        cli_error("detect", "%s: no images found (extensions .jpg .jpeg .png .bmp .webp .tif)",
                  source);
        return 0;
    }
    return 1;
}

void detect_source_free(detect_source *s) {
    for (int32_t i = 0; i < s->count; i++) free(s->paths[i]);
    free(s->paths);
    s->paths = NULL;
    s->count = 0;
}
