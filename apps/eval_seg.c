/* eval_seg.c - `mobileone eval voc|ade20k|miou`: mIoU over folders of label PNGs, as mmseg.
 *
 * For every <name>.png of --gt-dir (sorted by name), or every name of --list, the prediction
 * --pred-dir/<name>.png must exist with the same size. PNGs are read as indices (palette or
 * grey). voc: 21 classes, ignore 255; ade20k: 150 classes, reduce_zero_label; miou: any
 * --num-classes. Output: mmseg's per-class table and the summary, or with --json one line
 * {"aAcc","mIoU","mAcc","IoU":[...],"Acc":[...]} as fractions (null for NaN). */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval_cmds.h"
#include "label_png.h"
#include "miou.h"
#include "seg_classes.h"

static void seg_usage(FILE *out, const char *dataset) {
    int generic = !strcmp(dataset, "miou");
    fprintf(out,
            "usage: mobileone eval %s %s--gt-dir DIR --pred-dir DIR [--list FILE] [--json] "
            "[--float32] [--timing]\n\n",
            dataset,
            generic ? "--num-classes N [--ignore-index 255] [--reduce-zero-label] [--names FILE]"
                      "\n         "
                    : "");
    if (!strcmp(dataset, "voc"))
        fprintf(out, "Pascal VOC 2012 mIoU as mmseg's IoUMetric: 21 classes, ignore 255; GT are\n"
                     "SegmentationClass palette PNGs (read as indices).\n\n");
    else if (!strcmp(dataset, "ade20k"))
        fprintf(out, "ADE20K mIoU as mmseg's IoUMetric: 150 classes, reduce_zero_label (GT 0 is\n"
                     "ignored, 1..150 become 0..149); predictions are in 0..149.\n\n");
    else
        fprintf(out, "mIoU as mmseg's IoUMetric for any data set.\n\n"
                     "  --num-classes N      classes 0..N-1 (required)\n"
                     "  --ignore-index I     GT value left out of every count (default 255)\n"
                     "  --reduce-zero-label  GT 0 -> ignored, v -> v-1 (ADE20K style)\n"
                     "  --names FILE         class names, one per line (default: indices)\n");
    fprintf(out,
            "  --gt-dir DIR         ground-truth label PNGs (palette or grey, values = classes)\n"
            "  --pred-dir DIR       predictions <name>.png, same sizes, values = classes\n"
            "  --list FILE          names to evaluate, one per line (default: every *.png of\n"
            "                       --gt-dir, sorted)\n"
            "  --json               one line {\"aAcc\",\"mIoU\",\"mAcc\",\"IoU\":[],\"Acc\":[]} "
            "(fractions,\n"
            "                       null for classes absent from GT)\n"
            "  --float32            mmseg 1.x float32 numerics (default: exact counts, float64)\n"
            "  --timing             images per second on stderr\n"
            "  -h, --help           this help\n\n"
            "Running a model over a data set (--model M --images DIR) is not available yet.\n");
}

typedef struct name_list {
    char **v;
    size_t n, cap;
} name_list;

static void names_free(name_list *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int names_push(name_list *l, const char *s, size_t len) {
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

/* Lines of a file, stripped of surrounding white space, blank lines skipped. */
static int read_lines(const char *cmd, const char *path, name_list *out) {
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error(cmd, "%s: cannot open for reading", path);
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
        if (e > s && !names_push(out, s, (size_t)(e - s))) {
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

static int list_pngs(const char *cmd, const char *dir, name_list *out) {
    DIR *d = opendir(dir);
    if (!d) {
        cli_error(cmd, "%s: cannot open the directory", dir);
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 4 && !strcmp(e->d_name + len - 4, ".png") &&
            !names_push(out, e->d_name, len - 4)) {
            cli_error(cmd, "out of memory");
            closedir(d);
            return 0;
        }
    }
    closedir(d);
    qsort(out->v, out->n, sizeof *out->v, cmp_str);
    return 1;
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

int mo_eval_seg_main(int argc, char **argv, const char *dataset) {
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        seg_usage(stdout, dataset);
        return 0;
    }
    int generic = !strcmp(dataset, "miou");
    mo_miou_params params = mo_miou_default_params(0);
    if (!strcmp(dataset, "voc")) params.num_classes = MO_VOC_NUM_CLASSES;
    if (!strcmp(dataset, "ade20k")) {
        params.num_classes = MO_ADE20K_NUM_CLASSES;
        params.reduce_zero_label = 1;
    }
    const char *gt_dir = NULL, *pred_dir = NULL, *list_path = NULL, *names_path = NULL;
    int json = 0, float32 = 0, timing = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        long n;
        if ((r = cli_flag(argc, argv, &i, "--gt-dir", &v))) {
            if (r < 0) return 2;
            gt_dir = v;
        } else if ((r = cli_flag(argc, argv, &i, "--pred-dir", &v))) {
            if (r < 0) return 2;
            pred_dir = v;
        } else if ((r = cli_flag(argc, argv, &i, "--list", &v))) {
            if (r < 0) return 2;
            list_path = v;
        } else if (generic && (r = cli_flag(argc, argv, &i, "--names", &v))) {
            if (r < 0) return 2;
            names_path = v;
        } else if (generic && (r = cli_flag(argc, argv, &i, "--num-classes", &v))) {
            if (r < 0) return 2;
            if (!cli_parse_int(v, 1, 65536, &n)) {
                cli_error(cmd, "--num-classes: '%s' is not an integer in 1..65536", v);
                return 2;
            }
            params.num_classes = (int32_t)n;
        } else if (generic && (r = cli_flag(argc, argv, &i, "--ignore-index", &v))) {
            if (r < 0) return 2;
            if (!cli_parse_int(v, -1000000, 1000000, &n)) {
                cli_error(cmd, "--ignore-index: '%s' is not an integer", v);
                return 2;
            }
            params.ignore_index = (int32_t)n;
        } else if (generic && !strcmp(argv[i], "--reduce-zero-label")) {
            params.reduce_zero_label = 1;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--float32")) {
            float32 = 1;
        } else if (!strcmp(argv[i], "--timing")) {
            timing = 1;
        } else if (mo_eval_runner_flag(cmd, argv[i])) {
            return 2;
        } else {
            cli_error(cmd, "unknown option '%s' (see --help)", argv[i]);
            return 2;
        }
    }
    if (generic && params.num_classes == 0) {
        cli_error(cmd, "needs --num-classes N (see --help)");
        return 2;
    }
    if (!gt_dir || !pred_dir) {
        cli_error(cmd, "needs --gt-dir DIR and --pred-dir DIR (see --help)");
        return 2;
    }
    name_list classes = {0}, items = {0};
    mo_miou *m = NULL;
    mo_label_map gt = {0}, pred = {0};
    mo_miou_result res = {0};
    mo_error err = {0};
    int rc = 1;
    const char *const *class_names = NULL;
    if (!strcmp(dataset, "voc")) class_names = mo_voc_class_names;
    if (!strcmp(dataset, "ade20k")) class_names = mo_ade20k_class_names;
    if (names_path) {
        if (!read_lines(cmd, names_path, &classes)) goto done;
        if (classes.n != (size_t)params.num_classes) {
            cli_error(cmd, "%s: %zu names for %d classes", names_path, classes.n,
                      params.num_classes);
            goto done;
        }
        class_names = (const char *const *)classes.v;
    }
    if (list_path ? !read_lines(cmd, list_path, &items) : !list_pngs(cmd, gt_dir, &items))
        goto done;
    if (items.n == 0) {
        cli_error(cmd, "%s: no images to evaluate", list_path ? list_path : gt_dir);
        goto done;
    }
    if (mo_miou_create(&m, &params, &err) != MO_OK) {
        cli_error(cmd, "%s", err.message);
        goto done;
    }
    double t0 = mo_eval_now();
    size_t plen = strlen(gt_dir) + strlen(pred_dir) + 4096 + 16;
    char *path = malloc(plen);
    if (!path) goto done;
    for (size_t i = 0; i < items.n; i++) {
        snprintf(path, plen, "%s/%s.png", gt_dir, items.v[i]);
        if (mo_label_png_read(path, &gt, &err) != MO_OK) break;
        snprintf(path, plen, "%s/%s.png", pred_dir, items.v[i]);
        if (mo_label_png_read(path, &pred, &err) != MO_OK) break;
        if (mo_miou_add(m, &gt, &pred, path, &err) != MO_OK) break;
    }
    free(path);
    if (err.status != MO_OK) {
        cli_error(cmd, "%s", err.message);
        goto done;
    }
    double t1 = mo_eval_now();
    if (mo_miou_compute(m, float32, &res, &err) != MO_OK) {
        cli_error(cmd, "%s", err.message);
        goto done;
    }
    if (json)
        print_json(&res);
    else
        mo_miou_print_tables(stdout, &res, class_names);
    fflush(stdout);
    if (timing)
        fprintf(stderr, "timing: %zu image pairs in %.3f s (%.1f pairs/s, PNG decoding included)\n",
                items.n, t1 - t0, (double)items.n / (t1 - t0 > 0 ? t1 - t0 : 1e-9));
    rc = 0;
done:
    mo_miou_result_free(&res);
    mo_label_map_free(&gt);
    mo_label_map_free(&pred);
    mo_miou_free(m);
    names_free(&items);
    names_free(&classes);
    return rc;
}
