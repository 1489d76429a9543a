/* eval_run_miou.c - `mobileone eval voc|ade20k|miou --model`: a segmentation model over a data
 * set's images, each label map compared with its ground-truth PNG as it is made.
 *
 * Per image exactly as `mobileone segment` (so that `segment` + `eval --pred-dir` and
 * `eval --model` agree to the pixel): decode (RGB) -> x / 255, normalize at the original size ->
 * bilinear resize to the network size (F.interpolate, align_corners = false) -> network ->
 * logits upsampled to the ORIGINAL size -> argmax (lowest class on ties). The GT PNG is read
 * first (as indices, label_png.h), so a missing GT costs no network run. Failed items are named
 * and skipped; the caller decides the exit status.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "eval_cmds.h"
#include "image.h"
#include "label_png.h"
#include "mobileone.h"
#include "seg_png.h"
#include "seg_upsample.h"

struct mo_eval_seg_runner {
    mo_eval_seg_run_opts o;
    mo_model *model;
    mo_model_config cfg;
    int32_t h, w, num_classes;
    float *input, *normalized;
    uint8_t *labels;
    size_t normalized_cap, labels_cap;
    double t_decode, t_pre, t_net, t_labels;
};

int mo_eval_seg_runner_open(mo_eval_seg_runner **out, const mo_eval_seg_run_opts *o,
                            int32_t *num_classes) {
    *out = NULL;
    mo_eval_seg_runner *r = calloc(1, sizeof *r);
    if (!r) {
        cli_error(o->cmd, "out of memory");
        return 0;
    }
    r->o = *o;
    mo_error err;
    mo_model_params params = mo_model_default_params();
    params.config_path = o->config;
    params.threads = (int32_t)o->threads;
    mo_model_info info;
    if (mo_model_load(&r->model, o->model, &params, &err) != MO_OK) goto fail_err;
    r->cfg = mo_model_get_config(r->model);
    r->h = o->height ? o->height : r->cfg.input_size[0];
    r->w = o->width ? o->width : r->cfg.input_size[1];
    if (mo_model_get_info(r->model, r->h, r->w, &info, &err) != MO_OK) goto fail_err;
    if (strcmp(info.task, "segment")) {
        cli_error(o->cmd, "%s: the model's task is '%s', not 'segment'", o->model, info.task);
        goto fail;
    }
    if (mo_model_plan(r->model, r->h, r->w, &err) != MO_OK) goto fail_err;
    if (o->flip >= 0 && mo_model_set_segment_flip(r->model, o->flip, &err) != MO_OK) goto fail_err;
    r->num_classes = info.num_classes;
    if (o->save_pred && mkdir(o->save_pred, 0777) != 0 && errno != EEXIST) {
        cli_error(o->cmd, "%s: cannot create the folder: %s", o->save_pred, strerror(errno));
        goto fail;
    }
    r->input = malloc(sizeof(float) * 3 * (size_t)r->h * (size_t)r->w);
    if (!r->input) {
        cli_error(o->cmd, "out of memory");
        goto fail;
    }
    *num_classes = r->num_classes;
    *out = r;
    return 1;
fail_err:
    cli_error(o->cmd, "%s", err.message);
fail:
    mo_eval_seg_runner_close(r);
    return 0;
}

const char *const *mo_eval_seg_runner_class_names(const mo_eval_seg_runner *r) {
    return r->cfg.num_class_names == r->num_classes ? r->cfg.class_names : NULL;
}

void mo_eval_seg_runner_close(mo_eval_seg_runner *r) {
    if (!r) return;
    mo_model_free(r->model);
    free(r->input);
    free(r->normalized);
    free(r->labels);
    free(r);
}

static int grow(void **p, size_t *cap, size_t bytes) {
    if (bytes <= *cap) return 1;
    void *q = realloc(*p, bytes);
    if (!q) return 0;
    *p = q;
    *cap = bytes;
    return 1;
}

/* The label map of img at its own size into r->labels. Returns 0 with err set, or with
 * err->status MO_OK when out of memory (the caller says so). */
static int segment(mo_eval_seg_runner *r, const mo_image *img, mo_error *err) {
    const size_t n = (size_t)img->width * (size_t)img->height;
    err->status = MO_OK;
    if (!grow((void **)&r->normalized, &r->normalized_cap, sizeof(float) * 3 * n) ||
        !grow((void **)&r->labels, &r->labels_cap, n)) {
        snprintf(err->message, sizeof err->message, "out of memory for a %dx%d image", img->width,
                 img->height);
        err->status = MO_ERR_MEMORY;
        return 0;
    }
    double t0 = mo_eval_now();
    for (size_t p = 0; p < n; p++)
        for (int c = 0; c < 3; c++)
            r->normalized[p * 3 + c] =
                (img->rgb[p * 3 + c] / 255.0f - r->cfg.mean[c]) / r->cfg.std[c];
    f32_resize_bilinear(r->input, r->h, r->w, r->normalized, img->height, img->width, 3, NULL);
    double t1 = mo_eval_now();
    if (mo_segment(r->model, r->input, NULL, err) != MO_OK) return 0;
    double t2 = mo_eval_now();
    if (mo_segment_labels(r->model, img->height, img->width, r->labels, err) != MO_OK) return 0;
    r->t_pre += t1 - t0, r->t_net += t2 - t1, r->t_labels += mo_eval_now() - t2;
    return 1;
}

int64_t mo_eval_seg_runner_run(mo_eval_seg_runner *r, const mo_eval_names *images,
                               const mo_eval_names *gts, const mo_eval_names *names, mo_miou *m) {
    const char *cmd = r->o.cmd;
    mo_eval_progress progress;
    mo_eval_progress_start(&progress, cmd, (int64_t)images->n);
    mo_label_map gt = {0};
    mo_image img = {0};
    mo_error err;
    int64_t failed = 0, ok_count = 0;
    char *pred_path = NULL;
    for (size_t i = 0; i < images->n; i++) {
        double t0 = mo_eval_now();
        int ok = mo_label_png_read(gts->v[i], &gt, &err) == MO_OK &&
                 mo_eval_check_readable(images->v[i], &err) == MO_OK &&
                 mo_image_read(&img, images->v[i], &err) == MO_OK;
        r->t_decode += mo_eval_now() - t0;
        if (ok && !segment(r, &img, &err)) {
            mo_eval_progress_break(&progress);
            cli_error(cmd, "%s: %s", images->v[i], err.message);
            if (err.status == MO_ERR_MEMORY)
                failed++;
            else
                failed = -1; /* the network failed: nothing later will work */
            mo_image_free(&img);
            break;
        }
        if (ok) {
            mo_label_map pred = {
                .width = img.width, .height = img.height, .bits = 8, .data8 = r->labels};
            ok = mo_miou_add(m, &gt, &pred, images->v[i], &err) == MO_OK;
        }
        if (ok && r->o.save_pred) {
            size_t len = strlen(r->o.save_pred) + strlen(names->v[i]) + 6;
            char *grown = realloc(pred_path, len);
            ok = grown != NULL;
            if (ok) {
                pred_path = grown;
                snprintf(pred_path, len, "%s/%s.png", r->o.save_pred, names->v[i]);
                ok = mo_png_write_gray8(pred_path, r->labels, img.width, img.height, &err) == MO_OK;
            } else {
                snprintf(err.message, sizeof err.message, "out of memory");
            }
        }
        mo_image_free(&img);
        if (!ok) {
            mo_eval_progress_break(&progress);
            cli_error(cmd, "%s", err.message);
            failed++;
        } else {
            ok_count++;
        }
        mo_eval_progress_update(&progress, (int64_t)i + 1, 0);
    }
    free(pred_path);
    mo_label_map_free(&gt);
    if (failed < 0) return -1;
    mo_eval_progress_update(&progress, (int64_t)images->n, 1);
    double elapsed = mo_eval_now() - progress.start, per = ok_count ? 1e3 / (double)ok_count : 0;
    fprintf(stderr,
            "%s: %lld images in %.2f s, %.1f images/s (per image: decode %.2f ms (GT PNG "
            "included), preprocess %.2f ms, network %.2f ms, labels %.2f ms; input %dx%d%s)",
            cmd, (long long)ok_count, elapsed, elapsed > 0 ? (double)ok_count / elapsed : 0,
            r->t_decode * per, r->t_pre * per, r->t_net * per, r->t_labels * per, r->w, r->h,
            mo_model_get_segment_config(r->model).flip ? ", flip on: two passes" : "");
    if (failed)
        fprintf(stderr, "; %lld image%s failed (named above; left out of the metrics)",
                (long long)failed, failed == 1 ? "" : "s");
    fputc('\n', stderr);
    return failed;
}
