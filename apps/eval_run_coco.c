/* eval_run_coco.c - `mobileone eval coco --model`: the detector over every image of a COCO
 * instances file, giving the results JSON that `eval coco --gt --dt` then evaluates.
 *
 * Each image of the file's "images" array (file order) is read from <images>/<file_name>,
 * preprocessed as `mobileone detect` does (io/detect_input.h), and run with the config's
 * detect.score_thresh (0.001: evaluation wants every detection, unlike detect's display --conf).
 * Category ids: the config's category_ids when it has them (mo_detect applies them); else an
 * 81-class model (background + 80) has its labels mapped onto COCO's 91 ids; else the label is
 * the id (torchvision's 91-class models). The text is written with detect's own writer
 * (detect_outputs.c) into memory, so that a saved file and the evaluated text are the same
 * bytes. An unreadable image is named on stderr and skipped, as `detect` does; it then counts
 * as an image without detections and the command exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "detect_input.h"
#include "detect_outputs.h"
#include "eval_cmds.h"
#include "image.h"
#include "mobileone.h"

/* COCO's category ids of the 80 classes, in the order of the contiguous labels 1..80. */
static const int32_t coco80_ids[80] = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
    46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
    67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};

int32_t mo_coco80_to_91(int32_t label) {
    return label >= 1 && label <= 80 ? coco80_ids[label - 1] : -1;
}

typedef struct coco_image {
    int64_t id;
    char *file; /* owned */
} coco_image;

static void images_free(coco_image *v, int32_t n) {
    for (int32_t i = 0; i < n; i++)
        free(v[i].file);
    free(v);
}

/* The (id, file_name) of every entry of the instances file's "images", in file order. */
static int read_images(const char *cmd, const char *path, coco_image **out, int32_t *count) {
    *out = NULL;
    *count = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error(cmd, "%s: cannot open: %s", path, strerror(errno));
        return 0;
    }
    char *text = NULL;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)) &&
        fread(text, 1, (size_t)size, f) == (size_t)size)
        text[size] = '\0';
    else
        free(text), text = NULL;
    fclose(f);
    if (!text) {
        cli_error(cmd, "%s: cannot read", path);
        return 0;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images");
    int ok = cJSON_IsArray(images);
    if (!ok) cli_error(cmd, "%s: not a COCO instances file (no \"images\" array)", path);
    int32_t n = ok ? cJSON_GetArraySize(images) : 0;
    coco_image *v = ok ? calloc((size_t)n + 1, sizeof *v) : NULL;
    if (ok && !v) ok = 0, cli_error(cmd, "out of memory");
    int32_t i = 0;
    const cJSON *img;
    cJSON_ArrayForEach(img, images) {
        if (!ok) break;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(img, "id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(img, "file_name");
        if (!cJSON_IsNumber(id) || !cJSON_IsString(name) || !name->valuestring[0]) {
            cli_error(cmd,
                      "%s: images[%d] needs a numeric \"id\" and a \"file_name\" to run a "
                      "model on it",
                      path, i);
            ok = 0;
            break;
        }
        v[i].id = (int64_t)id->valuedouble;
        if (!(v[i].file = strdup(name->valuestring))) ok = 0, cli_error(cmd, "out of memory");
        i++;
    }
    cJSON_Delete(root);
    if (!ok) {
        images_free(v, i);
        return 0;
    }
    *out = v;
    *count = n;
    return 1;
}

/* The category id the results will carry for label l. */
static int32_t category_of(const mo_detect_config *dc, int map80, int32_t l) {
    if (dc->num_category_ids) return l < dc->num_category_ids ? dc->category_ids[l] : l;
    return map80 ? mo_coco80_to_91(l) : l;
}

/* Warns when none of the model's category ids is a category of the ground truth. */
static void check_categories(const mo_eval_coco_run_opts *o, const mo_detect_config *dc, int map80,
                             const mo_coco_gt *gt) {
    int32_t K = mo_coco_gt_num_categories(gt), shared = 0;
    for (int32_t l = 1; l < dc->num_classes; l++) {
        int64_t id = category_of(dc, map80, l);
        for (int32_t k = 0; k < K; k++)
            shared += mo_coco_gt_category_id(gt, k) == id;
    }
    if (!shared && K > 0)
        fprintf(stderr,
                "mobileone %s: warning: none of the model's %d category ids is a category "
                "of %s, so every AP will be 0; give the model's config \"category_ids\" "
                "(label -> the data set's category id)\n",
                o->cmd, dc->num_classes - 1, o->gt_path);
}

int mo_eval_coco_run(const mo_eval_coco_run_opts *o, const mo_coco_gt *gt, char **text,
                     size_t *len) {
    *text = NULL;
    *len = 0;
    coco_image *images = NULL;
    int32_t num_images = 0;
    if (!read_images(o->cmd, o->gt_path, &images, &num_images)) return -1;
    mo_error err;
    mo_model_params params = mo_model_default_params();
    params.config_path = o->config;
    params.threads = (int32_t)o->threads;
    mo_model *model = NULL;
    float *input = NULL;
    mo_detection *dets = NULL;
    coco_json_out json = {0};
    char *buf = NULL;
    size_t size = 0;
    int rc = -1;
    if (mo_model_load(&model, o->model, &params, &err) != MO_OK) {
        cli_error(o->cmd, "%s", err.message);
        goto done;
    }
    mo_detect_config dc = mo_model_get_detect_config(model);
    if (!dc.num_classes) {
        cli_error(o->cmd, "%s: not a detection model (its config's task is not \"detect\")",
                  o->model);
        goto done;
    }
    mo_model_config cfg = mo_model_get_config(model);
    const int32_t h = cfg.input_size[0], w = cfg.input_size[1];
    if ((o->tta >= 0 && mo_model_set_detect_tta(model, o->tta, &err) != MO_OK) ||
        (o->zoom && mo_model_set_detect_zoom(model, o->zoom, &err) != MO_OK) ||
        mo_model_plan(model, h, w, &err) != MO_OK) {
        cli_error(o->cmd, "%s", err.message);
        goto done;
    }
    const int map80 = !dc.num_category_ids && dc.num_classes == 81;
    check_categories(o, &dc, map80, gt);
    input = malloc(sizeof(float) * 3 * (size_t)h * (size_t)w);
    dets = malloc(sizeof *dets * (size_t)dc.max_dets);
    json.f = open_memstream(&buf, &size);
    if (!input || !dets || !json.f) {
        cli_error(o->cmd, "out of memory");
        goto done;
    }
    fputc('[', json.f);
    double t_decode = 0, t_pre = 0, t_net = 0, t_post = 0;
    int64_t failed = 0, done_count = 0;
    mo_eval_progress progress;
    mo_eval_progress_start(&progress, o->cmd, num_images);
    size_t plen = strlen(o->images) + 2;
    for (int32_t i = 0; i < num_images; i++) {
        char *path = malloc(plen + strlen(images[i].file));
        if (!path) {
            cli_error(o->cmd, "out of memory");
            goto done;
        }
        sprintf(path, "%s/%s", o->images, images[i].file);
        mo_image img = {0};
        double t0 = mo_eval_now();
        /* a missing file is told here: OpenCV would add a warning line of its own */
        mo_status st = mo_eval_check_readable(path, &err);
        if (st == MO_OK) st = mo_image_read(&img, path, &err);
        free(path);
        if (st != MO_OK) {
            mo_eval_progress_break(&progress);
            cli_error(o->cmd, "%s (image id %lld)", err.message, (long long)images[i].id);
            failed++;
            mo_eval_progress_update(&progress, ++done_count, 0);
            continue;
        }
        double t1 = mo_eval_now();
        mo_preprocess_detect(&img, h, w, cfg.mean, cfg.std, input);
        double t2 = mo_eval_now();
        int32_t n = 0;
        st = mo_detect(model, input, img.width, img.height, -1.0f, dets, dc.max_dets, &n, &err);
        mo_image_free(&img);
        if (st != MO_OK) {
            mo_eval_progress_break(&progress);
            cli_error(o->cmd, "%s: %s", images[i].file, err.message);
            goto done;
        }
        double net, post;
        mo_detect_last_timings(model, &net, &post);
        t_decode += t1 - t0, t_pre += t2 - t1, t_net += net, t_post += post;
        if (map80)
            for (int32_t d = 0; d < n; d++)
                dets[d].category_id = mo_coco80_to_91(dets[d].label);
        if (!coco_json_add(&json, images[i].id, dets, n)) {
            cli_error(o->cmd, "out of memory writing the results");
            goto done;
        }
        mo_eval_progress_update(&progress, ++done_count, 0);
    }
    mo_eval_progress_update(&progress, done_count, 1);
    fputs("\n]\n", json.f);
    if (ferror(json.f)) {
        cli_error(o->cmd, "out of memory writing the results");
        goto done;
    }
    fclose(json.f);
    json.f = NULL;
    double elapsed = mo_eval_now() - progress.start;
    int64_t ran = done_count - failed;
    double per = ran ? 1e3 / (double)ran : 0;
    fprintf(stderr,
            "%s: %lld images in %.2f s, %.1f images/s (per image: decode %.2f ms, preprocess "
            "%.2f ms, network %.2f ms, postprocess %.2f ms; input %dx%d), %lld detections",
            o->cmd, (long long)ran, elapsed, elapsed > 0 ? (double)ran / elapsed : 0,
            t_decode * per, t_pre * per, t_net * per, t_post * per, w, h, (long long)json.written);
    if (failed)
        fprintf(stderr,
                "; %lld image%s could not be read (named above; counted as images "
                "without detections)",
                (long long)failed, failed == 1 ? "" : "s");
    fputc('\n', stderr);
    *text = buf;
    *len = size;
    buf = NULL;
    rc = failed ? 1 : 0;
done:
    if (json.f) fclose(json.f);
    free(buf);
    free(input);
    free(dets);
    mo_model_free(model);
    images_free(images, num_images);
    return rc;
}
