/* cmd_detect.c - `mobileone detect`: SSDLite detections for images, folders, lists, videos and
 * cameras; annotated images or video, COCO results JSON, JSON Lines; progress and per-stage
 * timing on stderr.
 *
 * Preprocessing (io/detect_input.h): RGB / 255, ImageNet mean/std, then bilinear resize to the
 * model's input size as torchvision's F.interpolate (align_corners = False, no antialias), the
 * aspect ratio not kept; boxes are scaled back by W0 / W and H0 / H. All outputs are written
 * under temporary names and renamed when complete, except JSON Lines (flushed line by line).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "class_names.h"
#include "cli.h"
#include "coco_names.h"
#include "commands.h"
#include "default_model.h"
#include "detect_input.h"
#include "detect_outputs.h"
#include "detect_sources.h"
#include "draw.h"
#include "frame_writer.h"
#include "mobileone.h"
#include "video.h"

static const char usage[] =
    "usage: mobileone detect [--model M] [options] SOURCE\n"
    "\n"
    "Detects objects with a MobileOne-SSDLite model. SOURCE is an image, a folder of images, a\n"
    "text file listing images (one a line), a video file or a camera index (0).\n"
    "  --model M        model file (.safetensors, task \"detect\"); default: the shipped\n"
    "                   " MO_DEFAULT_DETECT_MODEL " (synth shapes; see models/)\n"
    "  --config C       JSON config overriding the one embedded in the model\n"
    "  --conf X         keep detections scoring above X (default 0.3; 0.001 for COCO eval)\n"
    "  --classes FILE   class names, one a line, line i naming label i (line 0: background);\n"
    "                   default: the config's, or COCO's 91 for 91-class models\n"
    "  --output PATH    annotated output: a video file (.avi MJPG, .mp4 mp4v) for video and\n"
    "                   camera sources; an image file for one image; else a folder\n"
    "  --no-draw        write --output frames without boxes\n"
    "  --json FILE      COCO results JSON [{\"image_id\",\"category_id\",\"bbox\",\"score\"}]\n"
    "  --coco-gt FILE   COCO annotation file: image ids by file name (default: the index)\n"
    "  --jsonl FILE     JSON Lines, one line a frame: {\"frame\",\"t_ms\",\"detections\":[...]}\n"
    "                   (t_ms: the video timestamp, or ms since the start for images/cameras)\n"
    "  --every N        run the network on every Nth frame (default 1); the frames between\n"
    "                   are written with the last detections\n"
    "  --tta MODE       test-time augmentation: none, hflip (the mirror too: 2 passes),\n"
    "                   flips (and the vertical flips: 4), d8 (and the transposes: 8; a square\n"
    "                   input); per-anchor means before the postprocess (default: the model's\n"
    "                   config, detect.tta)\n"
    "  --zoom N         also run the input enlarged N times (2..4; 1: off) and add its\n"
    "                   detections of small objects (default: the config's detect.zoom)\n"
    "  --threads N      threads (default: one per core)\n"
    "Image sources print their detections on stdout unless --json or --jsonl is given.\n";

typedef struct detect_opts {
    const char *model, *config, *classes, *output, *json, *jsonl, *coco_gt, *source;
    double conf;
    long every, threads;
    int no_draw;
    int tta; /* an mo_detect_tta, or -1: the model's config */
    long zoom; /* 0: the model's config */
} detect_opts;

/* Seconds per stage, summed. */
enum { T_DECODE, T_PRE, T_NET, T_POST, T_DRAW, T_STAGES };
static const char *const stage_names[T_STAGES] = {"decode", "preprocess", "network",
                                                  "postprocess", "draw+encode"};

typedef struct detect_run {
    detect_opts o;
    mo_model *model;
    mo_model_config cfg;
    int32_t h, w, capacity;
    int overlapped; /* video frames drawn and written by a frame_writer thread */
    float *input;
    mo_detection *dets;
    int32_t num_dets;
    class_names file_names;
    const char *const *names;
    int32_t num_names;
    coco_json_out json;
    FILE *jsonl;
    coco_image_ids gt;
    double t[T_STAGES], start, last_progress;
    int64_t frames, processed;
    int tty;
} detect_run;

static volatile sig_atomic_t stop_requested;

static void on_sigint(int sig) {
    (void)sig;
    stop_requested = 1;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int parse(int argc, char **argv, detect_opts *o) {
    *o = (detect_opts){.conf = 0.3, .every = 1, .tta = -1};
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "--no-draw")) {
            o->no_draw = 1;
        } else if ((r = cli_flag(argc, argv, &i, "--model", &v))) {
            if (r < 0) return 0;
            o->model = v;
        } else if ((r = cli_flag(argc, argv, &i, "--config", &v))) {
            if (r < 0) return 0;
            o->config = v;
        } else if ((r = cli_flag(argc, argv, &i, "--classes", &v))) {
            if (r < 0) return 0;
            o->classes = v;
        } else if ((r = cli_flag(argc, argv, &i, "--output", &v))) {
            if (r < 0) return 0;
            o->output = v;
        } else if ((r = cli_flag(argc, argv, &i, "--jsonl", &v))) {
            if (r < 0) return 0;
            o->jsonl = v;
        } else if ((r = cli_flag(argc, argv, &i, "--json", &v))) {
            if (r < 0) return 0;
            o->json = v;
        } else if ((r = cli_flag(argc, argv, &i, "--coco-gt", &v))) {
            if (r < 0) return 0;
            o->coco_gt = v;
        } else if ((r = cli_flag(argc, argv, &i, "--conf", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_float(v, &o->conf) || o->conf < 0 || o->conf >= 1) {
                cli_error("detect", "--conf '%s': expected a number in [0, 1)", v);
                return 0;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--every", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_int(v, 1, 1000000, &o->every)) {
                cli_error("detect", "--every '%s': expected a positive integer", v);
                return 0;
            }
        } else if ((r = cli_flag(argc, argv, &i, "--tta", &v))) {
            if (r < 0 || !cli_parse_tta("detect", v, &o->tta)) return 0;
        } else if ((r = cli_flag(argc, argv, &i, "--zoom", &v))) {
            if (r < 0 || !cli_parse_zoom("detect", v, &o->zoom)) return 0;
        } else if ((r = cli_flag(argc, argv, &i, "--threads", &v))) {
            if (r < 0) return 0;
            if (!cli_parse_int(v, 1, 1024, &o->threads)) {
                cli_error("detect", "--threads '%s': expected 1..1024", v);
                return 0;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("detect", "unknown option '%s' (see --help)", argv[i]);
            return 0;
        } else if (o->source) {
            cli_error("detect", "one SOURCE only ('%s' and '%s'); use a folder or a list file",
                      o->source, argv[i]);
            return 0;
        } else {
            o->source = argv[i];
        }
    }
    static char default_path[4096 + 512];
    if (!o->model && !(o->model = default_model_find(MO_DEFAULT_DETECT_MODEL, default_path,
                                                     sizeof default_path)))
        cli_error("detect", "%s", default_path);
    else if (!o->source) cli_error("detect", "no SOURCE given (see --help)");
    return o->model && o->source;
}

/* Loads and plans the model; picks class names. */
static int setup(detect_run *r) {
    mo_error err;
    mo_model_params params = mo_model_default_params();
    params.config_path = r->o.config;
    params.threads = (int32_t)r->o.threads;
    if (mo_model_load(&r->model, r->o.model, &params, &err) != MO_OK) {
        cli_error("detect", "%s", err.message);
        return 0;
    }
    r->cfg = mo_model_get_config(r->model);
    mo_detect_config dc = mo_model_get_detect_config(r->model);
    if (!dc.num_classes) {
        cli_error("detect", "%s: not a detection model (task \"detect\" in its config)",
                  r->o.model);
        return 0;
    }
    r->h = r->cfg.input_size[0];
    r->w = r->cfg.input_size[1];
    if ((r->o.tta >= 0 && mo_model_set_detect_tta(r->model, r->o.tta, &err) != MO_OK) ||
        (r->o.zoom && mo_model_set_detect_zoom(r->model, (int32_t)r->o.zoom, &err) != MO_OK)) {
        cli_error("detect", "%s", err.message);
        return 0;
    }
    if (mo_model_plan(r->model, r->h, r->w, &err) != MO_OK) {
        cli_error("detect", "%s", err.message);
        return 0;
    }
    r->capacity = dc.max_dets;
    r->input = malloc(sizeof(float) * 3 * (size_t)r->h * r->w);
    r->dets = malloc(sizeof(mo_detection) * (size_t)r->capacity);
    if (!r->input || !r->dets) {
        cli_error("detect", "out of memory");
        return 0;
    }
    if (r->o.classes) {
        if (!class_names_read(&r->file_names, r->o.classes, "detect")) return 0;
        r->names = (const char *const *)r->file_names.names;
        r->num_names = r->file_names.count;
    } else if (r->cfg.num_class_names) {
        r->names = r->cfg.class_names;
        r->num_names = r->cfg.num_class_names;
    } else if (dc.num_classes == MO_COCO91_COUNT) {
        r->names = mo_coco91_names;
        r->num_names = MO_COCO91_COUNT;
    }
    return 1;
}

static int open_outputs(detect_run *r) {
    if (r->o.coco_gt && !coco_image_ids_load(&r->gt, r->o.coco_gt)) return 0;
    if (r->o.json && !coco_json_open(&r->json, r->o.json)) return 0;
    if (r->o.jsonl) {
        r->jsonl = fopen(r->o.jsonl, "w");
        if (!r->jsonl) {
            cli_error("detect", "%s: cannot write: %s", r->o.jsonl, strerror(errno));
            return 0;
        }
    }
    return 1;
}

/* Preprocess, network, postprocess for one frame; the result in r->dets / r->num_dets. */
static int run_frame(detect_run *r, const mo_image *img) {
    mo_error err;
    double t0 = now();
    mo_preprocess_detect(img, r->h, r->w, r->cfg.mean, r->cfg.std, r->input);
    double t1 = now();
    if (mo_detect(r->model, r->input, img->width, img->height, (float)r->o.conf, r->dets,
                  r->capacity, &r->num_dets, &err) != MO_OK) {
        cli_error("detect", "%s", err.message);
        return 0;
    }
    double net, post;
    mo_detect_last_timings(r->model, &net, &post);
    r->t[T_PRE] += t1 - t0;
    r->t[T_NET] += net;
    r->t[T_POST] += post;
    r->processed++;
    return 1;
}

/* JSON, JSON Lines and stdout for one processed frame. */
static int record(detect_run *r, int64_t frame, double t_ms, const char *image) {
    if (r->jsonl && !jsonl_write_frame(r->jsonl, frame, t_ms, image, r->dets, r->num_dets,
                                       r->names, r->num_names)) {
        cli_error("detect", "%s: write failed: %s", r->o.jsonl, strerror(errno));
        return 0;
    }
    if (r->o.json) {
        int64_t id = frame;
        if (r->o.coco_gt && image) {
            id = coco_image_ids_find(&r->gt, image);
            if (id < 0) {
                cli_error("detect", "%s: not among the images of %s", image, r->o.coco_gt);
                return 0;
            }
        }
        if (!coco_json_add(&r->json, id, r->dets, r->num_dets)) {
            cli_error("detect", "%s: write failed", r->o.json);
            return 0;
        }
    }
    if (image && !r->o.json && !r->o.jsonl) {
        printf("%s: %d detection%s\n", image, r->num_dets, r->num_dets == 1 ? "" : "s");
        for (int32_t i = 0; i < r->num_dets; i++) {
            const mo_detection *d = &r->dets[i];
            const char *name = d->label < r->num_names && r->names ? r->names[d->label] : NULL;
            printf("  %-16s %.3f  [%.1f, %.1f, %.1f, %.1f]\n", name ? name : "?", d->score, d->x,
                   d->y, d->w, d->h);
        }
        fflush(stdout);
    }
    return 1;
}

static void progress(detect_run *r, int64_t total, int final) {
    double t = now(), elapsed = t - r->start;
    if (!final && t - r->last_progress < (r->tty ? 0.25 : 5.0)) return;
    r->last_progress = t;
    double fps = elapsed > 0 ? r->frames / elapsed : 0;
    char eta[32] = "";
    if (total > 0 && fps > 0 && r->frames < total)
        snprintf(eta, sizeof eta, ", ETA %.0f s", (total - r->frames) / fps);
    char line[160];
    if (total > 0)
        snprintf(line, sizeof line, "frame %lld/%lld, %.1f fps%s", (long long)r->frames,
                 (long long)total, fps, eta);
    else
        snprintf(line, sizeof line, "frame %lld, %.1f fps", (long long)r->frames, fps);
    if (r->tty) fprintf(stderr, "\r%-60s%s", line, final ? "\n" : "");
    else fprintf(stderr, "%s\n", line);
}

static void summary(const detect_run *r) {
    double elapsed = now() - r->start;
    fprintf(stderr, "detect: %lld frame%s (%lld through the network) in %.2f s, %.1f fps\n",
            (long long)r->frames, r->frames == 1 ? "" : "s", (long long)r->processed, elapsed,
            elapsed > 0 ? r->frames / elapsed : 0);
    fprintf(stderr, "time per frame:");
    for (int s = 0; s < T_STAGES; s++) {
        int64_t n = (s == T_PRE || s == T_NET || s == T_POST) ? r->processed : r->frames;
        fprintf(stderr, "%s %s %.2f ms", s ? "," : "", stage_names[s],
                n ? 1e3 * r->t[s] / n : 0.0);
    }
    const mo_detect_config dc = mo_model_get_detect_config(r->model);
    fprintf(stderr, " (input %dx%d", r->w, r->h);
    if (dc.tta != MO_TTA_NONE)
        fprintf(stderr, "; test-time augmentation %s: %d passes per frame",
                mo_detect_tta_name(dc.tta), mo_detect_tta_passes(dc.tta));
    if (dc.zoom > 1)
        fprintf(stderr, "; zoom %d: the same again at %dx%d", dc.zoom, r->w * dc.zoom,
                r->h * dc.zoom);
    fprintf(stderr, ")\n");
    if (r->frames && elapsed > 0)
        fprintf(stderr, "wall time per frame %.2f ms: network %.0f %%, everything else %.0f %%%s\n",
                1e3 * elapsed / r->frames, 100 * r->t[T_NET] / elapsed,
                100 * (1 - r->t[T_NET] / elapsed),
                r->overlapped ? " (drawing and encoding overlap in a thread of their own)" : "");
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where an annotated image goes: the --output file, or the folder / base name. */
static void output_image_path(const detect_run *r, const char *image, int single, char *out,
                              size_t size) {
    if (single && detect_is_image_path(r->o.output) && !is_dir(r->o.output)) {
        snprintf(out, size, "%s", r->o.output);
        return;
    }
    const char *slash = strrchr(image, '/');
    snprintf(out, size, "%s/%s", r->o.output, slash ? slash + 1 : image);
}

static int run_images(detect_run *r, const detect_source *src) {
    const int single = src->count == 1;
    if (r->o.output && !(single && detect_is_image_path(r->o.output)) && !is_dir(r->o.output) &&
        mkdir(r->o.output, 0777) != 0) {
        cli_error("detect", "%s: cannot create the output folder: %s", r->o.output,
                  strerror(errno));
        return 1;
    }
    int status = 0;
    mo_error err;
    for (int32_t i = 0; i < src->count && !stop_requested; i++) {
        const char *path = src->paths[i];
        mo_image img = {0};
        double t0 = now();
        if (mo_image_read(&img, path, &err) != MO_OK) {
            cli_error("detect", "%s", err.message);
            status = 1;
            continue;
        }
        r->t[T_DECODE] += now() - t0;
        r->frames++;
        int ok = run_frame(r, &img) && record(r, i, 1e3 * (now() - r->start), path);
        if (ok && r->o.output) {
            t0 = now();
            char out[4096];
            output_image_path(r, path, single, out, sizeof out);
            if (!r->o.no_draw) mo_draw_detections(&img, r->dets, r->num_dets, r->names,
                                                  r->num_names);
            if (mo_image_write(out, &img, &err) != MO_OK) {
                cli_error("detect", "%s", err.message);
                ok = 0;
            }
            r->t[T_DRAW] += now() - t0;
        }
        mo_image_free(&img);
        if (!ok) return 1;
        if (src->count > 1) progress(r, src->count, 0);
    }
    if (src->count > 1) progress(r, src->count, 1);
    return status;
}

static int run_video(detect_run *r, const char *source, int camera) {
    mo_video_reader *reader;
    mo_error err;
    if (mo_video_open(&reader, source, &err) != MO_OK) {
        cli_error("detect", "%s", err.message);
        return 1;
    }
    double fps = mo_video_fps(reader);
    int64_t total = mo_video_frame_count(reader);
    int32_t vw, vh;
    mo_video_size(reader, &vw, &vh);
    mo_video_writer *writer = NULL;
    if (r->o.output) {
        char fourcc[5];
        mo_video_fourcc_for(r->o.output, fourcc);
        if (mo_video_writer_open_for(&writer, r->o.output, fps > 0 ? fps : 30.0, vw, vh,
                                     camera ? 0 : total, &err) != MO_OK) {
            cli_error("detect", "%s", err.message);
            mo_video_close(reader);
            return 1;
        }
        fprintf(stderr, "writing %s (%s, %dx%d, %.3g fps)\n", r->o.output, fourcc, vw, vh,
                fps > 0 ? fps : 30.0);
    }
    if (!open_outputs(r)) {
        mo_video_writer_abort(writer);
        mo_video_close(reader);
        return 1;
    }
    /* Drawing and encoding run in a thread of their own, overlapping the next frame. */
    frame_writer *drawer = NULL;
    r->overlapped = writer != NULL;
    if (writer && frame_writer_start(&drawer, writer, r->names, r->num_names, !r->o.no_draw,
                                     r->capacity, &err) != MO_OK) {
        cli_error("detect", "%s", err.message);
        mo_video_writer_abort(writer);
        mo_video_close(reader);
        return 1;
    }
    mo_image frame = {0};
    int ok = 1;
    for (int64_t i = 0; ok && !stop_requested; i++) {
        double t0 = now();
        if (!mo_video_read(reader, &frame)) break;
        r->t[T_DECODE] += now() - t0;
        r->frames++;
        if (i % r->o.every == 0) {
            double t_ms = !camera && fps > 0 ? 1e3 * i / fps : 1e3 * (now() - r->start);
            ok = run_frame(r, &frame) && record(r, i, t_ms, NULL);
        }
        if (ok && drawer && frame_writer_push(drawer, &frame, r->dets, r->num_dets, &err) !=
                                MO_OK) {
            cli_error("detect", "%s", err.message);
            ok = 0;
        }
        progress(r, total, 0);
    }
    if (drawer && frame_writer_stop(drawer, &r->t[T_DRAW], &err) != MO_OK && ok) {
        cli_error("detect", "%s", err.message);
        ok = 0;
    }
    progress(r, total, 1);
    mo_image_free(&frame);
    mo_video_close(reader);
    if (r->frames == 0 && ok) {
        cli_error("detect", "%s: no frames decoded", source);
        ok = 0;
    }
    if (writer) {
        if (ok) {
            if (mo_video_writer_finish(writer, &err) != MO_OK) {
                cli_error("detect", "%s", err.message);
                ok = 0;
            }
        } else {
            mo_video_writer_abort(writer);
        }
    }
    return ok ? 0 : 1;
}

/* Completes (ok) or removes the COCO JSON and frees everything; returns 0 on a failed write. */
static int teardown(detect_run *r, int ok) {
    int written = 1;
    if (r->json.f) {
        if (ok) written = coco_json_finish(&r->json);
        else coco_json_abort(&r->json);
    }
    if (r->jsonl) fclose(r->jsonl);
    coco_image_ids_free(&r->gt);
    class_names_free(&r->file_names);
    free(r->input);
    free(r->dets);
    mo_model_free(r->model);
    return written;
}

int mo_cmd_detect(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    detect_run r;
    memset(&r, 0, sizeof r);
    if (!parse(argc, argv, &r.o)) return 2;
    detect_source src;
    if (!detect_source_open(&src, r.o.source)) return 1;
    r.tty = isatty(fileno(stderr));
    int status = 1;
    if (setup(&r)) {
        signal(SIGINT, on_sigint);
        r.start = r.last_progress = now();
        if (src.kind == SOURCE_IMAGES)
            status = open_outputs(&r) ? run_images(&r, &src) : 1;
        else
            status = run_video(&r, r.o.source, src.kind == SOURCE_CAMERA);
        if (r.frames) summary(&r);
    }
    /* A failed image among many still completes the JSON for the others (exit status 1). */
    int complete = status == 0 || (src.kind == SOURCE_IMAGES && r.frames > 0);
    if (!teardown(&r, complete)) status = 1;
    detect_source_free(&src);
    return status;
}
