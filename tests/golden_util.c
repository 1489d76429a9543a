/* golden_util.c - shared helpers of the golden tests. */
#include "golden_util.h"

#include <check.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int has_prefix_suffix(const char *s, const char *pre, const char *suf) {
    size_t n = strlen(s), p = strlen(pre), q = strlen(suf);
    return n >= p + q && !strncmp(s, pre, p) && !strcmp(s + n - q, suf);
}

static int by_name(const void *a, const void *b) {
    const golden_case *x = a, *y = b;
    int c = strcmp(x->model, y->model);
    return c ? c : strcmp(x->io, y->io);
}

int golden_discover(const char *root, const char *io_prefix, golden_case *cases, int max) {
    int count = 0;
    DIR *d = opendir(root);
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char dir[1024];
        snprintf(dir, sizeof dir, "%.900s/%s", root, e->d_name);
        DIR *cd = opendir(dir);
        if (!cd) continue;
        char ios[16][256], models[8][256];
        int n_io = 0, n_model = 0;
        struct dirent *f;
        while ((f = readdir(cd))) {
            if (has_prefix_suffix(f->d_name, io_prefix, ".safetensors") && n_io < 16)
                snprintf(ios[n_io++], 256, "%s", f->d_name);
            else if (has_prefix_suffix(f->d_name, "model_", ".safetensors") && n_model < 8)
                snprintf(models[n_model++], 256, "%s", f->d_name);
        }
        closedir(cd);
        for (int i = 0; i < n_model; i++)
            for (int j = 0; j < n_io && count < max; j++, count++) {
                snprintf(cases[count].model, sizeof cases[0].model, "%.700s/%s", dir, models[i]);
                snprintf(cases[count].io, sizeof cases[0].io, "%.700s/%s", dir, ios[j]);
            }
    }
    closedir(d);
    qsort(cases, (size_t)count, sizeof cases[0], by_name);
    return count;
}

float *golden_read(const st_file *f, const char *name, const st_tensor **t_out) {
    const st_tensor *t = st_find(f, name);
    ck_assert_msg(t != NULL, "%s: no tensor '%s'", f->path, name);
    float *v = malloc(sizeof(float) * (size_t)(t->numel ? t->numel : 1));
    mo_error err;
    ck_assert_msg(st_read_f32(f, t, v, &err) == MO_OK, "%s", err.message);
    if (t_out) *t_out = t;
    return v;
}

float *golden_nhwc(const float *nchw, int64_t c, int64_t hw) {
    const int64_t n = c * hw;
    float *out = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t p = 0; p < hw; p++) out[p * c + ch] = nchw[ch * hw + p];
    return out;
}

double golden_relative_error(const float *ours, const float *ref, int64_t n, const char *what,
                             const char *where, int check_std) {
    double max_ref = 0, max_diff = 0, sum = 0, sum2 = 0;
    int64_t worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)ours[i] - ref[i]);
        if (d > max_diff) max_diff = d, worst = i;
        if (fabs(ref[i]) > max_ref) max_ref = fabs(ref[i]);
        sum += ref[i];
        sum2 += (double)ref[i] * ref[i];
    }
    double std = sqrt(fmax(sum2 / n - (sum / n) * (sum / n), 0));
    if (check_std)
        ck_assert_msg(std > 1e-2, "%s: reference %s is degenerate (std %g)", where, what, std);
    double rel = max_diff / max_ref;
    printf("  %-16s rel %.2e  max|diff| %.2e  ref std %.3f  (worst at %lld: ours %.7g ref %.7g)\n",
           what, rel, max_diff, std, (long long)worst, ours[worst], ref[worst]);
    return rel;
}

int golden_main(int argc, char **argv, const char *subdir, const char *io_prefix,
                golden_case *cases, int max, int *count, const TTest *test, const char *name,
                int timeout) {
    char root[1024];
    const char *src = getenv("MO_SOURCE_DIR");
    if (argc > 1) snprintf(root, sizeof root, "%s", argv[1]);
    else snprintf(root, sizeof root, "%s/tests/golden/%s", src ? src : ".", subdir);
    *count = golden_discover(root, io_prefix, cases, max);
    if (*count == 0) {
        printf("no golden cases under %s\n", root);
        return 1;
    }
    printf("%d %s checks under %s\n", *count, name, root);
    Suite *s = suite_create(name);
    TCase *tc = tcase_create("reference");
    tcase_set_timeout(tc, timeout);
    tcase_add_loop_test(tc, test, 0, *count);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
