/* miou_print.c - mmseg's text output for mIoU: PrettyTable tables of percentages.
 *
 * mmseg IoUMetric.compute_metrics prints "per class results:" and a PrettyTable with the
 * columns Class, IoU, Acc holding np.round(100 * v, 2), each number written as Python's str()
 * of it (shortest round-trip digits, "nan" for NaN); we add mmseg 0.x's "Summary:" table of
 * aAcc, mIoU, mAcc. PrettyTable's default style: a frame of '+', '-' and '|', one space of
 * padding, every cell centred as str.center() does (odd excess: the extra space goes right
 * when the text length is odd, left when it is even). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "miou.h"

/* Python's repr() of a float (numpy float32's str() when f32): shortest digits that read back
 * to the same value; fixed notation for exponents -4..15, else d.ddde+XX. */
static void py_repr(double v, int f32, char *buf, size_t cap) {
    if (isnan(v)) {
        snprintf(buf, cap, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, cap, v < 0 ? "-inf" : "inf");
        return;
    }
    char tmp[48];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (f32 ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v) break;
    }
    /* tmp is [-]d[.ddd]e[+-]XX */
    const char *q = tmp;
    int neg = *q == '-';
    if (neg) q++;
    char digits[24];
    int nd = 0;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9') digits[nd++] = *q;
    int e = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    char out[64];
    size_t o = 0;
    if (neg) out[o++] = '-';
    if (e >= -4 && e < 16) {
        if (e >= 0) {
            for (int i = 0; i <= e; i++)
                out[o++] = i < nd ? digits[i] : '0';
            out[o++] = '.';
            if (nd > e + 1)
                for (int i = e + 1; i < nd; i++)
                    out[o++] = digits[i];
            else
                out[o++] = '0';
        } else {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -e - 1; i++)
                out[o++] = '0';
            for (int i = 0; i < nd; i++)
                out[o++] = digits[i];
        }
        out[o] = '\0';
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++)
                out[o++] = digits[i];
        }
        snprintf(out + o, sizeof out - o, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
    snprintf(buf, cap, "%s", out);
}

static void put_centered(FILE *out, const char *text, int width) {
    int len = (int)strlen(text), excess = width - len, left, right;
    if (excess % 2) {
        left = (len % 2) ? excess / 2 : excess / 2 + 1;
        right = excess - left;
    } else {
        left = right = excess / 2;
    }
    fprintf(out, " %*s%s%*s |", left, "", text, right, "");
}

static void put_rule(FILE *out, const int *widths, int ncol) {
    fputc('+', out);
    for (int c = 0; c < ncol; c++) {
        for (int i = 0; i < widths[c] + 2; i++)
            fputc('-', out);
        fputc('+', out);
    }
    fputc('\n', out);
}

/* cells[row * ncol + col], row 0 is the header. */
static void pretty_table(FILE *out, char (*cells)[64], int nrows, int ncol) {
    int widths[8] = {0};
    for (int r = 0; r < nrows; r++)
        for (int c = 0; c < ncol; c++) {
            int len = (int)strlen(cells[r * ncol + c]);
            if (len > widths[c]) widths[c] = len;
        }
    put_rule(out, widths, ncol);
    for (int r = 0; r < nrows; r++) {
        fputc('|', out);
        for (int c = 0; c < ncol; c++)
            put_centered(out, cells[r * ncol + c], widths[c]);
        fputc('\n', out);
        if (r == 0) put_rule(out, widths, ncol);
    }
    put_rule(out, widths, ncol);
}

void mo_miou_print_tables(FILE *out, const mo_miou_result *r, const char *const *names) {
    int C = r->num_classes, f32 = r->float32;
    char(*cells)[64] = malloc(sizeof *cells * 3 * (size_t)(C + 1));
    if (!cells) return;
    snprintf(cells[0], 64, "Class");
    snprintf(cells[1], 64, "IoU");
    snprintf(cells[2], 64, "Acc");
    for (int c = 0; c < C; c++) {
        char *row = cells[3 * (c + 1)];
        if (names)
            snprintf(row, 64, "%s", names[c]);
        else
            snprintf(row, 64, "%d", c);
        py_repr(mo_miou_percent(r->iou[c], f32), f32, cells[3 * (c + 1) + 1], 64);
        py_repr(mo_miou_percent(r->acc[c], f32), f32, cells[3 * (c + 1) + 2], 64);
    }
    fprintf(out, "per class results:\n\n");
    pretty_table(out, cells, C + 1, 3);
    snprintf(cells[0], 64, "aAcc");
    snprintf(cells[1], 64, "mIoU");
    snprintf(cells[2], 64, "mAcc");
    py_repr(mo_miou_percent(r->aAcc, f32), f32, cells[3], 64);
    py_repr(mo_miou_percent(r->mIoU, f32), f32, cells[4], 64);
    py_repr(mo_miou_percent(r->mAcc, f32), f32, cells[5], 64);
    fprintf(out, "Summary:\n\n");
    pretty_table(out, cells, 2, 3);
    free(cells);
}
