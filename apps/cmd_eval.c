/* cmd_eval.c - `mobileone eval coco|voc|ade20k|miou`: dispatch, and the COCO bbox evaluator.
 *
 * `eval coco --gt GT.json --dt DT.json` prints COCOeval.summarize()'s twelve lines (text-identical
 * to pycocotools), then with --per-class a table of per-category AP; --json prints one line
 * {"stats":[12 numbers],"per_category":{"<category id>":AP,...}} instead; --timing writes the
 * time of each phase to stderr. The dataset-runner mode (--model M --images DIR) is reserved:
 * its flags are recognised and refused until it exists. */
#define _POSIX_C_SOURCE 200809L
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

int mo_eval_runner_flag(const char *cmd, const char *arg) {
    static const char *const runner[] = {"--model", "--images", "--config", "--threads", "--out"};
    for (size_t i = 0; i < sizeof runner / sizeof runner[0]; i++) {
        size_t n = strlen(runner[i]);
        if (!strncmp(arg, runner[i], n) && (arg[n] == '\0' || arg[n] == '=')) {
            cli_error(cmd,
                      "%s: running a model over a data set is not available yet; evaluate "
                      "saved results instead (see --help)",
                      runner[i]);
            return 1;
        }
    }
    return 0;
}

static void coco_usage(FILE *out) {
    fprintf(out,
            "usage: mobileone eval coco --gt GT.json --dt DT.json [--json] [--per-class] "
            "[--timing]\n\n"
            "COCO bbox mAP exactly as pycocotools' COCOeval (iouType 'bbox'): the twelve\n"
            "summarize() lines, identical to pycocotools' text.\n\n"
            "  --gt FILE      COCO instances file (images, annotations with iscrowd and area,\n"
            "                 categories)\n"
            "  --dt FILE      results: a JSON list of {image_id, category_id, bbox, score}\n"
            "  --json         one line {\"stats\":[12],\"per_category\":{\"<id>\":AP,...}}\n"
            "  --per-class    after the summary, the AP@[.50:.95] of every category\n"
            "  --timing       time of each phase (parse, evaluate, accumulate) on stderr\n"
            "  -h, --help     this help\n\n"
            "Running a model over a data set (--model M --images DIR) is not available yet.\n");
}

int mo_eval_coco_main(int argc, char **argv) {
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        coco_usage(stdout);
        return 0;
    }
    const char *gt_path = NULL, *dt_path = NULL;
    int json = 0, per_class = 0, timing = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if ((r = cli_flag(argc, argv, &i, "--gt", &v))) {
            if (r < 0) return 2;
            gt_path = v;
        } else if ((r = cli_flag(argc, argv, &i, "--dt", &v))) {
            if (r < 0) return 2;
            dt_path = v;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--per-class")) {
            per_class = 1;
        } else if (!strcmp(argv[i], "--timing")) {
            timing = 1;
        } else if (mo_eval_runner_flag(cmd, argv[i])) {
            return 2;
        } else {
            cli_error(cmd, "unknown option '%s' (see --help)", argv[i]);
            return 2;
        }
    }
    if (!gt_path || !dt_path) {
        cli_error(cmd, "needs --gt GT.json and --dt DT.json (see --help)");
        return 2;
    }
    mo_error err = {0};
    mo_coco_gt *gt = NULL;
    mo_coco_dets *dt = NULL;
    mo_coco_eval *ev = NULL;
    int rc = 1;
    double t0 = mo_eval_now();
    if (mo_coco_gt_load(&gt, gt_path, &err) != MO_OK) goto fail;
    double t1 = mo_eval_now();
    if (mo_coco_dets_load(&dt, dt_path, gt, &err) != MO_OK) goto fail;
    double t2 = mo_eval_now();
    mo_coco_params params = mo_coco_default_params();
    if (mo_coco_evaluate(&ev, gt, dt, &params, &err) != MO_OK) goto fail;
    double t3 = mo_eval_now();
    double stats[12];
    mo_coco_stats(ev, stats);
    int32_t K = mo_coco_gt_num_categories(gt);
    if (json) {
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
        if (per_class) mo_coco_print_per_category(stdout, gt, ev);
    }
    fflush(stdout);
    double t4 = mo_eval_now();
    if (timing) {
        double ev_s, acc_s;
        mo_coco_eval_timing(ev, &ev_s, &acc_s);
        fprintf(stderr,
                "timing: parse gt %.3f s (%d images, %lld annotations), parse dt %.3f s (%lld "
                "detections), evaluate %.3f s, accumulate %.3f s, summarize %.3f s, "
                "total %.3f s\n",
                t1 - t0, mo_coco_gt_num_images(gt), (long long)mo_coco_gt_num_annotations(gt),
                t2 - t1, (long long)mo_coco_dets_count(dt), ev_s, acc_s,
                (t3 - t2 - ev_s - acc_s) + (t4 - t3), t4 - t0);
    }
    rc = 0;
    goto done;
fail:
    cli_error(cmd, "%s", err.message);
done:
    mo_coco_eval_free(ev);
    mo_coco_dets_free(dt);
    mo_coco_gt_free(gt);
    return rc;
}

static void eval_usage(FILE *out) {
    fprintf(out, "usage: mobileone eval <coco|voc|ade20k|miou> [options]   (mobileone eval <name> "
                 "--help)\n\n"
                 "  coco     COCO bbox mAP from a results file, exactly as pycocotools\n"
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
    if (mo_eval_runner_flag(argv[0], sub)) return 2;
    cli_error(argv[0], "unknown evaluation '%s' (coco, voc, ade20k or miou)", sub);
    return 2;
}
