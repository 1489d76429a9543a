/* cmd_segment.c - `mobileone segment`: label maps (and color overlays) for images and videos.
 *
 * Per image: decode (RGB) -> x / 255, normalize -> F.interpolate to the model size (bilinear,
 * align_corners = false, no antialias) -> network (logits at the model size) -> the logits
 * upsampled again to the ORIGINAL size (same interpolation) -> argmax (lowest class on ties) ->
 * an 8-bit grey PNG of class indices, DIR/<name>.png; with --overlay also DIR/<name>_overlay.png.
 * A video gives DIR/<name>.mp4 (overlay frames) with --overlay, else one label PNG per frame
 * (DIR/<name>_<frame>.png). Every file is written under a temporary name and renamed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "default_model.h"
#include "image.h"
#include "mobileone.h"
#include "profile.h"
#include "seg_palette.h"
#include "seg_png.h"
#include "seg_sources.h"
#include "seg_upsample.h"
#include "seg_video.h"

static const char usage[] =
    "usage: mobileone segment [--model M] [--output DIR] [--overlay] [--opacity A]\n"
    "                         [--palette voc|ade20k|FILE] [--size S] [--flip on|off]\n"
    "                         [--threads N] [--config C] SOURCE...\n"
    "\n"
    "Writes the label map of each image as an 8-bit grey PNG of class indices, DIR/<name>.png, at\n"
    "the image's own size. SOURCE is an image, a folder of images, a list file (.txt, one path a\n"
    "line) or a video (.mp4 .avi .mov .mkv .webm .m4v).\n"
    "  --model M        segmentation model (.safetensors, task \"segment\"); default: the\n"
    "                   shipped " MO_DEFAULT_SEGMENT_MODEL " (synth shapes)\n"
    "  --output DIR     where to write (default: the current folder; created if missing)\n"
    "  --overlay        also write DIR/<name>_overlay.png, the image blended with class colors;\n"
    "                   for a video: DIR/<name>.mp4 of overlay frames instead of label PNGs\n"
    "  --opacity A      the colors' weight in the overlay, 0..1 (default 0.5)\n"
    "  --palette P      voc (21-color VOC colormap), ade20k (mmseg's 150 colors) or a file of\n"
    "                   'R G B' lines (default: the model's config, else by class count)\n"
    "  --size S         network input, WxH or one number (default: the model's, 512x512)\n"
    "  --flip on|off    also run the mirrored image and average the logits (twice the time;\n"
    "                   default: the model's config, segment.flip)\n"
    "  --threads N      threads (default: one per core)\n"
    "  --config C       JSON config overriding the one embedded in the model\n"
    "Images are resized to the network size bilinearly (F.interpolate, align_corners=False) and\n"
    "the logits back to the original size the same way before the argmax. Progress and timing\n"
    "go to stderr. An unreadable input is reported and skipped; the exit status is then 1.\n";

typedef struct seg_opts {
    const char *model, *output, *palette, *config;
    int overlay;
    double opacity;
    int32_t width, height;
    int flip; /* -1: the model's config */
    long threads;
} seg_opts;

/* Seconds spent per stage, over all frames. */
enum { T_DECODE, T_PREPROCESS, T_NETWORK, T_LABELS, T_WRITE, T_STAGES };
static const char *const stage_names[T_STAGES] = {"decode", "preprocess", "network", "labels",
                                                  "write"};

typedef struct seg_run {
    const seg_opts *o;
    mo_model *model;
    mo_model_config cfg;
    mo_palette palette;
    int32_t h, w, num_classes;
    float *normalized, *input; /* original-size scratch (grown), network input */
    size_t normalized_cap;
    uint8_t *labels, *overlay; /* original-size (grown) */
    size_t labels_cap, overlay_cap;
    double seconds[T_STAGES];
    int64_t frames, failed;
    int tty;
    double start;
} seg_run;

static int parse(int argc, char **argv, seg_opts *o, int *first) {
    *o = (seg_opts){.output = ".", .opacity = 0.5, .flip = -1};
    int n = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "--overlay")) {
            o->overlay = 1;
        } else if ((r = cli_flag(argc, argv, &i, "--model", &v))) {
            if (r < 0) return 0;
            o->model = v;
        } else if ((r = cli_flag(argc, argv, &i, "--output", &v))) {
            if (r < 0) return 0;
            o->output = v;
        } else if ((r = cli_flag(argc, argv, &i, "--palette", &v))) {
            if (r < 0) return 0;
            o->palette = v;
        } else if ((r = cli_flag(argc, argv, &i, "--config", &v))) {
            if (r < 0) return 0;
            o->config = v;
        } else if ((r = cli_flag(argc, argv, &i, "--opacity", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_float(v, &o->opacity) || o->opacity < 0 || o->opacity > 1) {
                cli_error("segment", "--opacity '%s': expected a number in 0..1", v);
                return 0;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--size", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_size(v, &o->width, &o->height)) {
                cli_error("segment", "--size '%s': expected WxH or one number, 1..16384", v);
                return 0;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--flip", &v))) {
            if (r < 0) return 0;
            if ((o->flip = cli_parse_on_off(v)) < 0) {
                cli_error("segment", "--flip '%s': expected on or off", v);
                return 0;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--threads", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_int(v, 1, 1024, &o->threads)) {
                cli_error("segment", "--threads '%s': expected an integer in 1..1024", v);
                return 0;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("segment", "unknown option '%s' (see --help)", argv[i]);
            return 0;
        } else {
            if (!n++) *first = i;
            argv[*first + n - 1] = argv[i]; /* compact positionals */
        }
    }
    static char default_path[4096 + 512];
    if (!o->model && !(o->model = default_model_find(MO_DEFAULT_SEGMENT_MODEL, default_path,
                                                     sizeof default_path)))
        cli_error("segment", "%s", default_path);
    else if (!n) cli_error("segment", "no SOURCE given (see --help)");
    return o->model && n ? n : 0;
}

static int grow(void **p, size_t *cap, size_t bytes) {
    if (bytes <= *cap) return 1;
    void *q = realloc(*p, bytes);
    if (!q) return 0;
    *p = q;
    *cap = bytes;
    return 1;
}

/* The network input from an RGB image: normalize at the original size, then resize. */
static int preprocess(seg_run *r, const mo_image *img) {
    const size_t n = (size_t)img->width * img->height;
    if (!grow((void **)&r->normalized, &r->normalized_cap, sizeof(float) * 3 * n)) return 0;
    for (size_t p = 0; p < n; p++)
        for (int c = 0; c < 3; c++)
            r->normalized[p * 3 + c] =
                (img->rgb[p * 3 + c] / 255.0f - r->cfg.mean[c]) / r->cfg.std[c];
    f32_resize_bilinear(r->input, r->h, r->w, r->normalized, img->height, img->width, 3, NULL);
    return 1;
}

static void lap(seg_run *r, int stage, double *t) {
    double now = mo_seconds_now();
    r->seconds[stage] += now - *t;
    *t = now;
}

/* Label map (and overlay) of one image into r->labels / r->overlay. */
static int segment_image(seg_run *r, const mo_image *img, double *t, const char *what) {
    mo_error err;
    const size_t n = (size_t)img->width * img->height;
    if (!grow((void **)&r->labels, &r->labels_cap, n) ||
        !grow((void **)&r->overlay, &r->overlay_cap, 3 * n) || !preprocess(r, img)) {
        cli_error("segment", "%s: out of memory for a %dx%d image", what, img->width,
                  img->height);
        return 0;
    }
    lap(r, T_PREPROCESS, t);
    if (mo_segment(r->model, r->input, NULL, &err) != MO_OK) {
        cli_error("segment", "%s: %s", what, err.message);
        return 0;
    }
    lap(r, T_NETWORK, t);
    if (mo_segment_labels(r->model, img->height, img->width, r->labels, &err) != MO_OK) {
        cli_error("segment", "%s: %s", what, err.message);
        return 0;
    }
    if (r->o->overlay)
        mo_overlay(r->overlay, img->rgb, r->labels, (int64_t)n, &r->palette,
                   (float)r->o->opacity);
    lap(r, T_LABELS, t);
    return 1;
}

static void progress(seg_run *r, int64_t done, int64_t total, const char *name) {
    double elapsed = mo_seconds_now() - r->start;
    double fps = elapsed > 0 ? (double)done / elapsed : 0;
    if (r->tty)
        fprintf(stderr, "\r\033[Ksegment: %lld/%lld  %.2f fps  %s", (long long)done,
                (long long)total, fps, name);
    else
        fprintf(stderr, "segment: %lld/%lld  %.2f fps  %s\n", (long long)done, (long long)total,
                fps, name);
}

static void out_path(char *out, size_t size, const char *dir, const char *stem,
                     const char *suffix) {
    snprintf(out, size, "%s/%s%s", dir, stem, suffix);
}

static int do_image(seg_run *r, const char *path, int32_t index, int32_t total) {
    double t = mo_seconds_now();
    mo_error err;
    mo_image img;
    if (mo_image_read(&img, path, &err) != MO_OK) {
        if (r->tty) fputc('\n', stderr);
        cli_error("segment", "%s", err.message);
        progress(r, index + 1, total, path);
        return 0;
    }
    lap(r, T_DECODE, &t);
    int ok = segment_image(r, &img, &t, path);
    char stem[1024], file[4096];
    seg_stem(path, stem, sizeof stem);
    if (ok) {
        out_path(file, sizeof file, r->o->output, stem, ".png");
        ok = mo_png_write_gray8(file, r->labels, img.width, img.height, &err) == MO_OK;
    }
    if (ok && r->o->overlay) {
        out_path(file, sizeof file, r->o->output, stem, "_overlay.png");
        ok = mo_png_write_rgb8(file, r->overlay, img.width, img.height, &err) == MO_OK;
    }
    if (!ok && err.message[0]) cli_error("segment", "%s", err.message);
    lap(r, T_WRITE, &t);
    mo_image_free(&img);
    r->frames += ok;
    progress(r, index + 1, total, path);
    return ok;
}

static int do_video(seg_run *r, const char *path) {
    mo_error err = {0};
    mo_seg_video_reader *in;
    int32_t vw, vh;
    double fps;
    int64_t count;
    if (mo_seg_video_open(&in, path, &vw, &vh, &fps, &count, &err) != MO_OK) {
        cli_error("segment", "%s", err.message);
        return 0;
    }
    char stem[1024], file[4096], tmp[4096];
    seg_stem(path, stem, sizeof stem);
    mo_seg_video_writer *out = NULL;
    out_path(file, sizeof file, r->o->output, stem, ".mp4");
    out_path(tmp, sizeof tmp, r->o->output, stem, ".tmp.mp4");
    if (r->o->overlay && mo_seg_video_writer_open(&out, tmp, vw, vh, fps, &err) != MO_OK) {
        cli_error("segment", "%s", err.message);
        mo_seg_video_close(in);
        return 0;
    }
    mo_image frame = {0};
    int ok = 1;
    int64_t n = 0;
    double t = mo_seconds_now();
    while (ok && mo_seg_video_read(in, &frame)) {
        lap(r, T_DECODE, &t);
        ok = segment_image(r, &frame, &t, path);
        if (ok && out) {
            mo_seg_video_write(out, r->overlay);
        } else if (ok) {
            char suffix[32], png[4096];
            snprintf(suffix, sizeof suffix, "_%06lld.png", (long long)n);
            out_path(png, sizeof png, r->o->output, stem, suffix);
            ok = mo_png_write_gray8(png, r->labels, frame.width, frame.height, &err) == MO_OK;
            if (!ok) cli_error("segment", "%s", err.message);
        }
        lap(r, T_WRITE, &t);
        n++;
        r->frames += ok;
        progress(r, n, count > 0 ? count : n, path);
    }
    mo_image_free(&frame);
    mo_seg_video_close(in);
    if (out) {
        mo_seg_video_writer_close(out);
        if (ok && n > 0 && rename(tmp, file) != 0) {
            cli_error("segment", "%s: cannot rename %s: %s", file, tmp, strerror(errno));
            ok = 0;
        }
        if (!ok || n == 0) remove(tmp);
    }
    if (n == 0) cli_error("segment", "%s: no frames could be decoded", path);
    return ok && n > 0;
}

static void report(const seg_run *r) {
    if (r->tty) fputc('\n', stderr);
    double total = mo_seconds_now() - r->start;
    fprintf(stderr, "segment: %lld frame(s) in %.2f s (%.2f fps), %lld failed; per frame:",
            (long long)r->frames, total, total > 0 ? r->frames / total : 0,
            (long long)r->failed);
    for (int s = 0; s < T_STAGES; s++)
        fprintf(stderr, " %s %.1f ms%s", stage_names[s],
                r->frames ? 1e3 * r->seconds[s] / (double)r->frames : 0.0,
                s + 1 < T_STAGES ? "," : "");
    fprintf(stderr, "%s\n",
            mo_model_get_segment_config(r->model).flip ? " (flip on: two passes per frame)" : "");
}

static int setup(seg_run *r, const seg_opts *o) {
    mo_error err;
    mo_model_params params = mo_model_default_params();
    params.config_path = o->config;
    params.threads = (int32_t)o->threads;
    if (mo_model_load(&r->model, o->model, &params, &err) != MO_OK) {
        cli_error("segment", "%s", err.message);
        return 0;
    }
    r->cfg = mo_model_get_config(r->model);
    mo_model_info info;
    r->h = o->height ? o->height : r->cfg.input_size[0];
    r->w = o->width ? o->width : r->cfg.input_size[1];
    if (mo_model_get_info(r->model, r->h, r->w, &info, &err) != MO_OK ||
        mo_model_plan(r->model, r->h, r->w, &err) != MO_OK) {
        cli_error("segment", "%s", err.message);
        return 0;
    }
    if (strcmp(info.task, "segment")) {
        cli_error("segment", "%s: the model's task is '%s', not 'segment'", o->model, info.task);
        return 0;
    }
    r->num_classes = info.num_classes;
    if (o->flip >= 0 && mo_model_set_segment_flip(r->model, o->flip, &err) != MO_OK) {
        cli_error("segment", "%s", err.message);
        return 0;
    }
    mo_segment_config sc = mo_model_get_segment_config(r->model);
    if (mo_palette_load(&r->palette, o->palette ? o->palette : sc.palette, r->num_classes,
                        &err) != MO_OK) {
        cli_error("segment", "%s", err.message);
        return 0;
    }
    if (mkdir(o->output, 0777) != 0 && errno != EEXIST) {
        cli_error("segment", "%s: cannot create the output folder: %s", o->output,
                  strerror(errno));
        return 0;
    }
    r->input = malloc(sizeof(float) * 3 * (size_t)r->h * (size_t)r->w);
    if (!r->input) cli_error("segment", "out of memory");
    return r->input != NULL;
}

int mo_cmd_segment(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    seg_opts o;
    int first = 0, n_sources = parse(argc, argv, &o, &first);
    if (!n_sources) return 2;
    seg_run r = {.o = &o, .tty = isatty(fileno(stderr))};
    seg_inputs inputs = {0};
    int status = 0;
    for (int i = 0; i < n_sources; i++)
        if (!seg_inputs_add(&inputs, argv[first + i])) status = 1;
    if (inputs.count && setup(&r, &o)) {
        r.start = mo_seconds_now();
        int32_t images = 0;
        for (int32_t i = 0; i < inputs.count; i++) images += !inputs.items[i].is_video;
        for (int32_t i = 0, done = 0; i < inputs.count; i++) {
            const seg_input *in = &inputs.items[i];
            int ok = in->is_video ? do_video(&r, in->path) : do_image(&r, in->path, done, images);
            done += !in->is_video;
            if (!ok) status = 1, r.failed++;
        }
        report(&r);
    } else {
        status = 1;
    }
    seg_inputs_free(&inputs);
    free(r.normalized), free(r.input), free(r.labels), free(r.overlay);
    mo_model_free(r.model);
    return status;
}
