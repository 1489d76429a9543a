/* test_synth.c - `mobileone synth` and the synth/ generator: same seed, same bytes; the COCO
 * file and the masks read back with the project's own readers (eval/coco.h, eval/label_png.h)
 * and agree with each other; the scene statistics the generator promises hold over 200 images;
 * the video has exactly the frames asked for; the CLI's errors are one line. Files go to a
 * temporary folder; the binary's path comes from the build (MO_CLI_PATH). */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coco.h"
#include "image.h"
#include "label_png.h"
#include "synth.h"
#include "synth_io.h"

#ifndef MO_CLI_PATH
#error "MO_CLI_PATH must name the mobileone binary"
#endif

static char dir[256];
static char *err_text;

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    b[n] = '\0';
    fclose(f);
    if (len) *len = (size_t)n;
    return b;
}

/* Runs `mobileone synth <args>`; stderr lands in err_text. Returns the exit code. */
static int synth(const char *args) {
    char cmd[4096], errp[512];
    snprintf(errp, sizeof errp, "%s/err.txt", dir);
    snprintf(cmd, sizeof cmd, "'%s' synth %s > /dev/null 2> '%s'", MO_CLI_PATH, args, errp);
    int st = system(cmd);
    free(err_text);
    err_text = slurp(errp, NULL);
    if (!err_text) err_text = calloc(1, 1);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void setup(void) {
    snprintf(dir, sizeof dir, "/tmp/mo_test_synth_%d", (int)getpid());
    mkdir(dir, 0777);
}

static void teardown(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(err_text);
    err_text = NULL;
}

static void same_bytes(const char *a, const char *b) {
    size_t la = 0, lb = 0;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    ck_assert_msg(x && y, "missing %s or %s", a, b);
    ck_assert_msg(la == lb && !memcmp(x, y, la), "%s and %s differ", a, b);
    free(x);
    free(y);
}

static int by_name(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

/* The names in a folder (not hidden), sorted; returns their count, -1 if it cannot be read. */
static int list_dir(const char *path, char names[][64], int cap) {
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && n < cap && strlen(e->d_name) < 64) strcpy(names[n++], e->d_name);
    closedir(d);
    qsort(names, (size_t)n, 64, by_name);
    return n;
}

START_TEST(test_same_seed_gives_byte_identical_outputs) {
    char args[1024];
    snprintf(args, sizeof args, "--out %s/a --images 12 --video %s/a.avi --frames 8", dir, dir);
    ck_assert_msg(synth(args) == 0, "%s", err_text);
    snprintf(args, sizeof args, "--out %s/b --images 12 --video %s/b.avi --frames 8", dir, dir);
    ck_assert_msg(synth(args) == 0, "%s", err_text);
    /* image i never depends on how many images are made */
    snprintf(args, sizeof args, "--out %s/c --images 5", dir);
    ck_assert_msg(synth(args) == 0, "%s", err_text);
    static char names[64][64];
    const char *subs[2] = {"images", "masks"};
    for (int s = 0; s < 2; s++) {
        char pa[512], pb[512], pc[512];
        snprintf(pa, sizeof pa, "%s/a/%s", dir, subs[s]);
        int n = list_dir(pa, names, 64);
        ck_assert_int_eq(n, 12);
        for (int i = 0; i < n; i++) {
            snprintf(pa, sizeof pa, "%s/a/%s/%s", dir, subs[s], names[i]);
            snprintf(pb, sizeof pb, "%s/b/%s/%s", dir, subs[s], names[i]);
            same_bytes(pa, pb);
            if (i < 5) {
                snprintf(pc, sizeof pc, "%s/c/%s/%s", dir, subs[s], names[i]);
                same_bytes(pa, pc);
            }
        }
    }
    char pa[512], pb[512];
    snprintf(pa, sizeof pa, "%s/a/annotations.json", dir);
    snprintf(pb, sizeof pb, "%s/b/annotations.json", dir);
    same_bytes(pa, pb);
    snprintf(pa, sizeof pa, "%s/a/names.txt", dir);
    snprintf(pb, sizeof pb, "%s/b/names.txt", dir);
    same_bytes(pa, pb);
    /* the videos' annotations are equal up to the video's name, which they record */
    size_t la = 0, lb = 0;
    snprintf(pa, sizeof pa, "%s/a.avi.json", dir);
    snprintf(pb, sizeof pb, "%s/b.avi.json", dir);
    char *x = slurp(pa, &la), *y = slurp(pb, &lb);
    ck_assert(x && y && la == lb);
    for (size_t i = 0; i + 5 < la; i++)
        if (!memcmp(x + i, "a.avi", 5)) memcpy(x + i, "b.avi", 5);
    ck_assert_msg(!memcmp(x, y, la), "video annotations differ");
    free(x);
    free(y);
    snprintf(pa, sizeof pa, "%s/a.avi", dir);
    snprintf(pb, sizeof pb, "%s/b.avi", dir);
    same_bytes(pa, pb);
}
END_TEST

START_TEST(test_another_seed_gives_other_images) {
    synth_params p = synth_default_params(320, 320);
    synth_gen *g;
    mo_error err;
    ck_assert_int_eq(synth_gen_create(&g, &p, &err), MO_OK);
    size_t n = 320 * 320 * 3;
    uint8_t *a = malloc(n);
    synth_frame f;
    synth_gen_image(g, 1, 0, &f);
    memcpy(a, f.rgb, n);
    synth_gen_image(g, 2, 0, &f);
    ck_assert(memcmp(a, f.rgb, n) != 0);
    synth_gen_image(g, 1, 1, &f);
    ck_assert(memcmp(a, f.rgb, n) != 0);
    synth_gen_image(g, 1, 0, &f);
    ck_assert(memcmp(a, f.rgb, n) == 0);
    free(a);
    synth_gen_free(g);
}
END_TEST

static double mean_abs_diff(const uint8_t *a, const uint8_t *b, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += fabs((double)a[i] - b[i]);
    return sum / (double)n;
}

/* Images and .avi video are written in C (libjpeg): with no OpenCV module to be found, synth
 * still works, and an image decodes to the generator's pixels up to JPEG's loss. */
START_TEST(test_images_need_no_opencv_module) {
    char args[512], path[512];
    setenv("MOBILEONE_OPENCV_PLUGIN", "/nonexistent/mobileone-opencv.so", 1);
    snprintf(args, sizeof args, "--out %s/plain --images 2 --seed 5 --video %s/plain.avi "
             "--frames 2", dir, dir);
    int rc = synth(args);
    unsetenv("MOBILEONE_OPENCV_PLUGIN");
    ck_assert_msg(rc == 0, "%s", err_text);
    synth_params p = synth_default_params(320, 320);
    synth_gen *g;
    mo_error err;
    ck_assert_int_eq(synth_gen_create(&g, &p, &err), MO_OK);
    synth_frame f;
    synth_gen_image(g, 5, 1, &f); /* the second image, 000002.jpg */
    mo_image img;
    snprintf(path, sizeof path, "%s/plain/images/000002.jpg", dir);
    ck_assert_msg(mo_image_read(&img, path, &err) == MO_OK, "%s", err.message);
    ck_assert(img.width == 320 && img.height == 320);
    double diff = mean_abs_diff(img.rgb, f.rgb, (size_t)320 * 320 * 3);
    /* textures and noise are high-frequency: quality 92 keeps them within a few levels */
    ck_assert_msg(diff > 0.0 && diff < 8.0, "mean |decoded - generated| = %.2f", diff);
    synth_gen_image(g, 5, 0, &f); /* another image: far off */
    double other = mean_abs_diff(img.rgb, f.rgb, (size_t)320 * 320 * 3);
    ck_assert_msg(other > 3 * diff, "another image is as close (%.2f vs %.2f)", other, diff);
    mo_image_free(&img);
    synth_gen_free(g);
}
END_TEST

/* The numbers of an annotation (cJSON). */
static int num(const cJSON *o, const char *key, double *v) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(x)) return 0;
    *v = x->valuedouble;
    return 1;
}

START_TEST(test_coco_file_reads_with_the_project_reader_and_boxes_are_sane) {
    char args[512], path[512];
    snprintf(args, sizeof args, "--out %s/d --images 30 --seed 7 --split mine", dir);
    ck_assert_msg(synth(args) == 0, "%s", err_text);
    snprintf(path, sizeof path, "%s/d/annotations.json", dir);
    mo_error err;
    mo_coco_gt *gt;
    ck_assert_msg(mo_coco_gt_load(&gt, path, &err) == MO_OK, "%s", err.message);
    ck_assert_int_eq(mo_coco_gt_num_images(gt), 30);
    ck_assert_int_eq(mo_coco_gt_num_categories(gt), SYNTH_NUM_CLASSES);
    const char *names[SYNTH_NUM_CLASSES] = {"circle", "square", "triangle",
                                            "star",   "ring",   "cross"};
    const int64_t ids[SYNTH_NUM_CLASSES] = {1, 2, 4, 5, 7, 9};
    for (int k = 0; k < SYNTH_NUM_CLASSES; k++) {
        ck_assert_int_eq(mo_coco_gt_category_id(gt, k), ids[k]);
        ck_assert_str_eq(mo_coco_gt_category_name(gt, k), names[k]);
    }
    int64_t n_ann = mo_coco_gt_num_annotations(gt);
    ck_assert_int_ge(n_ann, 30);

    /* every box inside its image, 0 < area <= w * h, iscrowd 0; info has the parameters */
    size_t len;
    char *text = slurp(path, &len);
    cJSON *root = cJSON_Parse(text);
    ck_assert(root != NULL);
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(root, "info");
    double seed, v;
    ck_assert(num(info, "seed", &seed) && seed == 7);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(info, "split")->valuestring, "mine");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(info, "category_ids")),
                     SYNTH_NUM_CLASSES);
    ck_assert(cJSON_GetObjectItemCaseSensitive(info, "objects_per_image") != NULL);
    ck_assert(cJSON_GetObjectItemCaseSensitive(info, "size_range") != NULL);
    const cJSON *anns = cJSON_GetObjectItemCaseSensitive(root, "annotations");
    ck_assert_int_eq(cJSON_GetArraySize(anns), (int)n_ann);
    const cJSON *a;
    cJSON *results = cJSON_CreateArray();
    cJSON_ArrayForEach(a, anns) {
        const cJSON *bb = cJSON_GetObjectItemCaseSensitive(a, "bbox");
        ck_assert_int_eq(cJSON_GetArraySize(bb), 4);
        double x = cJSON_GetArrayItem(bb, 0)->valuedouble,
               y = cJSON_GetArrayItem(bb, 1)->valuedouble;
        double w = cJSON_GetArrayItem(bb, 2)->valuedouble,
               h = cJSON_GetArrayItem(bb, 3)->valuedouble;
        ck_assert(x >= 0 && y >= 0 && w >= 1 && h >= 1 && x + w <= 320 && y + h <= 320);
        double area, crowd, cat, img;
        ck_assert(num(a, "area", &area) && area > 0 && area <= w * h);
        ck_assert(num(a, "iscrowd", &crowd) && crowd == 0);
        ck_assert(num(a, "category_id", &cat) && num(a, "image_id", &img));
        ck_assert(img >= 1 && img <= 30);
        ck_assert(num(a, "occluded", &v) && v >= 0 && v <= 1);
        /* the ground truth as detections, for the round trip below */
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "image_id", img);
        cJSON_AddNumberToObject(r, "category_id", cat);
        cJSON_AddItemToObject(r, "bbox", cJSON_Duplicate(bb, 1));
        cJSON_AddNumberToObject(r, "score", 0.9);
        cJSON_AddItemToArray(results, r);
    }
    /* the ground truth as detections scores AP 1 with the project's evaluator */
    char *rtext = cJSON_PrintUnformatted(results);
    mo_coco_dets *dets;
    ck_assert_msg(mo_coco_dets_parse(&dets, rtext, strlen(rtext), "gt-as-dets", gt, &err) == MO_OK,
                  "%s", err.message);
    mo_coco_params cp = mo_coco_default_params();
    mo_coco_eval *ev;
    ck_assert_int_eq(mo_coco_evaluate(&ev, gt, dets, &cp, &err), MO_OK);
    double stats[12];
    mo_coco_stats(ev, stats);
    ck_assert_double_eq_tol(stats[0], 1.0, 1e-12);
    mo_coco_eval_free(ev);
    mo_coco_dets_free(dets);
    free(rtext);
    cJSON_Delete(results);
    cJSON_Delete(root);
    free(text);
    mo_coco_gt_free(gt);
}
END_TEST

START_TEST(test_masks_read_back_as_indices_that_match_the_annotations) {
    char args[512], path[512];
    snprintf(args, sizeof args, "--out %s/m --images 25 --seed 11", dir);
    ck_assert_msg(synth(args) == 0, "%s", err_text);
    snprintf(path, sizeof path, "%s/m/annotations.json", dir);
    char *text = slurp(path, NULL);
    cJSON *root = cJSON_Parse(text);
    ck_assert(root != NULL);
    /* class indices annotated per image */
    int present[26][8] = {{0}};
    const int32_t cat_to_index[10] = {-1, 1, 2, -1, 3, 4, -1, 5, -1, 6};
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(root, "annotations")) {
        int img = cJSON_GetObjectItemCaseSensitive(a, "image_id")->valueint;
        int cat = cJSON_GetObjectItemCaseSensitive(a, "category_id")->valueint;
        ck_assert(img >= 1 && img <= 25 && cat >= 1 && cat <= 9 && cat_to_index[cat] > 0);
        present[img][cat_to_index[cat]] = 1;
    }
    mo_label_map map = {0};
    mo_error err;
    int64_t ignore = 0, total = 0;
    for (int i = 1; i <= 25; i++) {
        snprintf(path, sizeof path, "%s/m/masks/%06d.png", dir, i);
        ck_assert_msg(mo_label_png_read(path, &map, &err) == MO_OK, "%s", err.message);
        ck_assert_int_eq(map.width, 320);
        ck_assert_int_eq(map.height, 320);
        ck_assert_int_eq(map.bits, 8);
        int seen[256] = {0};
        for (int32_t j = 0; j < 320 * 320; j++)
            seen[map.data8[j]]++;
        for (int v = 7; v < 255; v++)
            ck_assert_msg(!seen[v], "mask %d has value %d", i, v);
        /* every class in the mask is annotated in the image */
        for (int c = 1; c <= 6; c++)
            ck_assert_msg(!seen[c] || present[i][c], "mask %d shows class %d, not annotated", i, c);
        ck_assert(seen[0] > 0);
        ignore += seen[255];
        total += 320 * 320;
    }
    /* a thin band, not a flood */
    ck_assert(ignore > 0 && ignore < total / 8);
    mo_label_map_free(&map);
    cJSON_Delete(root);
    free(text);
}
END_TEST

/* Circular statistics of hue per class, from the objects' mean colours. */
static float hue_of(const float rgb[3]) {
    float r = rgb[0], g = rgb[1], b = rgb[2];
    float mx = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b)), d = mx - mn;
    if (d < 1e-6f) return 0;
    float h;
    if (mx == r)
        h = fmodf((g - b) / d, 6.0f);
    else if (mx == g)
        h = (b - r) / d + 2.0f;
    else
        h = (r - g) / d + 4.0f;
    return h * (6.2831853f / 6.0f);
}

START_TEST(test_scene_statistics_hold_over_200_images) {
    synth_params p = synth_default_params(320, 320);
    synth_gen *g;
    mo_error err;
    ck_assert_int_eq(synth_gen_create(&g, &p, &err), MO_OK);
    enum { N = 200 };
    int64_t objects = 0, small = 0, occluded = 0, with_dis = 0, empty = 0;
    int64_t per_class[SYNTH_NUM_CLASSES] = {0};
    double rgb_sum[SYNTH_NUM_CLASSES][3] = {{0}}, hue_vec[SYNTH_NUM_CLASSES][2] = {{0}};
    /* (class, mean colour) of every object, for a nearest-centroid test */
    static float colors[N * 24][3];
    static int classes[N * 24];
    for (int i = 0; i < N; i++) {
        synth_frame f;
        synth_gen_image(g, 1, (uint64_t)i, &f);
        ck_assert_int_le(f.num_objects, 12);
        empty += f.num_objects == 0;
        with_dis += f.num_distractors > 0;
        for (int32_t k = 0; k < f.num_objects; k++) {
            const synth_object *o = &f.objects[k];
            ck_assert(o->size >= 20.0f && o->size <= 220.0f);
            ck_assert(o->area > 0 && o->area <= o->bbox[2] * o->bbox[3]);
            ck_assert(o->bbox[0] >= 0 && o->bbox[0] + o->bbox[2] <= 320);
            ck_assert(o->bbox[1] >= 0 && o->bbox[1] + o->bbox[3] <= 320);
            small += o->size < 40.0f;
            occluded += o->hidden >= 0.1f && o->hidden <= 0.5f;
            per_class[o->cls]++;
            float h = hue_of(o->mean_rgb);
            for (int c = 0; c < 3; c++)
                rgb_sum[o->cls][c] += o->mean_rgb[c];
            hue_vec[o->cls][0] += cos(h), hue_vec[o->cls][1] += sin(h);
            colors[objects][0] = o->mean_rgb[0], colors[objects][1] = o->mean_rgb[1];
            colors[objects][2] = o->mean_rgb[2];
            classes[objects] = o->cls;
            objects++;
        }
    }
    double fs = (double)small / objects, fo = (double)occluded / objects;
    double fd = (double)with_dis / N;
    fprintf(stderr,
            "synth statistics over %d images: %lld objects (%.2f per image), %.1f%% under 40 px, "
            "%.1f%% 10-50%% hidden, distractors in %.1f%% of images, %lld images without "
            "objects\n",
            N, (long long)objects, (double)objects / N, 100 * fs, 100 * fo, 100 * fd,
            (long long)empty);
    ck_assert_msg(fs >= 0.20, "small objects %.3f < 0.20", fs);
    ck_assert_msg(fo >= 0.25, "10-50%% hidden objects %.3f < 0.25", fo);
    ck_assert_msg(fd >= 0.5, "images with distractors %.3f < 0.5", fd);
    ck_assert_int_le(empty, N / 50);
    ck_assert_msg((double)objects / N >= 4.0, "%.2f objects per image", (double)objects / N);
    /* colour does not give the class away: per-class mean colours and hue resultants are close
     * to each other, and a nearest-centroid classifier on the mean colour is near chance */
    double cent[SYNTH_NUM_CLASSES][3], all[3] = {0};
    for (int c = 0; c < SYNTH_NUM_CLASSES; c++) {
        ck_assert_int_ge(per_class[c], objects / 12);
        for (int k = 0; k < 3; k++) {
            cent[c][k] = rgb_sum[c][k] / per_class[c];
            all[k] += rgb_sum[c][k] / objects;
        }
    }
    double worst_rgb = 0, worst_hue = 0;
    for (int c = 0; c < SYNTH_NUM_CLASSES; c++) {
        for (int k = 0; k < 3; k++)
            worst_rgb = fmax(worst_rgb, fabs(cent[c][k] - all[k]));
        double rx = hue_vec[c][0] / per_class[c], ry = hue_vec[c][1] / per_class[c];
        worst_hue = fmax(worst_hue, sqrt(rx * rx + ry * ry));
    }
    int64_t right = 0;
    for (int64_t i = 0; i < objects; i++) {
        int best = 0;
        double bd = 1e30;
        for (int c = 0; c < SYNTH_NUM_CLASSES; c++) {
            double d = 0;
            for (int k = 0; k < 3; k++)
                d += (colors[i][k] - cent[c][k]) * (colors[i][k] - cent[c][k]);
            if (d < bd) bd = d, best = c;
        }
        right += best == classes[i];
    }
    double acc = (double)right / objects;
    fprintf(stderr,
            "colour vs class: per-class mean RGB within %.1f of the overall mean, hue resultant "
            "<= %.3f, nearest-centroid accuracy %.3f (chance %.3f)\n",
            worst_rgb, worst_hue, acc, 1.0 / SYNTH_NUM_CLASSES);
    ck_assert_msg(worst_rgb < 12.0, "a class's mean colour is %.1f off", worst_rgb);
    ck_assert_msg(worst_hue < 0.2, "a class's hues cluster (resultant %.3f)", worst_hue);
    ck_assert_msg(acc < 0.25, "colour predicts the class %.3f of the time", acc);
    synth_gen_free(g);
}
END_TEST

START_TEST(test_video_objects_move_enter_and_leave) {
    synth_params p = synth_default_params(320, 320);
    synth_gen *g;
    mo_error err;
    ck_assert_int_eq(synth_gen_create(&g, &p, &err), MO_OK);
    ck_assert_int_eq(synth_video_start(g, 5, &err), MO_OK);
    int32_t first_max = 0, max_track = 0, moved = 0, annotated = 0;
    int32_t prev_track[64], prev_x[64], n_prev = 0;
    for (int i = 0; i < 150; i++) {
        synth_frame f;
        synth_video_frame(g, &f);
        annotated += f.num_objects;
        for (int32_t k = 0; k < f.num_objects; k++) {
            const synth_object *o = &f.objects[k];
            if (o->track > max_track) max_track = o->track;
            for (int32_t j = 0; j < n_prev; j++)
                if (prev_track[j] == o->track && prev_x[j] != o->bbox[0]) moved++;
        }
        if (i == 0) first_max = max_track;
        n_prev = f.num_objects < 64 ? f.num_objects : 64;
        for (int32_t k = 0; k < n_prev; k++)
            prev_track[k] = f.objects[k].track, prev_x[k] = f.objects[k].bbox[0];
    }
    fprintf(stderr, "video: %d annotations over 150 frames, tracks 1..%d (%d at frame 0)\n",
            annotated, max_track, first_max);
    ck_assert_int_gt(annotated, 150 * 2);
    ck_assert_int_gt(moved, 100);
    ck_assert_int_gt(max_track, first_max + 3); /* new objects entered (others left) */
    synth_gen_free(g);
}
END_TEST

START_TEST(test_video_has_exactly_the_frames_asked_for) {
    char args[512], path[512];
    const char *exts[2] = {"avi", "mp4"};
    for (int e = 0; e < 2; e++) {
        snprintf(args, sizeof args, "--video %s/v.%s --frames 23 --size 160x120 --seed 3", dir,
                 exts[e]);
        ck_assert_msg(synth(args) == 0, "%s", err_text);
        snprintf(path, sizeof path, "%s/v.%s", dir, exts[e]);
        int32_t w = 0, h = 0;
        ck_assert_int_eq(mo_synth_video_count_frames(path, &w, &h), 23);
        ck_assert_int_eq(w, 160);
        ck_assert_int_eq(h, 120);
        snprintf(path, sizeof path, "%s/v.%s.json", dir, exts[e]);
        mo_coco_gt *gt;
        mo_error err;
        ck_assert_msg(mo_coco_gt_load(&gt, path, &err) == MO_OK, "%s", err.message);
        ck_assert_int_eq(mo_coco_gt_num_images(gt), 23);
        ck_assert_int_gt(mo_coco_gt_num_annotations(gt), 23);
        mo_coco_gt_free(gt);
    }
}
END_TEST

START_TEST(test_no_temporary_files_are_left) {
    char args[512], path[512];
    snprintf(args, sizeof args, "--out %s/t --images 4 --video %s/t/v.avi --frames 3", dir, dir);
    ck_assert_msg(synth(args) == 0, "%s", err_text);
    static char names[64][64];
    const char *subs[3] = {"", "/images", "/masks"};
    for (int s = 0; s < 3; s++) {
        snprintf(path, sizeof path, "%s/t%s", dir, subs[s]);
        int n = list_dir(path, names, 64);
        ck_assert_int_gt(n, 0);
        for (int i = 0; i < n; i++)
            ck_assert_msg(!strstr(names[i], ".tmp"), "left behind: %s/%s", path, names[i]);
    }
}
END_TEST

static int one_line(const char *s) {
    const char *nl = strchr(s, '\n');
    return s[0] && nl && nl[1] == '\0';
}

START_TEST(test_errors_are_one_line_with_exit_codes) {
    char args[512], path[512];
    /* a file where the output folder should be */
    snprintf(path, sizeof path, "%s/plain", dir);
    FILE *f = fopen(path, "wb");
    fputs("x", f);
    fclose(f);
    snprintf(args, sizeof args, "--out %s/plain/sub --images 2", dir);
    ck_assert_int_eq(synth(args), 1);
    ck_assert_msg(one_line(err_text) && strstr(err_text, "plain"), "%s", err_text);
    snprintf(args, sizeof args, "--video %s/plain/v.avi --frames 2", dir);
    ck_assert_int_eq(synth(args), 1);
    ck_assert_msg(one_line(err_text) && strstr(err_text, "v.tmp.avi"), "%s", err_text);
    snprintf(args, sizeof args, "--video %s/v.xyz --frames 2", dir);
    ck_assert_int_eq(synth(args), 1);
    ck_assert_msg(one_line(err_text) && strstr(err_text, ".avi or .mp4"), "%s", err_text);
    ck_assert_int_eq(synth("--images 3"), 2);
    ck_assert_msg(one_line(err_text) && strstr(err_text, "--out"), "%s", err_text);
    ck_assert_int_eq(synth("--out x --frames 3"), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "--video"));
    ck_assert_int_eq(synth("--out x --split holdout"), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "--seed"));
    ck_assert_int_eq(synth("--out x --size 10"), 2);
    ck_assert(one_line(err_text));
    ck_assert_int_eq(synth("--out x --bogus"), 2);
    ck_assert(one_line(err_text) && strstr(err_text, "--bogus"));
    ck_assert_int_eq(synth("--out x --seed -1"), 2);
    ck_assert(one_line(err_text));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' synth --help > %s/help.txt", MO_CLI_PATH, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/help.txt", dir);
    char *help = slurp(path, NULL);
    ck_assert(help && strstr(help, "train (seed 1), val (2), test (3)"));
    free(help);
}
END_TEST

static Suite *synth_suite(void) {
    Suite *s = suite_create("synth");
    TCase *t = tcase_create("synth");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 300);
    tcase_add_test(t, test_same_seed_gives_byte_identical_outputs);
    tcase_add_test(t, test_another_seed_gives_other_images);
    tcase_add_test(t, test_coco_file_reads_with_the_project_reader_and_boxes_are_sane);
    tcase_add_test(t, test_masks_read_back_as_indices_that_match_the_annotations);
    tcase_add_test(t, test_scene_statistics_hold_over_200_images);
    tcase_add_test(t, test_video_objects_move_enter_and_leave);
    tcase_add_test(t, test_video_has_exactly_the_frames_asked_for);
    tcase_add_test(t, test_no_temporary_files_are_left);
    tcase_add_test(t, test_images_need_no_opencv_module);
    tcase_add_test(t, test_errors_are_one_line_with_exit_codes);
    suite_add_tcase(s, t);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(synth_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
