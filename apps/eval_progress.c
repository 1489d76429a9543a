/* eval_progress.c - the dataset runners' progress line on stderr: done/total, images per
 * second and the time left. Redrawn in place on a terminal (and cleared at the end, where the
 * runner's summary line takes its place); otherwise a line every 5 s. */
#include "eval_cmds.h"

#include <unistd.h>

void mo_eval_progress_start(mo_eval_progress *p, const char *cmd, int64_t total) {
    *p = (mo_eval_progress){.cmd = cmd, .total = total, .tty = isatty(fileno(stderr))};
    p->start = p->last = mo_eval_now();
}

static void format_seconds(char *out, size_t size, double s) {
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, size, "%ld h %02ld min", t / 3600, t % 3600 / 60);
    else if (t >= 60)
        snprintf(out, size, "%ld min %02ld s", t / 60, t % 60);
    else
        snprintf(out, size, "%ld s", t);
}

void mo_eval_progress_update(mo_eval_progress *p, int64_t done, int final) {
    if (final) { /* the caller's summary line says the rest */
        mo_eval_progress_break(p);
        return;
    }
    double t = mo_eval_now(), elapsed = t - p->start;
    if (t - p->last < (p->tty ? 0.25 : 5.0)) return;
    p->last = t;
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    char eta[48] = "";
    if (rate > 0 && done < p->total) {
        char left[32];
        format_seconds(left, sizeof left, (double)(p->total - done) / rate);
        snprintf(eta, sizeof eta, ", ETA %s", left);
    }
    fprintf(stderr, "%s%s: %lld/%lld images, %.1f images/s%s%s", p->tty ? "\r\033[K" : "", p->cmd,
            (long long)done, (long long)p->total, rate, eta, p->tty ? "" : "\n");
    p->shown = p->tty;
    fflush(stderr);
}

void mo_eval_progress_break(mo_eval_progress *p) {
    if (p->tty && p->shown) fputs("\r\033[K", stderr); /* the next update redraws it */
    p->shown = 0;
}
