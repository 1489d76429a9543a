/* eval_cmds.h - the parts of `mobileone eval` and what they share.
 *
 * cmd_eval.c: dispatch and `coco` (saved results, or --model through eval_run_coco.c);
 * eval_seg.c: `voc`, `ade20k`, `miou` (saved label PNGs, or --model through eval_run_miou.c);
 * eval_lists.c: name lists; eval_progress.c: progress lines with an ETA. Each *_main gets
 * argv[0] = "eval <name>" and returns the exit status: 0 success, 1 failure, 2 usage error.
 * Everything that prints writes one line `mobileone eval <name>: ...` to stderr on error. */
#ifndef MO_APPS_EVAL_CMDS_H
#define MO_APPS_EVAL_CMDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coco.h"
#include "miou.h"

int mo_eval_coco_main(int argc, char **argv);
int mo_eval_seg_main(int argc, char **argv, const char *dataset);

/* A double as JSON: the shortest text that reads back to it (Python's repr style, so 1.0 and
 * -1.0 keep their ".0"); NaN and infinities as null. */
void mo_eval_json_double(FILE *out, double v);

/* Monotonic seconds, for --timing. */
double mo_eval_now(void);

/* ---- name lists (eval_lists.c) ---- */

/* A growable list of owned strings. Zero-initialise; free with mo_eval_names_free. */
typedef struct mo_eval_names {
    char **v;
    size_t n, cap;
} mo_eval_names;

/* Appends a copy of s[0..len). Returns 0 when out of memory. */
int mo_eval_names_push(mo_eval_names *l, const char *s, size_t len);
void mo_eval_names_free(mo_eval_names *l);

/* Lines of a file, stripped of surrounding white space, blank lines skipped. Returns 0 and
 * prints one line (naming the file) on failure. */
int mo_eval_read_lines(const char *cmd, const char *path, mo_eval_names *out);

/* The files of dir whose names end in one of exts (case-insensitive; NULL-terminated), sorted
 * by name; hidden files skipped. Each entry is the file name (with_ext) or its stem. Returns 0
 * and prints one line on failure (the folder cannot be opened, out of memory). */
int mo_eval_list_dir(const char *cmd, const char *dir, const char *const *exts, int with_ext,
                     mo_eval_names *out);

/* The image extensions the runners look for: .jpg .jpeg .png .bmp .webp .tif .tiff .ppm. */
extern const char *const mo_eval_image_exts[];

/* MO_OK when path can be opened for reading; else MO_ERR_IO and err says "<path>: cannot open:
 * <reason>". The runners ask before decoding, as OpenCV would print a warning of its own. */
mo_status mo_eval_check_readable(const char *path, mo_error *err);

/* 1 when path names an existing folder. */
int mo_eval_is_dir(const char *path);

/* ---- progress on stderr (eval_progress.c) ---- */

/* "eval coco: 120/5000 images, 35.2 images/s, ETA 2 min 18 s": redrawn in place on a terminal
 * (at most 4 times a second), else one line every 5 seconds. final = 1 clears the terminal
 * line and prints nothing: the runner's summary line follows. */
typedef struct mo_eval_progress {
    const char *cmd;
    int64_t total;
    double start, last;
    int tty, shown; /* shown: a partial line is on the terminal */
} mo_eval_progress;

void mo_eval_progress_start(mo_eval_progress *p, const char *cmd, int64_t total);
void mo_eval_progress_update(mo_eval_progress *p, int64_t done, int final);
/* Clears a partial terminal line, so that a message can take its place. */
void mo_eval_progress_break(mo_eval_progress *p);

/* ---- the COCO runner (eval_run_coco.c) ---- */

typedef struct mo_eval_coco_run_opts {
    const char *cmd;     /* for messages: "eval coco" */
    const char *model;   /* detection model file */
    const char *config;  /* config overriding the embedded one, or NULL */
    const char *gt_path; /* the instances file: its "images" give file_name and id */
    const char *images;  /* folder that file names are relative to */
    long threads;        /* 0: one per core */
    int tta;             /* an mo_detect_tta, or -1: the model's config */
    int32_t zoom;        /* 1..MO_DETECT_MAX_ZOOM, or 0: the model's config */
} mo_eval_coco_run_opts;

/* The label -> COCO category id map of an 81-class (background + 80) model without
 * category_ids: torchvision's / Detectron's 80 contiguous classes onto COCO's 91 ids. label is
 * 1..80; returns -1 outside. */
int32_t mo_coco80_to_91(int32_t label);

/* Runs the detector over every image of the instances file (score > the config's score_thresh)
 * and returns the COCO results JSON, exactly as `detect --json` writes it, in *text (malloc'd,
 * NUL-terminated, caller frees) and its length in *len. gt is the loaded ground truth (its
 * categories are compared with the model's ids for a warning). Returns 0 on success; 1 when some
 * images could not be read (each named on stderr; the text holds the others); -1 on failure
 * (*text is NULL; one line printed). Progress and a closing timing line go to stderr. */
int mo_eval_coco_run(const mo_eval_coco_run_opts *o, const mo_coco_gt *gt, char **text,
                     size_t *len);

/* ---- the segmentation runner (eval_run_miou.c) ---- */

typedef struct mo_eval_seg_run_opts {
    const char *cmd, *model, *config;
    const char *save_pred; /* folder for predicted label PNGs (<name>.png), or NULL */
    long threads;
    int32_t width, height; /* network input; 0: the model's */
    int flip;              /* test-time flipping: 1 on, 0 off, -1 the model's config */
} mo_eval_seg_run_opts;

typedef struct mo_eval_seg_runner mo_eval_seg_runner;

/* Loads and plans a segmentation model. On success *out owns it and *num_classes is its class
 * count; returns 0 and prints one line on failure. */
int mo_eval_seg_runner_open(mo_eval_seg_runner **out, const mo_eval_seg_run_opts *o,
                            int32_t *num_classes);

/* The model's class names (its config's), or NULL when it names none or not num_classes. */
const char *const *mo_eval_seg_runner_class_names(const mo_eval_seg_runner *r);

/* For each item i: reads gts[i] (label PNG), segments images[i] (label map at the image's own
 * size, as `mobileone segment`), adds the pair to m, and with save_pred writes
 * <save_pred>/<names[i]>.png. An item that fails (unreadable image or GT, sizes differ) is
 * named on stderr and skipped. Returns the number of failed items, or -1 on a fatal error. */
int64_t mo_eval_seg_runner_run(mo_eval_seg_runner *r, const mo_eval_names *images,
                               const mo_eval_names *gts, const mo_eval_names *names, mo_miou *m);

void mo_eval_seg_runner_close(mo_eval_seg_runner *r);

#endif
