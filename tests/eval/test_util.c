/* test_util.c - see test_util.h. */
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int et_shared_subdir(const char *sub, char *out, size_t cap, const char **why) {
    static char reason[4400];
    const char *root = getenv("MO_SHARED_DIR");
    if (!root || !*root) {
        *why = "MO_SHARED_DIR is not set (the shared test data is not available)";
        return 0;
    }
    snprintf(out, cap, "%s/%s", root, sub);
    struct stat st;
    if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(reason, sizeof reason, "%s is not a directory", out);
        *why = reason;
        return 0;
    }
    return 1;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(a, b);
}

int et_list_subdirs(const char *dir, char names[][256], int max) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= 256) continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) strcpy(names[n++], e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, 256, cmp_name);
    return n;
}

cJSON *et_read_json(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    return j;
}

int et_write_temp(const char *data, size_t len, char *out, size_t cap) {
    const char *tmp = getenv("TMPDIR");
    snprintf(out, cap, "%s/mo_eval_test_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(out);
    if (fd < 0) return 0;
    FILE *f = fdopen(fd, "wb");
    if (!f) return 0;
    size_t w = fwrite(data, 1, len, f);
    fclose(f);
    return w == len;
}
