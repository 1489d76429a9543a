/* mobileone.h - the public C API of the mobileone toolkit.
 *
 * Runs Apple's MobileOne backbone, reparameterized, under a classifier (and later SSDLite and
 * DeepLabv3 heads). One header of opaque handles: load a model file (safetensors), plan it for
 * an input size, run it without allocating, free it.
 *
 * Conventions: images enter as f32 NHWC (1, H, W, 3), already normalized; every function that
 * can fail returns an mo_status and, when `err` is not NULL, fills it with one sentence that
 * names the object, the value and the rule. The library never prints and never exits.
 */
#ifndef MOBILEONE_H
#define MOBILEONE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mo_status {
    MO_OK = 0,
    MO_ERR_ARGUMENT,    /* a caller passed something invalid */
    MO_ERR_IO,          /* a file could not be opened, read, mapped or written */
    MO_ERR_FORMAT,      /* a file is malformed (header, JSON, offsets, dtype) */
    MO_ERR_MISSING,     /* a tensor or field the model needs is absent */
    MO_ERR_SHAPE,       /* a tensor's shape does not fit the architecture */
    MO_ERR_UNSUPPORTED, /* well-formed but not something we run */
    MO_ERR_MEMORY,      /* an allocation failed */
} mo_status;

/* The enum's name as a string, e.g. "MO_ERR_SHAPE". Never NULL. */
const char *mo_status_name(mo_status status);

#define MO_ERROR_MESSAGE_SIZE 512

/* A status and the sentence that explains it; owned by the caller, usually on the stack. */
typedef struct mo_error {
    mo_status status;
    char message[MO_ERROR_MESSAGE_SIZE];
} mo_error;

typedef struct mo_model mo_model;

typedef struct mo_model_params {
    const char *config_path; /* JSON config that overrides the one embedded in the file; NULL: none */
    int32_t threads;         /* threads for run(), the caller's included; 0: one per core */
    int32_t scalar_kernels;  /* 1: run the scalar reference kernels (for checks); 0: fastest */
} mo_model_params;

mo_model_params mo_model_default_params(void);

/* Loads `path`, checks every tensor against the architecture it implies and folds every
 * BatchNorm and branch (reparameterization). On success *out owns the model (free with
 * mo_model_free); on error *out is NULL and nothing is leaked. */
mo_status mo_model_load(mo_model **out, const char *path, const mo_model_params *params,
                        mo_error *err);
void mo_model_free(mo_model *model);

typedef struct mo_model_info {
    char variant[16];         /* "s0".."s4", or "custom" for other widths / depths */
    char task[16];            /* "classify", "detect" or "segment" */
    int32_t fused_in_file;    /* 1 if the file held the fused (inference) form */
    int32_t num_branches;     /* k, the number of conv branches of stages 1-4 (1 when fused) */
    int32_t has_se;           /* squeeze-excite blocks present */
    int32_t widths[5];        /* stem, stage1..4 output channels */
    int32_t blocks[4];        /* blocks per stage (a block is a dw + pw pair) */
    int32_t num_classes;      /* classifier outputs */
    int64_t params;           /* parameters of the fused model */
    int64_t macs;             /* multiply-accumulates at the planned (or default) input size */
    int32_t input_size[2];    /* H, W the info was computed for */
    int64_t arena_bytes;      /* activation memory at that size */
} mo_model_info;

/* Shapes and costs at input size h x w (0, 0: the config's default size). */
mo_status mo_model_get_info(const mo_model *model, int32_t h, int32_t w, mo_model_info *info,
                            mo_error *err);

/* Prepares the model to run at h x w: every shape and one activation arena. May be called again
 * for another size. run() never allocates. */
mo_status mo_model_plan(mo_model *model, int32_t h, int32_t w, mo_error *err);

/* Classification: input (1, H, W, 3) f32 NHWC normalized at the planned size; writes
 * num_classes logits into `logits` (caller-owned). */
mo_status mo_classify(mo_model *model, const float *input_nhwc, float *logits, mo_error *err);

/* Benchmarks: runs the whole network on input_nhwc at the planned size (classifier logits,
 * detection head outputs or segmentation logits), without postprocessing, once: a segmenter's
 * test-time flipping, which doubles mo_segment's time, and a detector's test-time augmentation
 * are left out. */
mo_status mo_model_forward(mo_model *model, const float *input_nhwc, mo_error *err);

/* Time per layer kind, summed over the runs since profiling was turned on (resets). */
#define MO_PROFILE_KINDS 8
typedef struct mo_model_profile {
    int32_t count;                          /* kinds reported */
    const char *names[MO_PROFILE_KINDS];    /* "stem", "depthwise", "pointwise", "se", "head" */
    double seconds[MO_PROFILE_KINDS];
} mo_model_profile;
void mo_model_set_profiling(mo_model *model, int32_t enable);
void mo_model_get_profile(const mo_model *model, mo_model_profile *out);

/* Time per backbone layer as it runs: a depthwise conv computed inside its pointwise conv (or
 * the stem inside its first pair) is one layer, named after its blocks; a block's SE counts
 * with it. Summed over the runs since profiling was turned on. */
typedef struct mo_model_layer_profile {
    char name[64];    /* "stage1.2+stage1.3", "stage3.10" */
    const char *kind; /* "dw+pw", "depthwise", "pointwise", "stem" */
    int64_t macs;     /* at the planned size */
    double seconds;
} mo_model_layer_profile;
/* Fills up to max layers and returns how many there are (0 before a profiled run). */
int32_t mo_model_get_layer_profile(const mo_model *model, mo_model_layer_profile *out,
                                   int32_t max);

/* Segmentation (task "segment": MobileOne at output stride 16 or 8 under torchvision's DeepLabv3
 * head). Runs the network on input (1, H, W, 3) f32 NHWC normalized at the planned size and
 * keeps its logits at the feature resolution inside the model until the next run or plan (with
 * flipping on, see mo_model_set_segment_flip, the average over the input and its mirror). When
 * `logits` is not NULL it also receives the logits upsampled to the input size (bilinear,
 * align_corners = false, as torch's F.interpolate): (H, W, num_classes) NHWC, caller-owned. */
mo_status mo_segment(mo_model *model, const float *input_nhwc, float *logits, mo_error *err);

/* The label map of the last mo_segment at out_h x out_w (any size, e.g. the original image's):
 * the input-size logits upsampled again (bilinear, align_corners = false), then the argmax over
 * classes; the lowest class wins ties, as torch.argmax. labels: out_h * out_w bytes, row-major,
 * caller-owned. Allocates nothing. */
mo_status mo_segment_labels(mo_model *model, int32_t out_h, int32_t out_w, uint8_t *labels,
                            mo_error *err);

/* The config values of a segmentation model. The palette pointer lives as long as the model. */
typedef struct mo_segment_config {
    int32_t output_stride; /* 16 or 8 */
    int32_t aspp_rates[3]; /* the dilations the head runs with */
    int32_t ignore_index;  /* the data sets' label of unlabelled pixels (255) */
    const char *palette;   /* "voc", "ade20k", a palette file, or "" (choose by class count) */
    int32_t flip;          /* mo_segment averages the logits of the input and of its mirror */
} mo_segment_config;

mo_segment_config mo_model_get_segment_config(const mo_model *model);

/* Test-time flipping (the config's segment.flip by default): with on, mo_segment also runs the
 * network on the input mirrored left to right and averages the two logit maps (the second
 * mirrored back) before any upsampling -- twice the time, usually a better map. Any time after
 * loading; no new plan needed. */
mo_status mo_model_set_segment_flip(mo_model *model, int on, mo_error *err);

/* Detection (task "detect": MobileOne stage3 + stage4 under torchvision's SSDLite head).
 * A detection's box is COCO-style [x, y, w, h] in original-image pixels. */
typedef struct mo_detection {
    float x, y, w, h;
    float score;          /* softmax probability of the class */
    int32_t label;        /* the model's class index, 1..num_classes-1 (0 is background) */
    int32_t category_id;  /* the data set's id: the config's category_ids[label], or label */
} mo_detection;

/* Runs the network (once per pass of the test-time augmentation, mo_model_set_detect_tta) and
 * SSD's postprocess on input (1, H, W, 3) f32 NHWC normalized at the planned size, made from
 * an image of orig_w x orig_h (boxes are scaled by orig / planned). Keeps scores >
 * score_thresh (a negative value: the config's detect.score_thresh, 0.001); writes up to
 * `capacity` detections (the config's max_dets is the most there can be), best first, into
 * `out` (caller-owned) and their number into *count. Allocates nothing. */
mo_status mo_detect(mo_model *model, const float *input_nhwc, int32_t orig_w, int32_t orig_h,
                    float score_thresh, mo_detection *out, int32_t capacity, int32_t *count,
                    mo_error *err);

/* Test-time augmentation for detection (the config's detect.tta; none by default): mo_detect
 * also runs the network on flipped (and transposed) copies of the input, maps each pass's class
 * probabilities and box regressions back onto the original anchors and averages them before the
 * postprocess -- one pass more per symmetry, usually better boxes and scores. The passes, in
 * the order they are added: the input, its mirror (left to right), its vertical flip, both
 * flips, then the same four of its transpose. */
typedef enum mo_detect_tta {
    MO_TTA_NONE = 0, /* "none": 1 pass */
    MO_TTA_HFLIP,    /* "hflip": the input and its mirror, 2 passes */
    MO_TTA_FLIPS,    /* "flips": and the vertical flips, 4 passes */
    MO_TTA_D8        /* "d8": the square's 8 symmetries; needs a square input */
} mo_detect_tta;

/* The mode named "none", "hflip", "flips" or "d8"; -1 for another name. */
int mo_detect_tta_parse(const char *name);
const char *mo_detect_tta_name(mo_detect_tta tta);
/* Network passes per image: 1, 2, 4 or 8. */
int32_t mo_detect_tta_passes(mo_detect_tta tta);

/* Sets the mode any time after loading (no new plan needed); d8 needs a square planned input,
 * checked by mo_model_plan and here. */
mo_status mo_model_set_detect_tta(mo_model *model, mo_detect_tta tta, mo_error *err);

/* Zoom for small objects (the config's detect.zoom; 1, off, by default): mo_detect also runs
 * the network on its input enlarged `zoom` times (bilinear), with every anchor scale divided by
 * zoom so that anchors keep the sizes in pixels the network was trained with. Of that pass's
 * detections, scaled back, those whose side sqrt(w h) is below detect.zoom_max_side (0.2) times
 * the input's sqrt(H W) join the first pass's, and class-wise NMS (detect.nms_thresh) keeps the
 * best max_dets. Small objects are found better enlarged; large ones were never seen that
 * large, so the first pass alone speaks for them. The zoomed pass takes the same test-time
 * augmentation and costs about zoom^2 times the first. Any time after loading: a planned model
 * is planned again (its activations grow about zoom^2 times). */
#define MO_DETECT_MAX_ZOOM 4
mo_status mo_model_set_detect_zoom(mo_model *model, int32_t zoom, mo_error *err);

/* Seconds the last mo_detect spent in the network (backbone + head) and in postprocessing. */
void mo_detect_last_timings(const mo_model *model, double *network_s, double *postprocess_s);

/* The config values of a detection model. Pointers live as long as the model. */
typedef struct mo_detect_config {
    float score_thresh, nms_thresh;
    int32_t topk, max_dets;
    int32_t num_classes;          /* background included */
    int32_t num_category_ids;     /* 0: the label is the category id */
    const int32_t *category_ids;
    int32_t first_stage;          /* the backbone stage of the first map: 3 (OS16) or 2 (OS8) */
    int32_t num_levels;           /* feature maps: 5 - first_stage backbone maps + 4 extras */
    mo_detect_tta tta;            /* test-time augmentation */
    int32_t zoom;                 /* 1, or the zoomed pass's enlargement */
    double zoom_max_side;         /* the zoomed pass's detections below this (of the input) */
} mo_detect_config;

mo_detect_config mo_model_get_detect_config(const mo_model *model);

/* Writes the model with its backbone reparameterized under Apple's fused names
 * (`stageN.j.reparam_conv.*`); heads keep their names; the config is embedded. The file is
 * written under a temporary name and renamed when complete. */
mo_status mo_model_save_fused(const mo_model *model, const char *path, mo_error *err);

/* The model's config values that applications need. Pointers live as long as the model. */
typedef struct mo_model_config {
    int32_t input_size[2];    /* H, W */
    float mean[3], std[3];    /* per RGB channel, on [0,1] pixel values */
    float crop_pct;           /* classification: resize shorter side to size/crop_pct, crop */
    int32_t num_class_names;  /* 0 when the config names no classes */
    const char *const *class_names;
} mo_model_config;

mo_model_config mo_model_get_config(const mo_model *model);

#ifdef __cplusplus
}
#endif
#endif
