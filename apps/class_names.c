/* class_names.c - picking and reading class-name lists. */
#include "class_names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int class_names_read(class_names *c, const char *path, const char *cmd) {
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error(cmd, "%s: cannot open: %s", path, strerror(errno));
        return 0;
    }
    char line[1024];
    int32_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (c->count == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(c->names, sizeof *grown * (size_t)cap);
            if (!grown) break;
            c->names = grown;
        }
        if (!(c->names[c->count] = strdup(line))) break;
        c->count++;
    }
    int ok = !ferror(f) && feof(f);
    fclose(f);
    c->owned = 1;
    if (!ok) {
        cli_error(cmd, "%s: cannot read the class names", path);
        class_names_free(c);
    }
    return ok;
}

int class_names_pick(class_names *c, const char *file, int32_t config_count,
                     const char *const *config_names, int32_t num_classes, const char *cmd) {
    memset(c, 0, sizeof *c);
    if (file) return class_names_read(c, file, cmd);
    if (config_count > 0) {
        c->count = config_count;
        c->names = (char **)config_names;
    } else if (num_classes == mo_imagenet_class_count) {
        c->count = mo_imagenet_class_count;
        c->names = (char **)mo_imagenet_classes;
    }
    return 1;
}

const char *class_names_get(const class_names *c, int32_t i) {
    return i >= 0 && i < c->count ? c->names[i] : NULL;
}

void class_names_free(class_names *c) {
    if (c->owned) {
        for (int32_t i = 0; i < c->count; i++) free(c->names[i]);
        free(c->names);
    }
    memset(c, 0, sizeof *c);
}
