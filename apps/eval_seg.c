/* eval_seg.c - `mobileone eval voc|ade20k|miou`: mIoU over folders of label PNGs, as mmseg.
 *
 * Saved predictions: for every <name>.png of --gt-dir (sorted by name), or every name of --list,
 * the prediction --pred-dir/<name>.png must exist with the same size. With --model M the
 * predictions are made instead, one image at a time, by eval_run_miou.c: voc and ade20k take
 * the data set's folder (--root) and the split's layout; miou takes --images and --gt-dir.
 * PNGs are read as indices (palette or grey). voc: 21 classes, ignore 255; ade20k: 150
 * classes, reduce_zero_label; miou: any --num-classes (with --model: the model's). Output:
 * mmseg's per-class table and the summary, or with --json one line
 * {"aAcc","mIoU","mAcc","IoU":[...],"Acc":[...]} as fractions (null for NaN). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "eval_cmds.h"
#include "label_png.h"
#include "miou.h"
#include "seg_classes.h"

static void seg_usage(FILE *out, const char *dataset) {
    int generic = !strcmp(dataset, "miou"), voc = !strcmp(dataset, "voc");
    if (generic)
        fprintf(out,
                "usage: mobileone eval miou --num-classes N [--ignore-index 255] "
                "[--reduce-zero-label]\n"
                "                           [--names FILE] --gt-dir DIR --pred-dir DIR "
                "[--list FILE] [options]\n"
                "       mobileone eval miou --model M --images DIR --gt-dir DIR [--num-classes N] "
                "[options]\n\n"
                "mIoU as mmseg's IoUMetric for any data set.\n\n"
                "  --num-classes N      classes 0..N-1 (required without --model; with it, must\n"
                "                       equal the model's)\n"
                "  --ignore-index I     GT value left out of every count (default 255)\n"
                "  --reduce-zero-label  GT 0 -> ignored, v -> v-1 (ADE20K style)\n"
                "  --names FILE         class names, one per line (default: the model's, else "
                "indices)\n"
                "  --images DIR         with --model: the images, <name>.<jpg|png|...>, each with\n"
                "                       its GT --gt-dir/<name>.png\n");
    else
        fprintf(out,
                "usage: mobileone eval %s --gt-dir DIR --pred-dir DIR [--list FILE] [options]\n"
                "       mobileone eval %s --root DIR --pred-dir DIR [--split S] [options]\n"
                "       mobileone eval %s --model M --root DIR [--split S] [options]\n\n"
                "%s\n"
                "  --root DIR           the data set's folder (%s): %s\n"
                "  --split S            %s\n",
                dataset, dataset, dataset,
                voc ? "Pascal VOC 2012 mIoU as mmseg's IoUMetric: 21 classes, ignore 255; GT are\n"
                      "SegmentationClass palette PNGs (read as indices).\n"
                    : "ADE20K mIoU as mmseg's IoUMetric: 150 classes, reduce_zero_label (GT 0 is\n"
                      "ignored, 1..150 become 0..149); predictions are in 0..149.\n",
                voc ? "VOCdevkit/VOC2012" : "ADEChallengeData2016",
                voc ? "ImageSets/Segmentation/<split>.txt,\n"
                      "                       JPEGImages/<id>.jpg, SegmentationClass/<id>.png"
                    : "images/<split>/*.jpg,\n"
                      "                       annotations/<split>/<name>.png",
                voc ? "the split's list (default val)"
                    : "the split's folders (default validation)");
    fprintf(out,
            "  --gt-dir DIR         ground-truth label PNGs (palette or grey, values = classes)\n"
            "  --pred-dir DIR       predictions <name>.png, same sizes, values = classes\n"
            "  --list FILE          names to evaluate, one per line (default: every *.png of\n"
            "                       --gt-dir, or with --model every image, sorted)\n"
            "  --json               one line {\"aAcc\",\"mIoU\",\"mAcc\",\"IoU\":[],\"Acc\":[]} "
            "(fractions,\n"
            "                       null for classes absent from GT)\n"
            "  --float32            mmseg 1.x float32 numerics (default: exact counts, float64)\n"
            "  --timing             images per second on stderr\n"
            "  -h, --help           this help\n\n"
            "Running a model (instead of --pred-dir):\n"
            "  --model M            segmentation model; each image is segmented as `mobileone\n"
            "                       segment` does (label map at the image's own size)\n"
            "  --save-pred DIR      also write the predicted label PNGs, DIR/<name>.png\n"
            "  --size S             network input, WxH or one number (default: the model's)\n"
            "  --flip on|off        also run each mirrored image and average the logits\n"
            "                       (default: the model's config, segment.flip)\n"
            "  --config C           JSON config overriding the one embedded in the model\n"
            "  --threads N          threads (default: one per core)\n"
            "An image or GT that cannot be read is named on stderr and left out; the tables are\n"
            "still printed and the exit status is 1. Progress and images/s go to stderr.\n");
}

static void print_json(const mo_miou_result *r) {
    fputs("{\"aAcc\":", stdout);
    mo_eval_json_double(stdout, r->aAcc);
    fputs(",\"mIoU\":", stdout);
    mo_eval_json_double(stdout, r->mIoU);
    fputs(",\"mAcc\":", stdout);
    mo_eval_json_double(stdout, r->mAcc);
    fputs(",\"IoU\":[", stdout);
    for (int c = 0; c < r->num_classes; c++) {
        if (c) fputc(',', stdout);
        mo_eval_json_double(stdout, r->iou[c]);
    }
    fputs("],\"Acc\":[", stdout);
    for (int c = 0; c < r->num_classes; c++) {
        if (c) fputc(',', stdout);
        mo_eval_json_double(stdout, r->acc[c]);
    }
    fputs("]}\n", stdout);
}

typedef struct seg_opts {
    const char *gt_dir, *pred_dir, *list, *names, *model, *config, *images, *root, *split,
        *save_pred;
    int json, float32, timing;
    int flip; /* -1: the model's config */
    long threads;
    int32_t width, height;
} seg_opts;

/* Returns 1, or 0 after printing a usage error. */
static int seg_parse(int argc, char **argv, int generic, seg_opts *o, mo_miou_params *params) {
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        long n;
        const char **slot = NULL;
        if ((r = cli_flag(argc, argv, &i, "--gt-dir", &v)))
            slot = &o->gt_dir;
        else if ((r = cli_flag(argc, argv, &i, "--pred-dir", &v)))
            slot = &o->pred_dir;
        else if ((r = cli_flag(argc, argv, &i, "--list", &v)))
            slot = &o->list;
        else if ((r = cli_flag(argc, argv, &i, "--model", &v)))
            slot = &o->model;
        else if ((r = cli_flag(argc, argv, &i, "--config", &v)))
            slot = &o->config;
        else if ((r = cli_flag(argc, argv, &i, "--images", &v)))
            slot = &o->images;
        else if ((r = cli_flag(argc, argv, &i, "--root", &v)))
            slot = &o->root;
        else if ((r = cli_flag(argc, argv, &i, "--split", &v)))
            slot = &o->split;
        else if ((r = cli_flag(argc, argv, &i, "--save-pred", &v)))
            slot = &o->save_pred;
        else if (generic && (r = cli_flag(argc, argv, &i, "--names", &v)))
            slot = &o->names;
        else if ((r = cli_flag(argc, argv, &i, "--threads", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_int(v, 1, 1024, &o->threads)) {
                cli_error(cmd, "--threads '%s': expected an integer in 1..1024", v);
                return 0;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--size", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_size(v, &o->width, &o->height)) {
                cli_error(cmd, "--size '%s': expected WxH or one number, 1..16384", v);
                return 0;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--flip", &v))) {
            if (r < 0) return 0;
            if ((o->flip = cli_parse_on_off(v)) < 0) {
                cli_error(cmd, "--flip '%s': expected on or off", v);
                return 0;
            }
        } else if (generic && (r = cli_flag(argc, argv, &i, "--num-classes", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_int(v, 1, 65536, &n)) {
                cli_error(cmd, "--num-classes: '%s' is not an integer in 1..65536", v);
                return 0;
            }
            params->num_classes = (int32_t)n;
        } else if (generic && (r = cli_flag(argc, argv, &i, "--ignore-index", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_int(v, -1000000, 1000000, &n)) {
                cli_error(cmd, "--ignore-index: '%s' is not an integer", v);
                return 0;
            }
            params->ignore_index = (int32_t)n;
        } else if (generic && !strcmp(argv[i], "--reduce-zero-label")) {
            params->reduce_zero_label = 1;
        } else if (!strcmp(argv[i], "--json")) {
            o->json = 1;
        } else if (!strcmp(argv[i], "--float32")) {
            o->float32 = 1;
        } else if (!strcmp(argv[i], "--timing")) {
            o->timing = 1;
        } else {
            cli_error(cmd, "unknown option '%s' (see --help)", argv[i]);
            return 0;
        }
        if (r < 0) return 0;
        if (slot) *slot = v;
    }
    if (generic && (o->root || o->split)) {
        cli_error(cmd, "%s is for eval voc and ade20k; miou takes --images and --gt-dir",
                  o->root ? "--root" : "--split");
        return 0;
    }
    if (o->split && !o->root) {
        cli_error(cmd, "--split needs --root (see --help)");
        return 0;
    }
    if (o->model && o->pred_dir) {
        cli_error(cmd, "--pred-dir and --model are alternatives: evaluate saved predictions or "
                       "run a model");
        return 0;
    }
    const char *model_only = o->images      ? "--images"
                             : o->save_pred ? "--save-pred"
                             : o->config    ? "--config"
                             : o->threads   ? "--threads"
                             : o->width     ? "--size"
                             : o->flip >= 0 ? "--flip"
                                            : NULL;
    if (!o->model && model_only) {
        cli_error(cmd, "%s needs --model (see --help)", model_only);
        return 0;
    }
    if (generic && !o->model && params->num_classes == 0) {
        cli_error(cmd, "needs --num-classes N (see --help)");
        return 0;
    }
    if (!o->model && (!(o->gt_dir || o->root) || !o->pred_dir)) {
        cli_error(cmd, "needs --gt-dir DIR%s and --pred-dir DIR, or --model (see --help)",
                  generic ? "" : " (or --root DIR)");
        return 0;
    }
    if (o->model && !o->root && (!o->images || !o->gt_dir)) {
        cli_error(cmd, "--model needs %s--images DIR and --gt-dir DIR (see --help)",
                  generic ? "" : "--root DIR, or ");
        return 0;
    }
    return 1;
}

/* A folder under --root: root/sub/split (split may be NULL). NULL and one line when absent. */
static char *root_dir(const char *cmd, const char *dataset, const char *root, const char *sub,
                      const char *split) {
    size_t len = strlen(root) + strlen(sub) + (split ? strlen(split) : 0) + 3;
    char *p = malloc(len);
    if (!p) return NULL;
    snprintf(p, len, "%s/%s%s%s", root, sub, split ? "/" : "", split ? split : "");
    if (!mo_eval_is_dir(p)) {
        cli_error(cmd, "%s: no such folder; --root must be %s (see --help)", p,
                  !strcmp(dataset, "voc") ? "VOCdevkit/VOC2012, holding ImageSets, JPEGImages "
                                            "and SegmentationClass"
                                          : "ADEChallengeData2016, holding images and "
                                            "annotations");
        free(p);
        return NULL;
    }
    return p;
}

/* dir/name+ext, malloc'd (NULL when out of memory). */
static char *join(const char *dir, const char *name, const char *ext) {
    size_t len = strlen(dir) + strlen(name) + strlen(ext) + 2;
    char *p = malloc(len);
    if (p) snprintf(p, len, "%s/%s%s", dir, name, ext);
    return p;
}

static int push_owned(mo_eval_names *l, char *s) {
    if (!s) return 0;
    int ok = mo_eval_names_push(l, s, strlen(s));
    free(s);
    return ok;
}

/* The image of a listed name: dir/name.jpg for voc and ade20k; for miou the first extension
 * that exists (else .jpg, which the decoder then names as missing). */
static char *image_for(const char *dir, const char *name, int generic) {
    if (!generic) return join(dir, name, ".jpg");
    for (const char *const *e = mo_eval_image_exts; *e; e++) {
        char *p = join(dir, name, *e);
        if (!p || access(p, F_OK) == 0) return p;
        free(p);
    }
    return join(dir, name, ".jpg");
}

/* With --model: names, image paths and GT paths of every item. Returns 0 after printing. */
static int model_items(const char *cmd, int generic, const char *images_dir, const char *gt_dir,
                       const char *list, mo_eval_names *names, mo_eval_names *images,
                       mo_eval_names *gts) {
    if (list) {
        if (!mo_eval_read_lines(cmd, list, names)) return 0;
        for (size_t i = 0; i < names->n; i++)
            if (!push_owned(images, image_for(images_dir, names->v[i], generic))) goto oom;
    } else {
        static const char *const jpg[] = {".jpg", NULL};
        mo_eval_names files = {0};
        if (!mo_eval_list_dir(cmd, images_dir, generic ? mo_eval_image_exts : jpg, 1, &files))
            return 0;
        int ok = 1;
        for (size_t i = 0; ok && i < files.n; i++) {
            const char *dot = strrchr(files.v[i], '.');
            ok = mo_eval_names_push(names, files.v[i], (size_t)(dot - files.v[i])) &&
                 push_owned(images, join(images_dir, files.v[i], ""));
        }
        mo_eval_names_free(&files);
        if (!ok) goto oom;
    }
    for (size_t i = 0; i < names->n; i++)
        if (!push_owned(gts, join(gt_dir, names->v[i], ".png"))) goto oom;
    return 1;
oom:
    cli_error(cmd, "out of memory");
    return 0;
}

int mo_eval_seg_main(int argc, char **argv, const char *dataset) {
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        seg_usage(stdout, dataset);
        return 0;
    }
    const int generic = !strcmp(dataset, "miou"), voc = !strcmp(dataset, "voc");
    mo_miou_params params = mo_miou_default_params(0);
    if (voc) params.num_classes = MO_VOC_NUM_CLASSES;
    if (!strcmp(dataset, "ade20k")) {
        params.num_classes = MO_ADE20K_NUM_CLASSES;
        params.reduce_zero_label = 1;
    }
    seg_opts o = {.flip = -1};
    if (!seg_parse(argc, argv, generic, &o, &params)) return 2;

    mo_eval_names classes = {0}, items = {0}, images = {0}, gts = {0};
    mo_eval_seg_runner *runner = NULL;
    mo_miou *m = NULL;
    mo_label_map gt = {0}, pred = {0};
    mo_miou_result res = {0};
    mo_error err = {0};
    char *gt_dir = NULL, *images_dir = NULL, *list = NULL;
    int rc = 1;
    int64_t failed = 0;

    /* where things are: explicit folders win over --root's layout */
    if (o.root) {
        const char *split = o.split ? o.split : voc ? "val" : "validation";
        if (!o.gt_dir && !(gt_dir = voc ? root_dir(cmd, dataset, o.root, "SegmentationClass", NULL)
                                        : root_dir(cmd, dataset, o.root, "annotations", split)))
            goto done;
        if (o.model && !o.images &&
            !(images_dir = voc ? root_dir(cmd, dataset, o.root, "JPEGImages", NULL)
                               : root_dir(cmd, dataset, o.root, "images", split)))
            goto done;
        if (voc && !o.list) {
            if (!(list = root_dir(cmd, dataset, o.root, "ImageSets/Segmentation", NULL))) goto done;
            char *file = join(list, split, ".txt");
            free(list);
            if (!(list = file)) goto done;
        }
    }
    const char *gt_path = o.gt_dir ? o.gt_dir : gt_dir;
    const char *images_path = o.images ? o.images : images_dir;
    const char *list_path = o.list ? o.list : list;

    const char *const *class_names = NULL;
    if (voc)
        class_names = mo_voc_class_names;
    else if (!generic)
        class_names = mo_ade20k_class_names;
    if (o.model) {
        mo_eval_seg_run_opts ro = {.cmd = cmd,
                                   .model = o.model,
                                   .config = o.config,
                                   .save_pred = o.save_pred,
                                   .threads = o.threads,
                                   .width = o.width,
                                   .height = o.height,
                                   .flip = o.flip};
        int32_t model_classes = 0;
        if (!mo_eval_seg_runner_open(&runner, &ro, &model_classes)) goto done;
        if (generic && params.num_classes == 0) params.num_classes = model_classes;
        if (model_classes != params.num_classes) {
            if (generic)
                cli_error(cmd, "%s has %d classes but --num-classes is %d; they must agree",
                          o.model, model_classes, params.num_classes);
            else
                cli_error(cmd,
                          "%s has %d classes but %s has %d%s; use a model trained on it, "
                          "or eval miou for other class sets",
                          o.model, model_classes, voc ? "VOC" : "ADE20K", params.num_classes,
                          voc ? " (background + 20)" : "");
            goto done;
        }
        if (generic) class_names = mo_eval_seg_runner_class_names(runner);
        if (!model_items(cmd, generic, images_path, gt_path, list_path, &items, &images, &gts))
            goto done;
    } else if (list_path ? !mo_eval_read_lines(cmd, list_path, &items)
                         : !mo_eval_list_dir(cmd, gt_path, (const char *const[]){".png", NULL}, 0,
                                             &items)) {
        goto done;
    }
    if (o.names) {
        if (!mo_eval_read_lines(cmd, o.names, &classes)) goto done;
        if (classes.n != (size_t)params.num_classes) {
            cli_error(cmd, "%s: %zu names for %d classes", o.names, classes.n, params.num_classes);
            goto done;
        }
        class_names = (const char *const *)classes.v;
    }
    if (items.n == 0) {
        cli_error(cmd, "%s: no images to evaluate",
                  list_path ? list_path
                  : o.model ? images_path
                            : gt_path);
        goto done;
    }
    if (mo_miou_create(&m, &params, &err) != MO_OK) {
        cli_error(cmd, "%s", err.message);
        goto done;
    }
    double t0 = mo_eval_now();
    if (o.model) {
        failed = mo_eval_seg_runner_run(runner, &images, &gts, &items, m);
        if (failed < 0) goto done;
        if (mo_miou_num_images(m) == 0) {
            cli_error(cmd, "no image could be evaluated");
            goto done;
        }
    } else {
        size_t plen = strlen(gt_path) + strlen(o.pred_dir) + 4096 + 16;
        char *path = malloc(plen);
        if (!path) goto done;
        for (size_t i = 0; i < items.n; i++) {
            snprintf(path, plen, "%s/%s.png", gt_path, items.v[i]);
            if (mo_label_png_read(path, &gt, &err) != MO_OK) break;
            snprintf(path, plen, "%s/%s.png", o.pred_dir, items.v[i]);
            if (mo_label_png_read(path, &pred, &err) != MO_OK) break;
            if (mo_miou_add(m, &gt, &pred, path, &err) != MO_OK) break;
        }
        free(path);
        if (err.status != MO_OK) {
            cli_error(cmd, "%s", err.message);
            goto done;
        }
    }
    double t1 = mo_eval_now();
    if (mo_miou_compute(m, o.float32, &res, &err) != MO_OK) {
        cli_error(cmd, "%s", err.message);
        goto done;
    }
    if (o.json)
        print_json(&res);
    else
        mo_miou_print_tables(stdout, &res, class_names);
    fflush(stdout);
    if (o.timing)
        fprintf(stderr, "timing: %zu image pairs in %.3f s (%.1f pairs/s, %s)\n", items.n, t1 - t0,
                (double)items.n / (t1 - t0 > 0 ? t1 - t0 : 1e-9),
                o.model ? "decoding and the network included" : "PNG decoding included");
    rc = failed ? 1 : 0;
done:
    mo_miou_result_free(&res);
    mo_label_map_free(&gt);
    mo_label_map_free(&pred);
    mo_miou_free(m);
    mo_eval_seg_runner_close(runner);
    mo_eval_names_free(&items);
    mo_eval_names_free(&images);
    mo_eval_names_free(&gts);
    mo_eval_names_free(&classes);
    free(gt_dir);
    free(images_dir);
    free(list);
    return rc;
}
