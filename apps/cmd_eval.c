/* cmd_eval.c - `mobileone eval coco|voc|ade20k|miou`: dispatch, and the COCO bbox evaluator.
 *
 * `eval coco --gt GT.json --dt DT.json` prints COCOeval.summarize()'s twelve lines (text-identical
 * to pycocotools), then with --per-class a table of per-category AP; --json prints one line
 * {"stats":[12 numbers],"per_category":{"<category id>":AP,...}} instead; --timing writes the
 * time of each phase to stderr. `eval coco --gt GT.json --model M --images DIR` first runs the
 * detector over the images (eval_run_coco.c), optionally saves the results (--save-results),
 * then evaluates that very text and prints the same output as --dt would. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "coco.h"
#include "commands.h"
#include "eval_cmds.h"

double mo_eval_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void mo_eval_json_double(FILE *out, double v) {
    if (!isfinite(v)) {
        fputs("null", out);
        return;
    }
    char buf[40];
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    fputs(buf, out);
    if (!strpbrk(buf, ".e")) fputs(".0", out);
}

static void coco_usage(FILE *out) {
    fprintf(
        out,
        "usage: mobileone eval coco --gt GT.json --dt DT.json [--json] [--per-class] "
        "[--timing]\n"
        "       mobileone eval coco --gt GT.json --model M --images DIR [--save-results FILE]\n"
        "                           [--config C] [--tta MODE] [--zoom N] [--threads N]\n"
        "                           [--json] [--per-class] [--timing]\n\n"
        "COCO bbox mAP exactly as pycocotools' COCOeval (iouType 'bbox'): the twelve\n"
        "summarize() lines, identical to pycocotools' text.\n\n"
        "  --gt FILE      COCO instances file (images, annotations with iscrowd and area,\n"
        "                 categories)\n"
        "  --dt FILE      results: a JSON list of {image_id, category_id, bbox, score}\n"
        "  --model M      instead of --dt: run this detection model over every image of\n"
        "                 --gt (<DIR>/<file_name>) with its config's score_thresh (0.001),\n"
        "                 then evaluate; progress and images/s on stderr\n"
        "  --images DIR   the folder file_name is relative to (with --model)\n"
        "  --save-results FILE  also write the results JSON (the text that was evaluated)\n"
        "  --config C     JSON config overriding the one embedded in the model\n"
        "  --tta MODE     test-time augmentation: none, hflip, flips or d8 (see `mobileone\n"
        "                 detect --help`; default: the model's config, detect.tta)\n"
        "  --zoom N       add an N times enlarged pass for small objects, 1 (off) to 4 (see\n"
        "                 `mobileone detect --help`; default: the model's config, detect.zoom)\n"
        "  --threads N    threads (default: one per core)\n"
        "  --json         one line {\"stats\":[12],\"per_category\":{\"<id>\":AP,...}}\n"
        "  --per-class    after the summary, the AP@[.50:.95] of every category\n"
        "  --timing       time of each phase (parse, evaluate, accumulate) on stderr\n"
        "  -h, --help     this help\n\n"
        "Category ids with --model: the config's category_ids when given; an 81-class model\n"
        "(background + 80) is mapped onto COCO's 91 ids; otherwise the label is the id.\n"
        "An image that cannot be read is named on stderr and counts as an image without\n"
        "detections; the summary is still printed and the exit status is 1.\n");
}

typedef struct coco_opts {
    const char *gt, *dt, *model, *images, *save, *config;
    long threads;
    int json, per_class, timing;
    int tta;   /* -1: not given */
    long zoom; /* 0: not given */
} coco_opts;

static int coco_parse(int argc, char **argv, coco_opts *o) {
    const char *cmd = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        const char **slot = NULL;
        if ((r = cli_flag(argc, argv, &i, "--gt", &v)))
            slot = &o->gt;
        else if ((r = cli_flag(argc, argv, &i, "--dt", &v)))
            slot = &o->dt;
        else if ((r = cli_flag(argc, argv, &i, "--model", &v)))
            slot = &o->model;
        else if ((r = cli_flag(argc, argv, &i, "--images", &v)))
            slot = &o->images;
        else if ((r = cli_flag(argc, argv, &i, "--save-results", &v)))
            slot = &o->save;
        else if ((r = cli_flag(argc, argv, &i, "--config", &v)))
            slot = &o->config;
        else if ((r = cli_flag(argc, argv, &i, "--threads", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_int(v, 1, 1024, &o->threads)) {
                cli_error(cmd, "--threads '%s': expected an integer in 1..1024", v);
                return 0;
            }
            continue;
        } else if ((r = cli_flag(argc, argv, &i, "--tta", &v))) {
            if (r < 0 || !cli_parse_tta(cmd, v, &o->tta)) return 0;
            continue;
        } else if ((r = cli_flag(argc, argv, &i, "--zoom", &v))) {
            if (r < 0 || !cli_parse_zoom(cmd, v, &o->zoom)) return 0;
            continue;
        } else if (!strcmp(argv[i], "--json")) {
            o->json = 1;
        } else if (!strcmp(argv[i], "--per-class")) {
            o->per_class = 1;
        } else if (!strcmp(argv[i], "--timing")) {
            o->timing = 1;
        } else {
            cli_error(cmd, "unknown option '%s' (see --help)", argv[i]);
            return 0;
        }
        if (r < 0) return 0;
        if (slot) *slot = v;
    }
    if (o->model && o->dt) {
        cli_error(cmd, "--dt and --model are alternatives: evaluate saved results or run a model");
        return 0;
    }
    if (!o->model && (o->images || o->save || o->config || o->threads || o->tta >= 0 || o->zoom)) {
        cli_error(cmd, "%s needs --model (see --help)",
                  o->images    ? "--images"
                  : o->save    ? "--save-results"
                  : o->config  ? "--config"
                  : o->threads ? "--threads"
                  : o->zoom    ? "--zoom"
                               : "--tta");
        return 0;
    }
    if (o->model && (!o->gt || !o->images)) {
        cli_error(cmd, "--model needs --gt GT.json and --images DIR (see --help)");
        return 0;
    }
    if (!o->model && (!o->gt || !o->dt)) {
        cli_error(cmd, "needs --gt GT.json and --dt DT.json, or --gt, --model and --images "
                       "(see --help)");
        return 0;
    }
    return 1;
}

/* Writes text to path (through path.tmp, renamed when complete). Returns 0 and prints why. */
static int save_text(const char *cmd, const char *path, const char *text, size_t len) {
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    if (!tmp) return 0;
    snprintf(tmp, n + 5, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(text, 1, len, f) == len;
    if (f) ok &= fclose(f) == 0;
    if (ok) ok = rename(tmp, path) == 0;
    if (!ok) {
        cli_error(cmd, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok;
}

int mo_eval_coco_main(int argc, char **argv) {
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        coco_usage(stdout);
        return 0;
    }
    coco_opts o = {.tta = -1};
    if (!coco_parse(argc, argv, &o)) return 2;
    mo_error err = {0};
    mo_coco_gt *gt = NULL;
    mo_coco_dets *dt = NULL;
    mo_coco_eval *ev = NULL;
    char *results = NULL;
    int rc = 1, run_rc = 0;
    double t0 = mo_eval_now();
    if (mo_coco_gt_load(&gt, o.gt, &err) != MO_OK) goto fail;
    double t1 = mo_eval_now();
    if (o.model) {
        mo_eval_coco_run_opts ro = {.cmd = cmd,
                                    .model = o.model,
                                    .config = o.config,
                                    .gt_path = o.gt,
                                    .images = o.images,
                                    .threads = o.threads,
                                    .tta = o.tta,
                                    .zoom = (int32_t)o.zoom};
        size_t len = 0;
        run_rc = mo_eval_coco_run(&ro, gt, &results, &len);
        if (run_rc < 0) goto done;
        if (o.save && !save_text(cmd, o.save, results, len)) goto done;
        if (mo_coco_dets_parse(&dt, results, len, o.save ? o.save : "the results", gt, &err) !=
            MO_OK)
            goto fail;
    } else if (mo_coco_dets_load(&dt, o.dt, gt, &err) != MO_OK) {
        goto fail;
    }
    double t2 = mo_eval_now();
    mo_coco_params params = mo_coco_default_params();
    if (mo_coco_evaluate(&ev, gt, dt, &params, &err) != MO_OK) goto fail;
    double t3 = mo_eval_now();
    double stats[12];
    mo_coco_stats(ev, stats);
    int32_t K = mo_coco_gt_num_categories(gt);
    if (o.json) {
        fputs("{\"stats\":[", stdout);
        for (int i = 0; i < 12; i++) {
            if (i) fputc(',', stdout);
            mo_eval_json_double(stdout, stats[i]);
        }
        fputs("],\"per_category\":{", stdout);
        for (int32_t k = 0; k < K; k++) {
            printf("%s\"%lld\":", k ? "," : "", (long long)mo_coco_gt_category_id(gt, k));
            mo_eval_json_double(stdout, mo_coco_category_ap(ev, k));
        }
        fputs("}}\n", stdout);
    } else {
        mo_coco_summarize(stdout, stats);
        if (o.per_class) mo_coco_print_per_category(stdout, gt, ev);
    }
    fflush(stdout);
    double t4 = mo_eval_now();
    if (o.timing) {
        double ev_s, acc_s;
        mo_coco_eval_timing(ev, &ev_s, &acc_s);
        fprintf(stderr,
                "timing: parse gt %.3f s (%d images, %lld annotations), %s%.3f s (%lld "
                "detections), evaluate %.3f s, accumulate %.3f s, summarize %.3f s, "
                "total %.3f s\n",
                t1 - t0, mo_coco_gt_num_images(gt), (long long)mo_coco_gt_num_annotations(gt),
                o.model ? "run the model + parse its results " : "parse dt ", t2 - t1,
                (long long)mo_coco_dets_count(dt), ev_s, acc_s,
                (t3 - t2 - ev_s - acc_s) + (t4 - t3), t4 - t0);
    }
    rc = run_rc ? 1 : 0;
    goto done;
fail:
    cli_error(cmd, "%s", err.message);
done:
    free(results);
    mo_coco_eval_free(ev);
    mo_coco_dets_free(dt);
    mo_coco_gt_free(gt);
    return rc;
}

static void eval_usage(FILE *out) {
    fprintf(out, "usage: mobileone eval <coco|voc|ade20k|miou> [options]   (mobileone eval <name> "
                 "--help)\n\n"
                 "  coco     COCO bbox mAP from a results file or a model, exactly as pycocotools\n"
                 "  voc      Pascal VOC 2012 mIoU (21 classes, ignore 255), as mmseg\n"
                 "  ade20k   ADE20K mIoU (150 classes, reduce_zero_label), as mmseg\n"
                 "  miou     mIoU for any number of classes, as mmseg\n");
}

int mo_cmd_eval(int argc, char **argv) {
    if (argc < 2) {
        eval_usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
        eval_usage(stdout);
        return 0;
    }
    static const char *const names[] = {"coco", "voc", "ade20k", "miou"};
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        if (strcmp(sub, names[n])) continue;
        char label[32];
        snprintf(label, sizeof label, "eval %s", sub);
        /* the subcommand sees argv[0] = "eval <name>", so messages say which */
        char **av = malloc(sizeof(char *) * (size_t)argc);
        if (!av) return 1;
        av[0] = label;
        for (int i = 2; i < argc; i++)
            av[i - 1] = argv[i];
        int rc = n == 0 ? mo_eval_coco_main(argc - 1, av) : mo_eval_seg_main(argc - 1, av, sub);
        free(av);
        return rc;
    }
    if (!strncmp(sub, "--", 2)) {
        cli_error(argv[0], "'%s': name the evaluation first: eval coco|voc|ade20k|miou %s ...", sub,
                  sub);
        return 2;
    }
    cli_error(argv[0], "unknown evaluation '%s' (coco, voc, ade20k or miou)", sub);
    return 2;
}
