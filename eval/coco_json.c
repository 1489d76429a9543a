/* coco_json.c - reading COCO ground truth (instances file) and results lists for bbox eval.
 *
 * What pycocotools reads and what we keep: images[].id; annotations[].{id, image_id,
 * category_id, bbox, area, iscrowd}; categories[].{id, name}; results[].{image_id, category_id,
 * bbox, score}. Every other key is validated as JSON and skipped (segmentation polygons of real
 * COCO included), so memory stays at the size of what we keep. Duplicate keys: the last wins, as
 * in Python's json. Where pycocotools would crash (KeyError, the loadRes assertion) we stop
 * with a message instead; see coco.h for the list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coco_internal.h"
#include "error.h"
#include "json_scan.h"

int32_t mo_coco_find_id(const int64_t *ids, int32_t n, int64_t id) {
    int32_t lo = 0, hi = n;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < n && ids[lo] == id) ? lo : -1;
}

mo_status mo_coco_read_file(const char *path, char **buf, size_t *len, mo_error *err) {
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return mo_error_set(err, MO_ERR_IO, "%s: cannot open for reading", path);
    size_t cap = 1 << 16, n = 0;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size > 0) cap = (size_t)size + 1;
        rewind(f);
    }
    char *b = malloc(cap + 1);
    if (!b) {
        fclose(f);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory reading the file", path);
    }
    for (;;) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        char *nb = realloc(b, cap * 2 + 1);
        if (!nb) {
            free(b);
            fclose(f);
            return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory reading the file", path);
        }
        b = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return mo_error_set(err, MO_ERR_IO, "%s: read error", path);
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return MO_OK;
}

/* A growable array. */
static int grow(void **p, int64_t *cap, int64_t need, size_t elem) {
    if (need <= *cap) return 1;
    int64_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *np = realloc(*p, (size_t)c * elem);
    if (!np) return 0;
    *p = np;
    *cap = c;
    return 1;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* bbox: an array of exactly 4 numbers. */
static int read_bbox(mo_json_scan *s, double bbox[4], const char *what, int64_t index) {
    if (mo_js_peek(s) != MO_JS_ARRAY)
        return mo_js_fail(s, MO_ERR_FORMAT,
                          "%s %lld: \"bbox\" must be an array of 4 numbers, "
                          "found %s",
                          what, (long long)index, mo_js_kind_name(mo_js_peek(s)));
    mo_js_begin_array(s);
    int first = 1, n = 0, r;
    while ((r = mo_js_next_item(s, &first)) > 0) {
        if (n >= 4)
            return mo_js_fail(s, MO_ERR_FORMAT, "%s %lld: \"bbox\" has more than 4 numbers", what,
                              (long long)index);
        if (mo_js_peek(s) != MO_JS_NUMBER)
            return mo_js_fail(s, MO_ERR_FORMAT, "%s %lld: \"bbox\" must hold numbers, found %s",
                              what, (long long)index, mo_js_kind_name(mo_js_peek(s)));
        if (!mo_js_number(s, &bbox[n++])) return 0;
    }
    if (r < 0) return 0;
    if (n != 4)
        return mo_js_fail(s, MO_ERR_FORMAT, "%s %lld: \"bbox\" has %d numbers, not 4", what,
                          (long long)index, n);
    return 1;
}

static int read_number_field(mo_json_scan *s, double *out, const char *key, const char *what,
                             int64_t index) {
    if (mo_js_peek(s) != MO_JS_NUMBER)
        return mo_js_fail(s, MO_ERR_FORMAT, "%s %lld: \"%s\" must be a number, found %s", what,
                          (long long)index, key, mo_js_kind_name(mo_js_peek(s)));
    return mo_js_number(s, out);
}

static int read_id_field(mo_json_scan *s, int64_t *out, const char *key, const char *what,
                         int64_t index) {
    if (mo_js_peek(s) != MO_JS_NUMBER)
        return mo_js_fail(s, MO_ERR_FORMAT, "%s %lld: \"%s\" must be an integer, found %s", what,
                          (long long)index, key, mo_js_kind_name(mo_js_peek(s)));
    return mo_js_int64(s, out);
}

/* ---- ground truth ---------------------------------------------------------------------- */

typedef struct raw_ann {
    mo_coco_ann a;
    int64_t image_id, category_id;
} raw_ann;

typedef struct gt_builder {
    int64_t *image_ids;
    int64_t n_images, cap_images;
    int64_t *cat_ids;
    char **cat_names;
    int64_t n_cats, cap_cats, cap_names;
    raw_ann *anns;
    int64_t n_anns, cap_anns;
} gt_builder;

static void builder_free(gt_builder *b) {
    free(b->image_ids);
    free(b->cat_ids);
    for (int64_t i = 0; i < b->n_cats; i++)
        free(b->cat_names[i]);
    free(b->cat_names);
    free(b->anns);
}

static int read_images(mo_json_scan *s, gt_builder *b) {
    b->n_images = 0;
    if (mo_js_peek(s) != MO_JS_ARRAY)
        return mo_js_fail(s, MO_ERR_FORMAT, "\"images\" must be an array, found %s",
                          mo_js_kind_name(mo_js_peek(s)));
    mo_js_begin_array(s);
    int first = 1, r;
    char key[32];
    while ((r = mo_js_next_item(s, &first)) > 0) {
        int64_t index = b->n_images;
        if (mo_js_peek(s) != MO_JS_OBJECT)
            return mo_js_fail(s, MO_ERR_FORMAT, "image %lld must be an object, found %s",
                              (long long)index, mo_js_kind_name(mo_js_peek(s)));
        const char *obj = s->p;
        mo_js_begin_object(s);
        int f2 = 1, has_id = 0, r2;
        int64_t id = 0;
        while ((r2 = mo_js_next_key(s, &f2, key, sizeof key)) > 0) {
            if (!strcmp(key, "id")) {
                if (!read_id_field(s, &id, "id", "image", index)) return 0;
                has_id = 1;
            } else if (!mo_js_skip(s)) {
                return 0;
            }
        }
        if (r2 < 0) return 0;
        if (!has_id)
            return mo_js_fail(s, MO_ERR_FORMAT, "image %lld (line %ld) has no \"id\"",
                              (long long)index, mo_js_line_at(s, obj));
        if (!grow((void **)&b->image_ids, &b->cap_images, b->n_images + 1, sizeof(int64_t)))
            return mo_js_fail(s, MO_ERR_MEMORY, "out of memory");
        b->image_ids[b->n_images++] = id;
    }
    return r == 0;
}

static int read_categories(mo_json_scan *s, gt_builder *b) {
    for (int64_t i = 0; i < b->n_cats; i++)
        free(b->cat_names[i]);
    b->n_cats = 0;
    if (mo_js_peek(s) != MO_JS_ARRAY)
        return mo_js_fail(s, MO_ERR_FORMAT, "\"categories\" must be an array, found %s",
                          mo_js_kind_name(mo_js_peek(s)));
    mo_js_begin_array(s);
    int first = 1, r;
    char key[32];
    while ((r = mo_js_next_item(s, &first)) > 0) {
        int64_t index = b->n_cats;
        if (mo_js_peek(s) != MO_JS_OBJECT)
            return mo_js_fail(s, MO_ERR_FORMAT, "category %lld must be an object, found %s",
                              (long long)index, mo_js_kind_name(mo_js_peek(s)));
        const char *obj = s->p;
        mo_js_begin_object(s);
        int f2 = 1, has_id = 0, r2;
        int64_t id = 0;
        char *name = NULL;
        while ((r2 = mo_js_next_key(s, &f2, key, sizeof key)) > 0) {
            if (!strcmp(key, "id")) {
                if (!read_id_field(s, &id, "id", "category", index)) break;
                has_id = 1;
            } else if (!strcmp(key, "name") && mo_js_peek(s) == MO_JS_STRING) {
                free(name);
                if (!mo_js_string_dup(s, &name)) break;
            } else if (!mo_js_skip(s)) {
                break;
            }
        }
        if (s->failed || r2 < 0 || !has_id) {
            free(name);
            if (s->failed || r2 < 0) return 0;
            return mo_js_fail(s, MO_ERR_FORMAT, "category %lld (line %ld) has no \"id\"",
                              (long long)index, mo_js_line_at(s, obj));
        }
        if (!grow((void **)&b->cat_ids, &b->cap_cats, b->n_cats + 1, sizeof(int64_t)) ||
            !grow((void **)&b->cat_names, &b->cap_names, b->n_cats + 1, sizeof(char *))) {
            free(name);
            return mo_js_fail(s, MO_ERR_MEMORY, "out of memory");
        }
        b->cat_ids[b->n_cats] = id;
        b->cat_names[b->n_cats++] = name;
    }
    return r == 0;
}

enum { HAS_ID = 1, HAS_IMAGE = 2, HAS_CAT = 4, HAS_BBOX = 8, HAS_AREA = 16, HAS_CROWD = 32 };

static int read_annotations(mo_json_scan *s, gt_builder *b) {
    b->n_anns = 0;
    if (mo_js_peek(s) != MO_JS_ARRAY)
        return mo_js_fail(s, MO_ERR_FORMAT, "\"annotations\" must be an array, found %s",
                          mo_js_kind_name(mo_js_peek(s)));
    mo_js_begin_array(s);
    int first = 1, r;
    char key[32];
    while ((r = mo_js_next_item(s, &first)) > 0) {
        int64_t index = b->n_anns;
        if (mo_js_peek(s) != MO_JS_OBJECT)
            return mo_js_fail(s, MO_ERR_FORMAT, "annotation %lld must be an object, found %s",
                              (long long)index, mo_js_kind_name(mo_js_peek(s)));
        const char *obj = s->p;
        mo_js_begin_object(s);
        raw_ann ra;
        memset(&ra, 0, sizeof ra);
        int f2 = 1, has = 0, r2;
        while ((r2 = mo_js_next_key(s, &f2, key, sizeof key)) > 0) {
            if (!strcmp(key, "id")) {
                if (!read_id_field(s, &ra.a.id, key, "annotation", index)) return 0;
                has |= HAS_ID;
            } else if (!strcmp(key, "image_id")) {
                if (!read_id_field(s, &ra.image_id, key, "annotation", index)) return 0;
                has |= HAS_IMAGE;
            } else if (!strcmp(key, "category_id")) {
                if (!read_id_field(s, &ra.category_id, key, "annotation", index)) return 0;
                has |= HAS_CAT;
            } else if (!strcmp(key, "bbox")) {
                if (!read_bbox(s, ra.a.bbox, "annotation", index)) return 0;
                has |= HAS_BBOX;
            } else if (!strcmp(key, "area")) {
                if (!read_number_field(s, &ra.a.area, key, "annotation", index)) return 0;
                has |= HAS_AREA;
            } else if (!strcmp(key, "iscrowd")) {
                mo_js_kind k = mo_js_peek(s);
                if (k == MO_JS_TRUE || k == MO_JS_FALSE) {
                    ra.a.iscrowd = k == MO_JS_TRUE;
                    mo_js_skip(s);
                } else if (!read_number_field(s, &ra.a.iscrowd, key, "annotation", index)) {
                    return 0;
                }
                has |= HAS_CROWD;
            } else if (!mo_js_skip(s)) {
                return 0;
            }
        }
        if (r2 < 0) return 0;
        static const struct {
            int bit;
            const char *name;
        } need[] = {{HAS_ID, "id"},     {HAS_IMAGE, "image_id"}, {HAS_CAT, "category_id"},
                    {HAS_BBOX, "bbox"}, {HAS_AREA, "area"},      {HAS_CROWD, "iscrowd"}};
        for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
            if (!(has & need[i].bit))
                return mo_js_fail(s, MO_ERR_FORMAT,
                                  "annotation %lld (line %ld) has no \"%s\" (pycocotools needs "
                                  "it for bbox evaluation)",
                                  (long long)index, mo_js_line_at(s, obj), need[i].name);
        if (!grow((void **)&b->anns, &b->cap_anns, b->n_anns + 1, sizeof(raw_ann)))
            return mo_js_fail(s, MO_ERR_MEMORY, "out of memory");
        b->anns[b->n_anns++] = ra;
    }
    return r == 0;
}

void mo_coco_gt_free(mo_coco_gt *gt) {
    if (!gt) return;
    free(gt->image_ids);
    free(gt->cat_ids);
    if (gt->cat_names)
        for (int32_t i = 0; i < gt->num_cats; i++)
            free(gt->cat_names[i]);
    free(gt->cat_names);
    free(gt->anns);
    free(gt);
}

/* Sorts ids ascending and drops duplicates; for categories the last name of an id wins. */
typedef struct cat_entry {
    int64_t id;
    int64_t order;
    char *name;
} cat_entry;

static int cmp_cat(const void *a, const void *b) {
    const cat_entry *x = a, *y = b;
    if (x->id != y->id) return (x->id > y->id) - (x->id < y->id);
    return (x->order > y->order) - (x->order < y->order);
}

static mo_status build_gt(mo_coco_gt **out, gt_builder *b, const char *name, mo_error *err) {
    mo_coco_gt *gt = calloc(1, sizeof *gt);
    if (!gt) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", name);
    if (b->n_images > INT32_MAX || b->n_cats > INT32_MAX) {
        free(gt);
        return mo_error_set(err, MO_ERR_FORMAT, "%s: too many images or categories", name);
    }
    /* images: sorted unique ids */
    if (b->n_images > 0) qsort(b->image_ids, (size_t)b->n_images, sizeof(int64_t), cmp_i64);
    int64_t ni = 0;
    for (int64_t i = 0; i < b->n_images; i++)
        if (ni == 0 || b->image_ids[i] != b->image_ids[ni - 1])
            b->image_ids[ni++] = b->image_ids[i];
    gt->num_images = (int32_t)ni;
    gt->image_ids = b->image_ids;
    b->image_ids = NULL;
    b->n_images = 0;
    /* categories */
    cat_entry *ce = malloc(sizeof(cat_entry) * (size_t)(b->n_cats ? b->n_cats : 1));
    gt->cat_ids = malloc(sizeof(int64_t) * (size_t)(b->n_cats ? b->n_cats : 1));
    gt->cat_names = calloc((size_t)(b->n_cats ? b->n_cats : 1), sizeof(char *));
    if (!ce || !gt->cat_ids || !gt->cat_names) {
        free(ce);
        mo_coco_gt_free(gt);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", name);
    }
    for (int64_t i = 0; i < b->n_cats; i++)
        ce[i] = (cat_entry){b->cat_ids[i], i, b->cat_names[i]};
    qsort(ce, (size_t)b->n_cats, sizeof *ce, cmp_cat);
    int32_t nc = 0;
    for (int64_t i = 0; i < b->n_cats; i++) {
        if (nc > 0 && gt->cat_ids[nc - 1] == ce[i].id) { /* later entry of the same id wins */
            free(gt->cat_names[nc - 1]);
            gt->cat_names[nc - 1] = ce[i].name;
        } else {
            gt->cat_ids[nc] = ce[i].id;
            gt->cat_names[nc++] = ce[i].name;
        }
        ce[i].name = NULL;
    }
    free(ce);
    b->n_cats = 0; /* names now owned by gt */
    gt->num_cats = nc;
    for (int32_t i = 0; i < nc; i++) {
        if (!gt->cat_names[i]) gt->cat_names[i] = calloc(1, 1);
        if (!gt->cat_names[i]) {
            mo_coco_gt_free(gt);
            return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", name);
        }
    }
    /* annotations */
    gt->num_anns = b->n_anns;
    gt->anns = malloc(sizeof(mo_coco_ann) * (size_t)(b->n_anns ? b->n_anns : 1));
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)(b->n_anns ? b->n_anns : 1));
    if (!gt->anns || !ids) {
        free(ids);
        mo_coco_gt_free(gt);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", name);
    }
    for (int64_t i = 0; i < b->n_anns; i++) {
        mo_coco_ann a = b->anns[i].a;
        a.image = mo_coco_find_id(gt->image_ids, gt->num_images, b->anns[i].image_id);
        a.cat = mo_coco_find_id(gt->cat_ids, gt->num_cats, b->anns[i].category_id);
        gt->anns[i] = a;
        ids[i] = a.id;
    }
    qsort(ids, (size_t)b->n_anns, sizeof(int64_t), cmp_i64);
    for (int64_t i = 1; i < b->n_anns; i++) {
        if (ids[i] == ids[i - 1]) {
            long long dup = (long long)ids[i];
            free(ids);
            mo_coco_gt_free(gt);
            return mo_error_set(err, MO_ERR_FORMAT,
                                "%s: annotation id %lld appears more than once (ids must be "
                                "unique)",
                                name, dup);
        }
    }
    free(ids);
    *out = gt;
    return MO_OK;
}

mo_status mo_coco_gt_parse(mo_coco_gt **out, const char *buf, size_t len, const char *name,
                           mo_error *err) {
    *out = NULL;
    if (!name) name = "<ground truth>";
    mo_json_scan s;
    mo_js_init(&s, buf, len, name, err);
    gt_builder b;
    memset(&b, 0, sizeof b);
    int seen_images = 0, seen_cats = 0;
    char key[32];
    if (mo_js_peek(&s) != MO_JS_OBJECT) {
        if (!s.failed)
            mo_js_fail(&s, MO_ERR_FORMAT, "a COCO instances file must be a JSON object, found %s",
                       mo_js_kind_name(mo_js_peek(&s)));
    } else {
        mo_js_begin_object(&s);
        int first = 1;
        while (mo_js_next_key(&s, &first, key, sizeof key) > 0) {
            if (!strcmp(key, "images")) {
                if (!read_images(&s, &b)) break;
                seen_images = 1;
            } else if (!strcmp(key, "annotations")) {
                if (!read_annotations(&s, &b)) break;
            } else if (!strcmp(key, "categories")) {
                if (!read_categories(&s, &b)) break;
                seen_cats = 1;
            } else if (!mo_js_skip(&s)) {
                break;
            }
        }
        mo_js_finish(&s);
    }
    if (!s.failed && (!seen_images || !seen_cats)) {
        builder_free(&b);
        return mo_error_set(err, MO_ERR_FORMAT, "%s: no \"%s\" list (not a COCO instances file)",
                            name, seen_images ? "categories" : "images");
    }
    if (s.failed) {
        builder_free(&b);
        return s.status;
    }
    mo_status st = build_gt(out, &b, name, err);
    builder_free(&b);
    return st;
}

mo_status mo_coco_gt_load(mo_coco_gt **out, const char *path, mo_error *err) {
    *out = NULL;
    char *buf;
    size_t len;
    mo_status st = mo_coco_read_file(path, &buf, &len, err);
    if (st != MO_OK) return st;
    st = mo_coco_gt_parse(out, buf, len, path, err);
    free(buf);
    return st;
}

int32_t mo_coco_gt_num_images(const mo_coco_gt *gt) {
    return gt->num_images;
}
int32_t mo_coco_gt_num_categories(const mo_coco_gt *gt) {
    return gt->num_cats;
}
int64_t mo_coco_gt_num_annotations(const mo_coco_gt *gt) {
    return gt->num_anns;
}

int64_t mo_coco_gt_category_id(const mo_coco_gt *gt, int32_t k) {
    return (k >= 0 && k < gt->num_cats) ? gt->cat_ids[k] : -1;
}

const char *mo_coco_gt_category_name(const mo_coco_gt *gt, int32_t k) {
    return (k >= 0 && k < gt->num_cats) ? gt->cat_names[k] : "";
}

/* ---- results ----------------------------------------------------------------------------- */

void mo_coco_dets_free(mo_coco_dets *dets) {
    if (!dets) return;
    free(dets->dets);
    free(dets);
}

int64_t mo_coco_dets_count(const mo_coco_dets *dets) {
    return dets->count;
}

enum { D_IMAGE = 1, D_CAT = 2, D_BBOX = 4, D_SCORE = 8 };

mo_status mo_coco_dets_parse(mo_coco_dets **out, const char *buf, size_t len, const char *name,
                             const mo_coco_gt *gt, mo_error *err) {
    *out = NULL;
    if (!name) name = "<results>";
    mo_coco_dets *d = calloc(1, sizeof *d);
    if (!d) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", name);
    int64_t cap = 0;
    /* a detection takes ~80 bytes of text: reserve once, grow if needed */
    if (!grow((void **)&d->dets, &cap, (int64_t)(len / 64) + 16, sizeof(mo_coco_det))) {
        free(d);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", name);
    }
    mo_json_scan s;
    mo_js_init(&s, buf, len, name, err);
    char key[32];
    if (mo_js_peek(&s) != MO_JS_ARRAY) {
        if (!s.failed)
            mo_js_fail(&s, MO_ERR_FORMAT, "a COCO results file must be a JSON list, found %s",
                       mo_js_kind_name(mo_js_peek(&s)));
    } else {
        mo_js_begin_array(&s);
        int first = 1, r;
        while ((r = mo_js_next_item(&s, &first)) > 0) {
            int64_t index = d->count;
            if (mo_js_peek(&s) != MO_JS_OBJECT) {
                mo_js_fail(&s, MO_ERR_FORMAT, "result %lld must be an object, found %s",
                           (long long)index, mo_js_kind_name(mo_js_peek(&s)));
                break;
            }
            const char *obj = s.p;
            mo_js_begin_object(&s);
            mo_coco_det det;
            int64_t image_id = 0, category_id = 0;
            int f2 = 1, has = 0, r2;
            while ((r2 = mo_js_next_key(&s, &f2, key, sizeof key)) > 0) {
                int ok;
                if (!strcmp(key, "image_id")) {
                    ok = read_id_field(&s, &image_id, key, "result", index);
                    has |= D_IMAGE;
                } else if (!strcmp(key, "category_id")) {
                    ok = read_id_field(&s, &category_id, key, "result", index);
                    has |= D_CAT;
                } else if (!strcmp(key, "bbox")) {
                    ok = read_bbox(&s, det.bbox, "result", index);
                    has |= D_BBOX;
                } else if (!strcmp(key, "score")) {
                    ok = read_number_field(&s, &det.score, key, "result", index);
                    has |= D_SCORE;
                } else {
                    ok = mo_js_skip(&s);
                }
                if (!ok) break;
            }
            if (s.failed) break;
            static const struct {
                int bit;
                const char *name;
            } need[] = {{D_IMAGE, "image_id"},
                        {D_CAT, "category_id"},
                        {D_BBOX, "bbox"},
                        {D_SCORE, "score"}};
            for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
                if (!(has & need[i].bit)) {
                    s.p = obj;
                    mo_js_fail(&s, MO_ERR_FORMAT, "result %lld has no \"%s\"%s", (long long)index,
                               need[i].name,
                               need[i].bit == D_BBOX ? " (only bbox results are evaluated)" : "");
                    break;
                }
            }
            if (s.failed) break;
            det.image = mo_coco_find_id(gt->image_ids, gt->num_images, image_id);
            if (det.image < 0) {
                s.p = obj;
                mo_js_fail(&s, MO_ERR_FORMAT,
                           "result %lld is on image_id %lld, which is not in the ground truth "
                           "(results do not correspond to this COCO set)",
                           (long long)index, (long long)image_id);
                break;
            }
            det.cat = mo_coco_find_id(gt->cat_ids, gt->num_cats, category_id);
            if (!grow((void **)&d->dets, &cap, d->count + 1, sizeof(mo_coco_det))) {
                mo_js_fail(&s, MO_ERR_MEMORY, "out of memory");
                break;
            }
            d->dets[d->count++] = det;
        }
        mo_js_finish(&s);
    }
    if (s.failed) {
        mo_coco_dets_free(d);
        return s.status;
    }
    *out = d;
    return MO_OK;
}

mo_status mo_coco_dets_load(mo_coco_dets **out, const char *path, const mo_coco_gt *gt,
                            mo_error *err) {
    *out = NULL;
    char *buf;
    size_t len;
    mo_status st = mo_coco_read_file(path, &buf, &len, err);
    if (st != MO_OK) return st;
    st = mo_coco_dets_parse(out, buf, len, path, gt, err);
    free(buf);
    return st;
}
