/* detect_outputs.c - COCO results JSON, JSON Lines and COCO image ids for `mobileone detect`. */
#include "detect_outputs.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void json_write_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

int coco_json_open(coco_json_out *o, const char *path) {
    memset(o, 0, sizeof *o);
    size_t n = strlen(path);
    o->path = strdup(path);
    o->tmp = malloc(n + 5);
    if (!o->path || !o->tmp) {
        free(o->path), free(o->tmp);
        cli_error("detect", "out of memory");
        return 0;
    }
    snprintf(o->tmp, n + 5, "%s.tmp", path);
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        cli_error("detect", "%s: cannot write: %s", o->tmp, strerror(errno));
        free(o->path), free(o->tmp);
        return 0;
    }
    fputc('[', o->f);
    return 1;
}

int coco_json_add(coco_json_out *o, int64_t image_id, const mo_detection *dets, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        const mo_detection *d = &dets[i];
        fprintf(o->f, "%s\n{\"image_id\":%lld,\"category_id\":%d,\"bbox\":[%.3f,%.3f,%.3f,%.3f],"
                "\"score\":%.6g}", o->written++ ? "," : "", (long long)image_id, d->category_id,
                d->x, d->y, d->w, d->h, d->score);
    }
    return !ferror(o->f);
}

int coco_json_finish(coco_json_out *o) {
    fputs("\n]\n", o->f);
    int ok = !ferror(o->f);
    ok &= fclose(o->f) == 0;
    if (ok && rename(o->tmp, o->path) != 0) ok = 0;
    if (!ok) {
        cli_error("detect", "%s: write failed: %s", o->path, strerror(errno));
        remove(o->tmp);
    }
    free(o->path), free(o->tmp);
    memset(o, 0, sizeof *o);
    return ok;
}

void coco_json_abort(coco_json_out *o) {
    if (!o->f) return;
    fclose(o->f);
    remove(o->tmp);
    free(o->path), free(o->tmp);
    memset(o, 0, sizeof *o);
}

int jsonl_write_frame(FILE *f, int64_t frame, double t_ms, const char *image,
                      const mo_detection *dets, int32_t n, const char *const *names,
                      int32_t num_names) {
    fprintf(f, "{\"frame\":%lld,\"t_ms\":%.3f,", (long long)frame, t_ms);
    if (image) {
        fputs("\"image\":", f);
        json_write_string(f, image);
        fputc(',', f);
    }
    fputs("\"detections\":[", f);
    for (int32_t i = 0; i < n; i++) {
        const mo_detection *d = &dets[i];
        const char *name = d->label < num_names && names ? names[d->label] : NULL;
        fprintf(f, "%s{\"bbox\":[%.3f,%.3f,%.3f,%.3f],\"category_id\":%d,\"name\":", i ? "," : "",
                d->x, d->y, d->w, d->h, d->category_id);
        if (name) json_write_string(f, name);
        else fputs("null", f);
        fprintf(f, ",\"score\":%.6g}", d->score);
    }
    fputs("]}\n", f);
    return fflush(f) == 0 && !ferror(f);
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int coco_image_ids_load(coco_image_ids *m, const char *path) {
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("detect", "%s: cannot open: %s", path, strerror(errno));
        return 0;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = size >= 0 ? malloc((size_t)size + 1) : NULL;
    size_t got = text ? fread(text, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!text || got != (size_t)size) {
        free(text);
        cli_error("detect", "%s: cannot read", path);
        return 0;
    }
    text[size] = '\0';
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images");
    if (!cJSON_IsArray(images)) {
        cJSON_Delete(root);
        cli_error("detect", "%s: not a COCO annotation file (no \"images\" array)", path);
        return 0;
    }
    int n = cJSON_GetArraySize(images);
    m->names = calloc((size_t)n + 1, sizeof *m->names);
    m->ids = calloc((size_t)n + 1, sizeof *m->ids);
    int ok = m->names && m->ids;
    const cJSON *img;
    cJSON_ArrayForEach(img, images) {
        if (!ok) break;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(img, "id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(img, "file_name");
        if (!cJSON_IsNumber(id) || !cJSON_IsString(name)) {
            cli_error("detect", "%s: images[%d] lacks a numeric \"id\" or a \"file_name\"", path,
                      m->count);
            ok = 0;
            break;
        }
        m->ids[m->count] = (int64_t)id->valuedouble;
        ok = (m->names[m->count] = strdup(base_name(name->valuestring))) != NULL;
        m->count += ok;
    }
    cJSON_Delete(root);
    if (!ok) coco_image_ids_free(m);
    return ok;
}

int64_t coco_image_ids_find(const coco_image_ids *m, const char *path) {
    const char *b = base_name(path);
    for (int32_t i = 0; i < m->count; i++)
        if (!strcmp(m->names[i], b)) return m->ids[i];
    return -1;
}

void coco_image_ids_free(coco_image_ids *m) {
    for (int32_t i = 0; i < m->count; i++) free(m->names[i]);
    free(m->names);
    free(m->ids);
    memset(m, 0, sizeof *m);
}
