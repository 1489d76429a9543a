/* coco_eval.c - COCOeval.evaluate() + accumulate() for bbox, as pycocotools 2.0.11 computes them.
 *
 * Work is done one category at a time: for each image of the category (ascending image id) the
 * detections are stable-sorted by score and cut to 100, IoUs are computed once (bbIou of
 * maskApi.c, in double, same operation order), then for each area range the greedy matching of
 * evaluateImg runs for the ten thresholds. The outcome of each detection is kept as two bit
 * masks (TP and FP per threshold), so accumulate() for the category needs no more than one
 * stable sort of its detections by score; maxDets 1 and 10 filter that order by the rank of the
 * detection in its image, which gives the same sequence as pycocotools' concatenate + argsort
 * (a stable sort of a subsequence is the subsequence of the stable sort).
 * Exactness notes (evaluators.md §1.3-1.7): thresholds built as numpy's linspace; IoU compared
 * with `<` against min(t, 1-1e-10); matched means "GT id > 0" while matching but "id != 0" for
 * TP/FP (so a GT id 0 makes an FP); precision tp / ((fp + tp) + eps); precision past the last
 * recall stays 0. Build with -ffp-contract=off (eval/CMakeLists.txt). */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coco_internal.h"
#include "error.h"

#define T_ MO_COCO_T
#define R_ MO_COCO_R
#define A_ MO_COCO_A
#define M_ MO_COCO_M
#define MAX_DET 100

static const double area_lo[A_] = {0.0, 0.0, 1024.0, 9216.0};
static const double area_hi[A_] = {1e10, 1024.0, 9216.0, 1e10};
static const int max_dets[M_] = {1, 10, 100};

double mo_coco_iou_threshold(int t) {
    /* np.linspace(.5, .95, 10): i*step + start, the last one forced to stop */
    if (t >= T_ - 1) return 0.95;
    return (double)t * ((0.95 - 0.5) / 9.0) + 0.5;
}

double mo_coco_recall_threshold(int r) {
    /* np.linspace(0, 1, 101): i*0.01, the last one 1.0 (not i/100.0) */
    if (r >= R_ - 1) return 1.0;
    return (double)r * 0.01;
}

mo_coco_params mo_coco_default_params(void) {
    mo_coco_params p = {0};
    return p;
}

typedef struct match_rec {
    int64_t image_id, category_id;
    int32_t num_dt, num_gt;
    size_t dt_off; /* into dt_ids / dt_scores; dt_match and dt_ignore at dt_off * T_ */
    size_t gt_off;
} match_rec;

struct mo_coco_eval {
    int32_t K;
    double *precision; /* [T][R][K][A][M] */
    double *recall;    /* [T][K][A][M] */
    double eval_s, accum_s;
    /* matches for area 'all' (params.keep_matches) */
    match_rec *recs;
    int64_t num_recs, cap_recs;
    int64_t *dt_ids, *dt_match, *gt_ids;
    double *dt_scores;
    uint8_t *dt_ignore, *gt_ignore;
    size_t n_dt, n_gt;
    size_t cap_dt_ids, cap_dt_scores, cap_dt_match, cap_dt_ignore, cap_gt_ids, cap_gt_ignore;
};

/* ---- helpers -------------------------------------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* bbIou of maskApi.c for one pair; crowd: union is the detection's area. */
static double bb_iou(const double *d, const double *g, int crowd) {
    double w = fmin(d[2] + d[0], g[2] + g[0]) - fmax(d[0], g[0]);
    if (w <= 0) return 0;
    double h = fmin(d[3] + d[1], g[3] + g[1]) - fmax(d[1], g[1]);
    if (h <= 0) return 0;
    double i = w * h;
    double da = d[2] * d[3];
    double ga = g[2] * g[3];
    double u = crowd ? da : da + ga - i;
    return i / u;
}

/* Python truthiness of int(iscrowd) (evaluateImg's re-matching test). */
static int crowd_int(double v) {
    return trunc(v) != 0.0;
}

/* np.array([int(iscrowd)], dtype=np.uint8) != 0 (the iscrowd bytes handed to bbIou). */
static int crowd_u8(double v) {
    double t = trunc(v);
    if (!(fabs(t) < 9.2e18)) return t != 0.0;
    return (uint8_t)(int64_t)t != 0;
}

/* Stable sort of idx[0..n-1] by key[idx] descending (np.argsort(-key, kind='mergesort')). */
static void sort_desc_stable(int32_t *idx, int32_t *tmp, size_t n, const double *key) {
    const size_t run = 16;
    for (size_t s = 0; s < n; s += run) { /* insertion sort of short runs */
        size_t e = s + run < n ? s + run : n;
        for (size_t i = s + 1; i < e; i++) {
            int32_t v = idx[i];
            double kv = key[v];
            size_t j = i;
            while (j > s && key[idx[j - 1]] < kv) {
                idx[j] = idx[j - 1];
                j--;
            }
            idx[j] = v;
        }
    }
    int32_t *src = idx, *dst = tmp;
    for (size_t width = run; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                dst[o++] = (key[src[j]] > key[src[i]]) ? src[j++] : src[i++];
            while (i < mid)
                dst[o++] = src[i++];
            while (j < hi)
                dst[o++] = src[j++];
        }
        int32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx) memcpy(idx, src, n * sizeof *idx);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 1;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *np = realloc(*p, c * elem);
    if (!np) return 0;
    *p = np;
    *cap = c;
    return 1;
}

/* Groups items by (category, image), stable: counting sort by image, then by category.
 * cat[i] < 0 means "not evaluated". Returns the order and start[K+1] per category. */
static int group_by_cat_image(int64_t n, const int32_t *cat, const int32_t *img, int32_t K,
                              int32_t num_images, int32_t **order_out, int64_t **start_out) {
    int64_t *cnt_img = calloc((size_t)num_images + 1, sizeof(int64_t));
    int64_t *start = calloc((size_t)K + 1, sizeof(int64_t));
    int32_t *by_img = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    int32_t *order = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!cnt_img || !start || !by_img || !order) {
        free(cnt_img);
        free(start);
        free(by_img);
        free(order);
        return 0;
    }
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (cat[i] >= 0) cnt_img[img[i] + 1]++, m++;
    for (int32_t i = 0; i < num_images; i++)
        cnt_img[i + 1] += cnt_img[i];
    for (int64_t i = 0; i < n; i++)
        if (cat[i] >= 0) by_img[cnt_img[img[i]]++] = (int32_t)i;
    for (int64_t i = 0; i < m; i++)
        start[cat[by_img[i]] + 1]++;
    for (int32_t k = 0; k < K; k++)
        start[k + 1] += start[k];
    int64_t *pos = cnt_img; /* reuse: needs K entries */
    if (K > num_images + 1) {
        pos = malloc(sizeof(int64_t) * (size_t)K);
        if (!pos) {
            free(cnt_img);
            free(start);
            free(by_img);
            free(order);
            return 0;
        }
    }
    memcpy(pos, start, sizeof(int64_t) * (size_t)K);
    for (int64_t i = 0; i < m; i++)
        order[pos[cat[by_img[i]]]++] = by_img[i];
    if (pos != cnt_img) free(pos);
    free(cnt_img);
    free(by_img);
    *order_out = order;
    *start_out = start;
    return 1;
}

/* ---- the per-category work --------------------------------------------------------------------
 */

typedef struct work {
    const mo_coco_gt *gt;
    const mo_coco_dets *dt;
    mo_coco_eval *ev;
    int keep;
    /* per image */
    double *iou; /* [MAX_DET][G] */
    int32_t *dsort, *dtmp;
    double *dscore;
    uint8_t *ig, *igs, *matched, *crowd_m;
    int32_t *gorder;
    size_t cap_g, cap_d, cap_iou;
    /* per category: one entry per kept detection, in image order then score order */
    double *kscore;
    uint8_t *krank;
    uint32_t *kflags; /* [n][A]: bit t = TP at threshold t, bit 10+t = FP */
    size_t kn, cap_k, cap_krank, cap_kflags;
    int64_t npig[A_];
    int32_t k_images; /* images with GT or detections for this category (len(E)) */
    /* accumulate */
    int32_t *order, *otmp;
    uint32_t *sel;
    double *rc, *pr;
    size_t cap_acc;
} work;

static int ensure_image_buffers(work *w, size_t G, size_t D0) {
    if (G > w->cap_g) {
        size_t c = G * 2;
        uint8_t *a = realloc(w->ig, c), *b = realloc(w->igs, c);
        w->ig = a ? a : w->ig;
        w->igs = b ? b : w->igs;
        uint8_t *mm = realloc(w->matched, c * T_), *cr = realloc(w->crowd_m, c);
        w->matched = mm ? mm : w->matched;
        w->crowd_m = cr ? cr : w->crowd_m;
        int32_t *go = realloc(w->gorder, c * sizeof(int32_t));
        w->gorder = go ? go : w->gorder;
        if (!a || !b || !mm || !cr || !go) return 0;
        w->cap_g = c;
    }
    if (D0 > w->cap_d) {
        size_t c = D0 * 2;
        int32_t *a = realloc(w->dsort, c * sizeof(int32_t)),
                *b = realloc(w->dtmp, c * sizeof(int32_t));
        w->dsort = a ? a : w->dsort;
        w->dtmp = b ? b : w->dtmp;
        double *sc = realloc(w->dscore, c * sizeof(double));
        w->dscore = sc ? sc : w->dscore;
        if (!a || !b || !sc) return 0;
        w->cap_d = c;
    }
    size_t D = D0 < MAX_DET ? D0 : MAX_DET;
    if (!grow((void **)&w->iou, &w->cap_iou, D * G + 1, sizeof(double))) return 0;
    return 1;
}

static int keep_record(work *w, int32_t k, int32_t image, const int32_t *dts, size_t D,
                       const int32_t *g_idx, size_t G, size_t *dt_off, size_t *gt_off) {
    mo_coco_eval *ev = w->ev;
    size_t cr = (size_t)ev->cap_recs;
    if (!grow((void **)&ev->recs, &cr, (size_t)ev->num_recs + 1, sizeof(match_rec))) return 0;
    ev->cap_recs = (int64_t)cr;
    if (!grow((void **)&ev->dt_ids, &ev->cap_dt_ids, ev->n_dt + D + 1, sizeof(int64_t)) ||
        !grow((void **)&ev->dt_scores, &ev->cap_dt_scores, ev->n_dt + D + 1, sizeof(double)) ||
        !grow((void **)&ev->dt_match, &ev->cap_dt_match, (ev->n_dt + D + 1) * T_,
              sizeof(int64_t)) ||
        !grow((void **)&ev->dt_ignore, &ev->cap_dt_ignore, (ev->n_dt + D + 1) * T_,
              sizeof(uint8_t)) ||
        !grow((void **)&ev->gt_ids, &ev->cap_gt_ids, ev->n_gt + G + 1, sizeof(int64_t)) ||
        !grow((void **)&ev->gt_ignore, &ev->cap_gt_ignore, ev->n_gt + G + 1, sizeof(uint8_t)))
        return 0;
    match_rec *r = &ev->recs[ev->num_recs++];
    r->image_id = w->gt->image_ids[image];
    r->category_id = w->gt->cat_ids[k];
    r->num_dt = (int32_t)D;
    r->num_gt = (int32_t)G;
    r->dt_off = ev->n_dt;
    r->gt_off = ev->n_gt;
    for (size_t d = 0; d < D; d++) {
        ev->dt_ids[ev->n_dt + d] = (int64_t)dts[d] + 1;
        ev->dt_scores[ev->n_dt + d] = w->dt->dets[dts[d]].score;
    }
    for (size_t j = 0; j < G; j++) {
        ev->gt_ids[ev->n_gt + j] = w->gt->anns[g_idx[w->gorder[j]]].id;
        ev->gt_ignore[ev->n_gt + j] = w->igs[j];
    }
    *dt_off = ev->n_dt;
    *gt_off = ev->n_gt;
    ev->n_dt += D;
    ev->n_gt += G;
    return 1;
}

/* evaluateImg for one (image, category) over the four area ranges. g_idx: annotation indices in
 * file order; d_idx: detection indices in file order. */
static int eval_image(work *w, int32_t k, int32_t image, const int32_t *g_idx, size_t G,
                      const int32_t *d_idx, size_t D0) {
    if (!ensure_image_buffers(w, G, D0)) return 0;
    const mo_coco_ann *anns = w->gt->anns;
    const mo_coco_det *dets = w->dt->dets;
    /* detections: stable sort by score (descending), keep the first 100 */
    for (size_t j = 0; j < D0; j++) {
        w->dsort[j] = (int32_t)j;
        w->dscore[j] = dets[d_idx[j]].score;
    }
    sort_desc_stable(w->dsort, w->dtmp, D0, w->dscore);
    size_t D = D0 < MAX_DET ? D0 : MAX_DET;
    for (size_t j = 0; j < D; j++)
        w->dsort[j] = d_idx[w->dsort[j]]; /* now detection indices */
    const int32_t *dts = w->dsort;
    /* IoUs in file order of the GT */
    for (size_t j = 0; j < G; j++)
        w->crowd_m[j] = (uint8_t)crowd_u8(anns[g_idx[j]].iscrowd);
    for (size_t d = 0; d < D; d++)
        for (size_t j = 0; j < G; j++)
            w->iou[d * G + j] = bb_iou(dets[dts[d]].bbox, anns[g_idx[j]].bbox, w->crowd_m[j]);
    /* the category's entries */
    if (!grow((void **)&w->kscore, &w->cap_k, w->kn + D + 1, sizeof(double))) return 0;
    if (!grow((void **)&w->krank, &w->cap_krank, w->kn + D + 1, sizeof(uint8_t))) return 0;
    if (!grow((void **)&w->kflags, &w->cap_kflags, (w->kn + D + 1) * A_, sizeof(uint32_t)))
        return 0;
    size_t base = w->kn;
    for (size_t d = 0; d < D; d++) {
        w->kscore[base + d] = dets[dts[d]].score;
        w->krank[base + d] = (uint8_t)d;
        for (int a = 0; a < A_; a++)
            w->kflags[(base + d) * A_ + a] = 0;
    }
    w->kn += D;
    w->k_images++;

    size_t dt_off = 0, gt_off = 0;
    for (int a = 0; a < A_; a++) {
        /* GT ignore flags; ignored ones sorted last, stable */
        size_t n = 0;
        for (size_t j = 0; j < G; j++) {
            const mo_coco_ann *g = &anns[g_idx[j]];
            w->ig[j] = g->iscrowd != 0.0 || g->area < area_lo[a] || g->area > area_hi[a];
            if (!w->ig[j]) w->gorder[n++] = (int32_t)j;
        }
        w->npig[a] += (int64_t)n;
        for (size_t j = 0; j < G; j++)
            if (w->ig[j]) w->gorder[n++] = (int32_t)j;
        for (size_t j = 0; j < G; j++)
            w->igs[j] = w->ig[w->gorder[j]];
        if (w->keep && a == 0 && !keep_record(w, k, image, dts, D, g_idx, G, &dt_off, &gt_off))
            return 0;
        if (G) memset(w->matched, 0, G * T_);
        for (int t = 0; t < T_; t++) {
            double thr = fmin(mo_coco_iou_threshold(t), 1 - 1e-10);
            uint8_t *matched = w->matched + (size_t)t * G;
            for (size_t d = 0; d < D; d++) {
                const double *iou_row = w->iou + d * G;
                double best = thr;
                ptrdiff_t m = -1;
                for (size_t j = 0; j < G; j++) {
                    int32_t gi = w->gorder[j];
                    if (matched[j] && !crowd_int(anns[g_idx[gi]].iscrowd)) continue;
                    if (m > -1 && !w->igs[m] && w->igs[j]) break;
                    if (iou_row[gi] < best) continue;
                    best = iou_row[gi];
                    m = (ptrdiff_t)j;
                }
                int64_t dtm = 0;
                int dig = 0;
                if (m > -1) {
                    dig = w->igs[m];
                    dtm = anns[g_idx[w->gorder[m]]].id;
                    matched[m] = 1;
                }
                const double *bb = dets[dts[d]].bbox;
                double darea = bb[2] * bb[3];
                if (dtm == 0 && (darea < area_lo[a] || darea > area_hi[a])) dig = 1;
                uint32_t tp = dtm != 0 && !dig, fp = dtm == 0 && !dig;
                w->kflags[(base + d) * A_ + a] |= (tp << t) | (fp << (10 + t));
                if (w->keep && a == 0) {
                    w->ev->dt_match[dt_off * T_ + (size_t)t * D + d] = dtm;
                    w->ev->dt_ignore[dt_off * T_ + (size_t)t * D + d] = (uint8_t)dig;
                }
            }
        }
    }
    return 1;
}

/* accumulate() for category k, from the entries eval_image collected. */
static int accumulate_category(work *w, int32_t k) {
    mo_coco_eval *ev = w->ev;
    const int32_t K = ev->K;
    if (w->k_images == 0) return 1; /* len(E) == 0: stays -1 */
    size_t n = w->kn;
    if (n + 1 > w->cap_acc) {
        size_t c = (n + 1) * 2;
        int32_t *o = realloc(w->order, c * sizeof(int32_t)),
                *ot = realloc(w->otmp, c * sizeof(int32_t));
        w->order = o ? o : w->order;
        w->otmp = ot ? ot : w->otmp;
        uint32_t *s = realloc(w->sel, c * sizeof(uint32_t));
        w->sel = s ? s : w->sel;
        double *rc = realloc(w->rc, c * sizeof(double)), *pr = realloc(w->pr, c * sizeof(double));
        w->rc = rc ? rc : w->rc;
        w->pr = pr ? pr : w->pr;
        if (!o || !ot || !s || !rc || !pr) return 0;
        w->cap_acc = c;
    }
    for (size_t i = 0; i < n; i++)
        w->order[i] = (int32_t)i;
    sort_desc_stable(w->order, w->otmp, n, w->kscore);
    const double eps = DBL_EPSILON; /* np.spacing(1) */
    for (int a = 0; a < A_; a++) {
        if (w->npig[a] == 0) continue; /* precision / recall stay -1 */
        double npig = (double)w->npig[a];
        for (int mi = 0; mi < M_; mi++) {
            size_t nd = 0;
            for (size_t i = 0; i < n; i++) {
                int32_t e = w->order[i];
                if (w->krank[e] < max_dets[mi]) w->sel[nd++] = w->kflags[(size_t)e * A_ + a];
            }
            for (int t = 0; t < T_; t++) {
                double tp = 0, fp = 0;
                double *rc = w->rc, *pr = w->pr;
                for (size_t i = 0; i < nd; i++) {
                    uint32_t f = w->sel[i];
                    tp += (double)((f >> t) & 1u);
                    fp += (double)((f >> (10 + t)) & 1u);
                    rc[i] = tp / npig;
                    pr[i] = tp / ((fp + tp) + eps);
                }
                ev->recall[(((size_t)t * K + k) * A_ + a) * M_ + mi] = nd ? rc[nd - 1] : 0.0;
                for (size_t i = nd; i-- > 1;)
                    if (pr[i] > pr[i - 1]) pr[i - 1] = pr[i];
                size_t i = 0;
                for (int r = 0; r < R_; r++) {
                    double rt = mo_coco_recall_threshold(r);
                    while (i < nd && rc[i] < rt)
                        i++;                         /* searchsorted(rc, rt, 'left') */
                    double q = i < nd ? pr[i] : 0.0; /* past the end: stays 0 */
                    ev->precision[((((size_t)t * R_ + r) * K + k) * A_ + a) * M_ + mi] = q;
                }
            }
        }
    }
    return 1;
}

static void work_free(work *w) {
    free(w->iou);
    free(w->dsort);
    free(w->dtmp);
    free(w->dscore);
    free(w->ig);
    free(w->igs);
    free(w->matched);
    free(w->crowd_m);
    free(w->gorder);
    free(w->kscore);
    free(w->krank);
    free(w->kflags);
    free(w->order);
    free(w->otmp);
    free(w->sel);
    free(w->rc);
    free(w->pr);
}

void mo_coco_eval_free(mo_coco_eval *ev) {
    if (!ev) return;
    free(ev->precision);
    free(ev->recall);
    free(ev->recs);
    free(ev->dt_ids);
    free(ev->dt_match);
    free(ev->gt_ids);
    free(ev->dt_scores);
    free(ev->dt_ignore);
    free(ev->gt_ignore);
    free(ev);
}

mo_status mo_coco_evaluate(mo_coco_eval **out, const mo_coco_gt *gt, const mo_coco_dets *dets,
                           const mo_coco_params *params, mo_error *err) {
    *out = NULL;
    if (!gt || !dets)
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "coco evaluate: no ground truth "
                            "or no detections given");
    double t0 = now_s();
    mo_coco_params p = params ? *params : mo_coco_default_params();
    const int32_t K = gt->num_cats;
    mo_coco_eval *ev = calloc(1, sizeof *ev);
    if (!ev) return mo_error_set(err, MO_ERR_MEMORY, "coco evaluate: out of memory");
    ev->K = K;
    size_t np = (size_t)T_ * R_ * (size_t)K * A_ * M_, nr = (size_t)T_ * (size_t)K * A_ * M_;
    ev->precision = malloc(sizeof(double) * (np ? np : 1));
    ev->recall = malloc(sizeof(double) * (nr ? nr : 1));
    int32_t *gcat = malloc(sizeof(int32_t) * (size_t)(gt->num_anns + 1));
    int32_t *gimg = malloc(sizeof(int32_t) * (size_t)(gt->num_anns + 1));
    int32_t *dcat = malloc(sizeof(int32_t) * (size_t)(dets->count + 1));
    int32_t *dimg = malloc(sizeof(int32_t) * (size_t)(dets->count + 1));
    int32_t *gorder = NULL, *dorder = NULL;
    int64_t *gstart = NULL, *dstart = NULL;
    work w;
    memset(&w, 0, sizeof w);
    mo_status st = MO_OK;
    if (!ev->precision || !ev->recall || !gcat || !gimg || !dcat || !dimg) goto oom;
    for (size_t i = 0; i < np; i++)
        ev->precision[i] = -1.0;
    for (size_t i = 0; i < nr; i++)
        ev->recall[i] = -1.0;
    for (int64_t i = 0; i < gt->num_anns; i++) {
        const mo_coco_ann *a = &gt->anns[i];
        gcat[i] = (a->image >= 0) ? a->cat : -1;
        gimg[i] = a->image;
    }
    for (int64_t i = 0; i < dets->count; i++) {
        dcat[i] = dets->dets[i].cat;
        dimg[i] = dets->dets[i].image;
    }
    if (!group_by_cat_image(gt->num_anns, gcat, gimg, K, gt->num_images, &gorder, &gstart) ||
        !group_by_cat_image(dets->count, dcat, dimg, K, gt->num_images, &dorder, &dstart))
        goto oom;
    w.gt = gt;
    w.dt = dets;
    w.ev = ev;
    w.keep = p.keep_matches != 0;
    double accum = 0.0;
    for (int32_t k = 0; k < K; k++) {
        w.kn = 0;
        w.k_images = 0;
        memset(w.npig, 0, sizeof w.npig);
        int64_t gi = gstart[k], ge = gstart[k + 1], di = dstart[k], de = dstart[k + 1];
        while (gi < ge || di < de) {
            int32_t img_g = gi < ge ? gimg[gorder[gi]] : INT32_MAX;
            int32_t img_d = di < de ? dimg[dorder[di]] : INT32_MAX;
            int32_t image = img_g < img_d ? img_g : img_d;
            int64_t g0 = gi, d0 = di;
            while (gi < ge && gimg[gorder[gi]] == image)
                gi++;
            while (di < de && dimg[dorder[di]] == image)
                di++;
            if (!eval_image(&w, k, image, gorder + g0, (size_t)(gi - g0), dorder + d0,
                            (size_t)(di - d0)))
                goto oom;
        }
        double ta = now_s();
        if (!accumulate_category(&w, k)) goto oom;
        accum += now_s() - ta;
    }
    ev->accum_s = accum;
    ev->eval_s = now_s() - t0 - accum;
    goto done;
oom:
    st = mo_error_set(err, MO_ERR_MEMORY, "coco evaluate: out of memory");
    mo_coco_eval_free(ev);
    ev = NULL;
done:
    work_free(&w);
    free(gcat);
    free(gimg);
    free(dcat);
    free(dimg);
    free(gorder);
    free(dorder);
    free(gstart);
    free(dstart);
    *out = ev;
    return st;
}

void mo_coco_eval_timing(const mo_coco_eval *ev, double *evaluate_s, double *accumulate_s) {
    if (evaluate_s) *evaluate_s = ev->eval_s;
    if (accumulate_s) *accumulate_s = ev->accum_s;
}

const double *mo_coco_precision(const mo_coco_eval *ev, int32_t *num_categories) {
    if (num_categories) *num_categories = ev->K;
    return ev->precision;
}

const double *mo_coco_recall(const mo_coco_eval *ev, int32_t *num_categories) {
    if (num_categories) *num_categories = ev->K;
    return ev->recall;
}

int64_t mo_coco_num_img_evals(const mo_coco_eval *ev) {
    return ev->num_recs;
}

int mo_coco_img_eval_get(const mo_coco_eval *ev, int64_t i, mo_coco_img_eval *out) {
    if (i < 0 || i >= ev->num_recs) return 0;
    const match_rec *r = &ev->recs[i];
    out->image_id = r->image_id;
    out->category_id = r->category_id;
    out->num_dt = r->num_dt;
    out->num_gt = r->num_gt;
    out->dt_ids = ev->dt_ids + r->dt_off;
    out->dt_scores = ev->dt_scores + r->dt_off;
    out->dt_match = ev->dt_match + r->dt_off * T_;
    out->dt_ignore = ev->dt_ignore + r->dt_off * T_;
    out->gt_ids = ev->gt_ids + r->gt_off;
    out->gt_ignore = ev->gt_ignore + r->gt_off;
    return 1;
}
