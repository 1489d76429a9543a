/* coco_write.c - building a COCO instances file in memory and writing it (see coco_write.h).
 *
 * JSON is printed by hand: integers as integers, shares with 3 decimals, strings escaped; the
 * output is byte-identical for identical inputs. */
#include "coco_write.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "files.h"

typedef struct text {
    char *s;
    size_t len, cap;
    int failed;
} text;

struct synth_coco {
    text images, annotations;
    int64_t num_images, num_annotations;
};

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...) {
    if (t->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap : 4096;
        while (cap <= t->len + (size_t)n)
            cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->failed = 1;
            return;
        }
        t->s = s, t->cap = cap;
    }
}

/* A JSON string literal. */
static void put_string(text *t, const char *s) {
    put(t, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            put(t, "\\%c", ch);
        else if (ch < 0x20)
            put(t, "\\u%04x", ch);
        else
            put(t, "%c", ch);
    }
    put(t, "\"");
}

mo_status synth_coco_create(synth_coco **out, mo_error *err) {
    *out = calloc(1, sizeof **out);
    return *out ? MO_OK : mo_error_set(err, MO_ERR_MEMORY, "out of memory");
}

void synth_coco_free(synth_coco *c) {
    if (!c) return;
    free(c->images.s);
    free(c->annotations.s);
    free(c);
}

mo_status synth_coco_add(synth_coco *c, int64_t image_id, const char *file_name, int64_t frame,
                         const synth_frame *f, mo_error *err) {
    text *im = &c->images, *an = &c->annotations;
    put(im, "%s\n    {\"id\": %lld, \"file_name\": ", c->num_images ? "," : "",
        (long long)image_id);
    put_string(im, file_name);
    put(im, ", \"width\": %d, \"height\": %d", f->width, f->height);
    if (frame >= 0) put(im, ", \"frame\": %lld", (long long)frame);
    put(im, "}");
    c->num_images++;
    for (int32_t i = 0; i < f->num_objects; i++) {
        const synth_object *o = &f->objects[i];
        put(an,
            "%s\n    {\"id\": %lld, \"image_id\": %lld, \"category_id\": %d, "
            "\"bbox\": [%d, %d, %d, %d], \"area\": %d, \"iscrowd\": 0, \"track_id\": %d, "
            "\"occluded\": %.3f, \"truncated\": %.3f}",
            c->num_annotations ? "," : "", (long long)(c->num_annotations + 1), (long long)image_id,
            synth_category_ids[o->cls], o->bbox[0], o->bbox[1], o->bbox[2], o->bbox[3], o->area,
            o->track, (double)o->hidden, (double)o->truncated);
        c->num_annotations++;
    }
    if (im->failed || an->failed)
        return mo_error_set(err, MO_ERR_MEMORY, "out of memory for the annotations");
    return MO_OK;
}

static void put_info(text *t, const synth_params *p, const synth_info *info) {
    put(t,
        "  \"info\": {\n    \"description\": \"mobileone synth: shapes of %d classes among "
        "distractors on textured, lit, blurred and noisy backgrounds\",\n",
        SYNTH_NUM_CLASSES);
    put(t, "    \"version\": \"1\",\n    \"seed\": %llu,\n    \"split\": ",
        (unsigned long long)info->seed);
    if (info->split)
        put_string(t, info->split);
    else
        put(t, "null");
    put(t, ",\n    \"size\": [%d, %d],\n", p->width, p->height);
    if (info->video) {
        put(t, "    \"video\": ");
        put_string(t, info->video);
        put(t,
            ",\n    \"frames\": %lld,\n    \"fps\": %g,\n"
            "    \"image_id\": \"frame + 1 (frames count from 0)\",\n"
            "    \"tracks_alive\": [%d, %d],\n",
            (long long)info->count, info->fps, p->video_tracks_min, p->video_tracks_max);
    } else {
        put(t, "    \"images\": %lld,\n", (long long)info->count);
    }
    put(t, "    \"classes\": [");
    for (int k = 0; k < SYNTH_NUM_CLASSES; k++)
        put(t, "%s\"%s\"", k ? ", " : "", synth_kind_name(k));
    put(t, "],\n    \"category_ids\": [");
    for (int k = 0; k < SYNTH_NUM_CLASSES; k++)
        put(t, "%s%d", k ? ", " : "", synth_category_ids[k]);
    put(t, "],\n    \"mask_values\": {\"background\": 0");
    for (int k = 0; k < SYNTH_NUM_CLASSES; k++)
        put(t, ", \"%s\": %d", synth_kind_name(k), k + 1);
    put(t, ", \"ignore\": %d},\n", SYNTH_MASK_IGNORE);
    put(t, "    \"distractor_kinds\": [");
    for (int k = SYNTH_NUM_CLASSES; k < SYNTH_NUM_KINDS; k++)
        put(t, "%s\"%s\"", k > SYNTH_NUM_CLASSES ? ", " : "", synth_kind_name(k));
    put(t, "],\n");
    if (!info->video) {
        put(t, "    \"file_names\": \"images/<file_name>; masks/<stem>.png\",\n");
        put(t, "    \"objects_per_image\": [%d, %d],\n", p->min_objects, p->max_objects);
    }
    put(t,
        "    \"size_range\": [%g, %g],\n    \"small_size\": %g,\n"
        "    \"small_share_drawn\": %g,\n",
        (double)p->min_size, (double)p->max_size, (double)p->small_size, (double)p->small_prob);
    if (!info->video) {
        put(t, "    \"occlude_prob\": %g,\n    \"max_hidden\": %g,\n", (double)p->occlude_prob,
            (double)p->max_hidden);
        put(t, "    \"distractor_image_share\": %g,\n    \"distractors_per_image\": [%d, %d],\n",
            (double)p->distractor_prob, p->max_distractors ? 1 : 0, p->max_distractors);
    }
    put(t, "    \"colors\": \"HSV, hue uniform, saturation 0.1-1, value 0.2-1, the same law for "
           "every class\",\n");
    put(t,
        "    \"drop_rule\": \"an object is annotated when at least %d of its pixels are "
        "visible and they are at least %g%% of its whole shape; the visible pixels of dropped "
        "objects are 255 in masks\",\n",
        p->min_visible_px, 100.0 * (double)p->min_visible_frac);
    if (!info->video)
        put(t, "    \"mask_border\": \"255 where the 8-neighbourhood crosses an object boundary "
               "(a 2-pixel band); distractors are background\",\n");
    put(t, "    \"bbox\": \"[x, y, w, h] of the visible pixels\",\n"
           "    \"area\": \"visible pixel count\",\n");
    put(t, "    \"split_seeds\": {\"train\": 1, \"val\": 2, \"test\": 3}\n  },\n");
}

mo_status synth_coco_write(const synth_coco *c, const char *path, const synth_params *params,
                           const synth_info *info, mo_error *err) {
    text t = {0};
    put(&t, "{\n");
    put_info(&t, params, info);
    put(&t, "  \"licenses\": [],\n  \"images\": [");
    if (c->images.len) put(&t, "%s", c->images.s);
    put(&t, "\n  ],\n  \"annotations\": [");
    if (c->annotations.len) put(&t, "%s", c->annotations.s);
    put(&t, "\n  ],\n  \"categories\": [");
    for (int k = 0; k < SYNTH_NUM_CLASSES; k++)
        put(&t,
            "%s\n    {\"id\": %d, \"name\": \"%s\", \"supercategory\": \"shape\", "
            "\"mask_index\": %d}",
            k ? "," : "", synth_category_ids[k], synth_kind_name(k), k + 1);
    put(&t, "\n  ]\n}\n");
    if (t.failed) {
        free(t.s);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory building the JSON", path);
    }
    mo_status st = synth_write_atomic(path, t.s, t.len, err);
    free(t.s);
    return st;
}

int synth_mask_names(char *buf, size_t cap) {
    size_t n = 0;
    for (int k = -1; k < SYNTH_NUM_CLASSES; k++) {
        const char *name = k < 0 ? "background" : synth_kind_name(k);
        int m = snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, "%s\n", name);
        if (m < 0) return -1;
        n += (size_t)m;
    }
    return (int)n;
}
