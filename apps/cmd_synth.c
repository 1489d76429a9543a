/* cmd_synth.c - `mobileone synth`: a synthetic detection / segmentation data set (JPEG images,
 * VOC-style index PNG masks, a COCO instances file) and optionally a video with per-frame COCO
 * annotations. Deterministic: the same seed and options give byte-identical files.
 *
 * Layout of --out DIR: images/<id>.jpg (id from 000001), masks/<id>.png, annotations.json,
 * names.txt (mask value names). Every file is written under <name>.tmp and renamed when
 * complete; annotations.json last, so its presence means the set is complete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "coco_write.h"
#include "commands.h"
#include "files.h"
#include "label_png.h"
#include "synth.h"
#include "synth_io.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: mobileone synth --out DIR [--images N] [--size WxH] [--seed S] [--split NAME]\n"
            "                       [--video FILE [--frames N] [--fps F]] [--quality Q]\n\n"
            "Synthetic scenes for detection and segmentation: 1-12 objects of 6 classes (circle,\n"
            "square, triangle, star, ring, cross; colours say nothing of the class), 20-220 px\n"
            "at 320 px (sizes scale with the frame), rotated, overlapping, among distractors\n"
            "(holed ellipses, blobs, lines, hexagons, crescents) on textured backgrounds with\n"
            "lighting gradients, blur and noise.\n\n"
            "  --out DIR        writes DIR/images/<id>.jpg, DIR/masks/<id>.png (index PNG: 0\n"
            "                   background, 1-6 the classes in the order above, 255 ignore on a\n"
            "                   2 px band around objects and on dropped objects),\n"
            "                   DIR/annotations.json (COCO; category ids 1 2 4 5 7 9; parameters\n"
            "                   in \"info\"), DIR/names.txt (mask value names)\n"
            "  --images N       images to make (default 100; 0 with --video unless given)\n"
            "  --size WxH       frame size, or one number for a square (default 320)\n"
            "  --seed S         the seed (0..2^63-1); image i of a seed never depends on N\n"
            "  --split NAME     recorded in info; without --seed it picks the project's seed:\n"
            "                   train 1, val 2, test 3 (default train)\n"
            "  --video FILE     also a video (.avi: MJPG, .mp4: mp4v) of moving objects, and\n"
            "                   FILE.json, its COCO annotations (image_id = frame + 1)\n"
            "  --frames N       video frames (default 100)\n"
            "  --fps F          video frame rate (default 10)\n"
            "  --quality Q      JPEG quality 1-100 (default 92)\n"
            "  -h, --help       this help\n\n"
            "An object is annotated when at least 24 of its pixels (at 320 px) are visible and\n"
            "they are at least 15%% of its whole shape; bbox and area are those of the visible\n"
            "pixels. The project's splits: --split train (seed 1), val (2), test (3), e.g.\n"
            "  mobileone synth --out data/synth/val --split val --images 500\n");
}

typedef struct progress {
    const char *what;
    int64_t total, done;
    double start, last;
    int tty;
} progress;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress_show(progress *p, int final) {
    double t = now();
    if (!final && t - p->last < (p->tty ? 0.2 : 5.0)) return;
    p->last = t;
    double el = t - p->start, rate = el > 0 ? (double)p->done / el : 0;
    char eta[32] = "";
    if (!final && rate > 0) snprintf(eta, sizeof eta, ", ETA %.0f s", (p->total - p->done) / rate);
    char line[128];
    snprintf(line, sizeof line, "synth: %lld/%lld %s, %.1f/s%s", (long long)p->done,
             (long long)p->total, p->what, rate, eta);
    if (p->tty)
        fprintf(stderr, "\r%-64s%s", line, final ? "\n" : "");
    else
        fprintf(stderr, "%s\n", line);
}

/* What the run saw, for the closing lines. */
typedef struct tally {
    int64_t objects, small, occluded, dropped, with_distractors;
} tally;

static void tally_add(tally *t, const synth_frame *f, float small_size) {
    for (int32_t i = 0; i < f->num_objects; i++) {
        const synth_object *o = &f->objects[i];
        t->small += o->size < small_size;
        t->occluded += o->hidden >= 0.1f && o->hidden <= 0.5f;
    }
    t->objects += f->num_objects;
    t->dropped += f->num_dropped;
    t->with_distractors += f->num_distractors > 0;
}

static void tally_print(const tally *t, int64_t frames, const char *what) {
    double n = t->objects ? (double)t->objects : 1;
    fprintf(stderr,
            "synth: %lld %s, %lld objects (%.1f%% small, %.1f%% 10-50%% hidden), %lld dropped, "
            "distractors in %.1f%% of them\n",
            (long long)frames, what, (long long)t->objects, 100.0 * (double)t->small / n,
            100.0 * (double)t->occluded / n, (long long)t->dropped,
            frames ? 100.0 * (double)t->with_distractors / (double)frames : 0.0);
}

typedef struct options {
    const char *out, *video, *split;
    int64_t images, frames;
    int32_t width, height;
    uint64_t seed;
    double fps;
    int quality;
} options;

static int write_images(const options *o, const synth_params *sp, synth_gen *g) {
    mo_error err;
    char path[4096];
    const char *subs[2] = {"images", "masks"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", o->out, subs[i]);
        if (synth_make_dirs(path, &err) != MO_OK) {
            cli_error("synth", "%s", err.message);
            return 1;
        }
    }
    char names[256];
    int nn = synth_mask_names(names, sizeof names);
    snprintf(path, sizeof path, "%s/names.txt", o->out);
    if (synth_write_atomic(path, names, (size_t)nn, &err) != MO_OK) {
        cli_error("synth", "%s", err.message);
        return 1;
    }
    synth_coco *coco;
    if (synth_coco_create(&coco, &err) != MO_OK) {
        cli_error("synth", "%s", err.message);
        return 1;
    }
    progress pr = {"images", o->images, 0, now(), 0, isatty(fileno(stderr))};
    tally t = {0};
    int rc = 0;
    for (int64_t i = 0; i < o->images && !rc; i++) {
        synth_frame f;
        synth_gen_image(g, o->seed, (uint64_t)i, &f);
        char name[64], tmp[4096 + 8];
        snprintf(name, sizeof name, "%06lld", (long long)(i + 1));
        uint8_t *jpg;
        size_t len;
        snprintf(path, sizeof path, "%s/images/%s.jpg", o->out, name);
        if (mo_synth_jpeg_encode(f.rgb, f.width, f.height, o->quality, &jpg, &len, &err) != MO_OK ||
            synth_write_atomic(path, jpg, len, &err) != MO_OK) {
            cli_error("synth", "%s", err.message);
            rc = 1;
        }
        free(jpg);
        if (rc) break;
        snprintf(path, sizeof path, "%s/masks/%s.png", o->out, name);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        if (mo_label_png_write(tmp, f.mask, f.width, f.height, 1, &err) != MO_OK) {
            remove(tmp);
            cli_error("synth", "%s", err.message);
            rc = 1;
        } else if (synth_commit(tmp, path, &err) != MO_OK) {
            cli_error("synth", "%s", err.message);
            rc = 1;
        }
        snprintf(name, sizeof name, "%06lld.jpg", (long long)(i + 1));
        if (!rc && synth_coco_add(coco, i + 1, name, -1, &f, &err) != MO_OK) {
            cli_error("synth", "%s", err.message);
            rc = 1;
        }
        tally_add(&t, &f, sp->small_size);
        pr.done = i + 1;
        progress_show(&pr, 0);
    }
    if (!rc) {
        snprintf(path, sizeof path, "%s/annotations.json", o->out);
        synth_info info = {o->split, o->seed, o->images, NULL, 0};
        if (synth_coco_write(coco, path, sp, &info, &err) != MO_OK) {
            cli_error("synth", "%s", err.message);
            rc = 1;
        }
    }
    synth_coco_free(coco);
    if (rc) return rc;
    progress_show(&pr, 1);
    tally_print(&t, o->images, "images");
    return 0;
}

static int write_video(const options *o, const synth_params *sp, synth_gen *g) {
    mo_error err;
    mo_synth_video *v;
    if (mo_synth_video_open(&v, o->video, o->fps, o->width, o->height, &err) != MO_OK) {
        cli_error("synth", "%s", err.message);
        return 1;
    }
    synth_coco *coco;
    if (synth_coco_create(&coco, &err) != MO_OK) {
        mo_synth_video_abort(v);
        cli_error("synth", "%s", err.message);
        return 1;
    }
    const char *base = strrchr(o->video, '/');
    base = base ? base + 1 : o->video;
    if (synth_video_start(g, o->seed, &err) != MO_OK) {
        mo_synth_video_abort(v);
        synth_coco_free(coco);
        cli_error("synth", "%s", err.message);
        return 1;
    }
    progress pr = {"frames", o->frames, 0, now(), 0, isatty(fileno(stderr))};
    tally t = {0};
    int rc = 0;
    for (int64_t i = 0; i < o->frames && !rc; i++) {
        synth_frame f;
        synth_video_frame(g, &f);
        char name[4096 + 32];
        snprintf(name, sizeof name, "%s#%06lld", base, (long long)i);
        if (mo_synth_video_write(v, f.rgb, &err) != MO_OK ||
            synth_coco_add(coco, i + 1, name, i, &f, &err) != MO_OK) {
            cli_error("synth", "%s", err.message);
            rc = 1;
        }
        tally_add(&t, &f, sp->small_size);
        pr.done = i + 1;
        progress_show(&pr, 0);
    }
    char json[4096 + 8];
    snprintf(json, sizeof json, "%s.json", o->video);
    synth_info info = {o->split, o->seed, o->frames, base, o->fps};
    if (!rc && synth_coco_write(coco, json, sp, &info, &err) != MO_OK) {
        cli_error("synth", "%s", err.message);
        rc = 1;
    }
    synth_coco_free(coco);
    if (rc) {
        mo_synth_video_abort(v);
        remove(json);
        return 1;
    }
    if (mo_synth_video_finish(v, &err) != MO_OK) {
        cli_error("synth", "%s", err.message);
        remove(json);
        return 1;
    }
    progress_show(&pr, 1);
    tally_print(&t, o->frames, "frames");
    return 0;
}

static int parse_seed(const char *s, uint64_t *out) {
    long v;
    if (!cli_parse_int(s, 0, 0x7FFFFFFFFFFFFFFFL, &v)) return 0;
    *out = (uint64_t)v;
    return 1;
}

int mo_cmd_synth(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    options o = {.split = "train",
                 .images = -1,
                 .frames = -1,
                 .width = 320,
                 .height = 320,
                 .fps = 10,
                 .quality = 92};
    int have_seed = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int r;
        long n;
        if ((r = cli_flag(argc, argv, &i, "--out", &v))) {
            if (r < 0) return 2;
            o.out = v;
        } else if ((r = cli_flag(argc, argv, &i, "--images", &v))) {
            if (r < 0) return 2;
            if (!cli_parse_int(v, 0, 100000000, &n)) {
                cli_error("synth", "--images '%s': expected a count 0..100000000", v);
                return 2;
            }
            o.images = n;
        } else if ((r = cli_flag(argc, argv, &i, "--frames", &v))) {
            if (r < 0) return 2;
            if (!cli_parse_int(v, 1, 10000000, &n)) {
                cli_error("synth", "--frames '%s': expected a count 1..10000000", v);
                return 2;
            }
            o.frames = n;
        } else if ((r = cli_flag(argc, argv, &i, "--video", &v))) {
            if (r < 0) return 2;
            o.video = v;
        } else if ((r = cli_flag(argc, argv, &i, "--size", &v))) {
            if (r < 0) return 2;
            if (!cli_parse_size(v, &o.width, &o.height) || o.width < 32 || o.height < 32) {
                cli_error("synth", "--size '%s': expected WxH or one number, 32..16384", v);
                return 2;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--seed", &v))) {
            if (r < 0) return 2;
            if (!parse_seed(v, &o.seed)) {
                cli_error("synth", "--seed '%s': expected an integer 0..2^63-1", v);
                return 2;
            }
            have_seed = 1;
        } else if ((r = cli_flag(argc, argv, &i, "--split", &v))) {
            if (r < 0) return 2;
            o.split = v;
        } else if ((r = cli_flag(argc, argv, &i, "--fps", &v))) {
            if (r < 0) return 2;
            if (!cli_parse_float(v, &o.fps) || !(o.fps > 0 && o.fps <= 1000)) {
                cli_error("synth", "--fps '%s': expected a rate in (0, 1000]", v);
                return 2;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--quality", &v))) {
            if (r < 0) return 2;
            if (!cli_parse_int(v, 1, 100, &n)) {
                cli_error("synth", "--quality '%s': expected 1..100", v);
                return 2;
            }
            o.quality = (int)n;
        } else {
            cli_error("synth", "unknown option '%s' (mobileone synth --help)", argv[i]);
            return 2;
        }
    }
    if (!have_seed) {
        static const char *const splits[3] = {"train", "val", "test"};
        for (int k = 0; k < 3; k++)
            if (!strcmp(o.split, splits[k])) o.seed = (uint64_t)k + 1, have_seed = 1;
        if (!have_seed) {
            cli_error("synth",
                      "split '%s' has no project seed (train 1, val 2, test 3): give "
                      "--seed",
                      o.split);
            return 2;
        }
    }
    if (o.images < 0) o.images = o.video ? 0 : 100;
    if (o.frames >= 0 && !o.video) {
        cli_error("synth", "--frames needs --video FILE");
        return 2;
    }
    if (o.frames < 0) o.frames = 100;
    if (o.images > 0 && !o.out) {
        cli_error("synth", "--out DIR is required for images (or give --images 0 --video FILE)");
        return 2;
    }
    if (o.images == 0 && !o.video) {
        cli_error("synth", "nothing to make: --images 0 and no --video");
        return 2;
    }
    mo_error err;
    synth_params sp = synth_default_params(o.width, o.height);
    synth_gen *g;
    if (synth_gen_create(&g, &sp, &err) != MO_OK) {
        cli_error("synth", "%s", err.message);
        return 1;
    }
    int rc = 0;
    if (o.images > 0) rc = write_images(&o, &sp, g);
    if (!rc && o.video) rc = write_video(&o, &sp, g);
    synth_gen_free(g);
    return rc;
}
