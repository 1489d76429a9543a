/* avi_writer.c - Motion-JPEG AVI 1.0 files with libjpeg(-turbo); see avi_writer.h.
 *
 * The file, every number little-endian, sizes of chunks not counting their 8-byte header:
 *
 *   RIFF <size> 'AVI '
 *     LIST <192> 'hdrl'
 *       'avih' <56> MainAVIHeader
 *       LIST <116> 'strl'
 *         'strh' <56> AVIStreamHeader: 'vids', handler 'MJPG'
 *         'strf' <40> BITMAPINFOHEADER: biCompression 'MJPG'
 *     LIST <size> 'movi'
 *       '00dc' <n> JPEG [pad byte when n is odd] ... one chunk per frame
 *   'idx1' <16 * frames> {'00dc', AVIIF_KEYFRAME, offset from the 'movi' fourcc, n} ...
 *
 * The header is built by one function from the writer's counters: written with zero counts at
 * open and again, complete, at finish. The JPEG encoder (and its output buffer) lives as long
 * as the writer; libjpeg's errors longjmp back into the function that called it.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jerror.h>
#include <jpeglib.h> /* after stdio.h, which it needs */

#include "avi_writer.h"
#include "error.h"
#include "jpeg_fail.h"

/* DCT: on vtest.avi's 768x576 frames (libjpeg-turbo, SIMD) ISLOW and IFAST both cost ~1.05 ms
 * CPU a frame at quality 90, within noise; ISLOW is the accurate one. */
#ifndef MO_AVI_DCT_METHOD
#define MO_AVI_DCT_METHOD JDCT_ISLOW
#endif

enum {
    HEADER_BYTES = 224,   /* RIFF 12 + LIST hdrl 8 + 192 + LIST movi 12 */
    MOVI_FOURCC_AT = 220, /* idx1 offsets count from the 'movi' fourcc */
    AVIF_HASINDEX = 0x10,
    AVIIF_KEYFRAME = 0x10,
};

/* A growable memory destination, reused frame after frame. */
typedef struct jpeg_buffer {
    struct jpeg_destination_mgr pub;
    uint8_t *data;
    size_t cap, len;
} jpeg_buffer;

typedef struct frame_entry {
    uint32_t offset, size; /* offset from the 'movi' fourcc; size without the pad byte */
} frame_entry;

struct mo_avi_writer {
    char *path, *tmp;
    FILE *f;
    int32_t width, height;
    uint32_t rate, scale; /* fps = rate / scale */
    uint64_t end;         /* bytes written so far */
    uint32_t max_chunk;   /* the largest JPEG, for the headers' suggested buffer size */
    frame_entry *index;
    uint32_t frames, index_cap;
    struct jpeg_compress_struct cinfo;
    jpeg_fail fail;
    jpeg_buffer out;
    JSAMPROW *rows; /* height row pointers, filled per frame */
};

int mo_avi_is_avi_path(const char *path) {
    size_t n = strlen(path);
    return n > 4 && !strcasecmp(path + n - 4, ".avi");
}

/* ---- little-endian bytes ---- */

static uint8_t *put_u16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
    return p + 2;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
    return p + 4;
}

static uint8_t *put_cc(uint8_t *p, const char cc[4]) {
    memcpy(p, cc, 4);
    return p + 4;
}

/* The 224 bytes from 'RIFF' to 'movi' as they stand now (sizes and counts from w). */
static void build_header(const mo_avi_writer *w, uint8_t h[HEADER_BYTES]) {
    const uint64_t movi_bytes = w->end - MOVI_FOURCC_AT; /* from the 'movi' fourcc on */
    const uint64_t file_bytes = w->end + 8 + 16 * (uint64_t)w->frames; /* with idx1 */
    const uint32_t usec = (uint32_t)llround(1e6 * w->scale / w->rate);
    const uint32_t buffer = w->max_chunk + 8;
    const uint32_t bytes_per_sec =
        (uint32_t)fmin(4294967295.0, ceil((double)buffer * w->rate / w->scale));
    uint8_t *p = h;
    p = put_cc(p, "RIFF"), p = put_u32(p, (uint32_t)(file_bytes - 8)), p = put_cc(p, "AVI ");
    p = put_cc(p, "LIST"), p = put_u32(p, 192), p = put_cc(p, "hdrl");
    /* MainAVIHeader */
    p = put_cc(p, "avih"), p = put_u32(p, 56);
    p = put_u32(p, usec);          /* dwMicroSecPerFrame */
    p = put_u32(p, bytes_per_sec); /* dwMaxBytesPerSec */
    p = put_u32(p, 0);             /* dwPaddingGranularity */
    p = put_u32(p, AVIF_HASINDEX); /* dwFlags */
    p = put_u32(p, w->frames);     /* dwTotalFrames */
    p = put_u32(p, 0);             /* dwInitialFrames */
    p = put_u32(p, 1);             /* dwStreams */
    p = put_u32(p, buffer);        /* dwSuggestedBufferSize */
    p = put_u32(p, (uint32_t)w->width), p = put_u32(p, (uint32_t)w->height);
    for (int i = 0; i < 4; i++) p = put_u32(p, 0); /* dwReserved */
    p = put_cc(p, "LIST"), p = put_u32(p, 116), p = put_cc(p, "strl");
    /* AVIStreamHeader */
    p = put_cc(p, "strh"), p = put_u32(p, 56);
    p = put_cc(p, "vids"), p = put_cc(p, "MJPG");
    p = put_u32(p, 0);                 /* dwFlags */
    p = put_u16(p, 0), p = put_u16(p, 0); /* wPriority, wLanguage */
    p = put_u32(p, 0);                 /* dwInitialFrames */
    p = put_u32(p, w->scale), p = put_u32(p, w->rate);
    p = put_u32(p, 0);                 /* dwStart */
    p = put_u32(p, w->frames);         /* dwLength */
    p = put_u32(p, buffer);            /* dwSuggestedBufferSize */
    p = put_u32(p, 0xffffffffu);       /* dwQuality: the default */
    p = put_u32(p, 0);                 /* dwSampleSize: frames vary in size */
    p = put_u16(p, 0), p = put_u16(p, 0); /* rcFrame left, top */
    p = put_u16(p, (uint32_t)w->width), p = put_u16(p, (uint32_t)w->height);
    /* BITMAPINFOHEADER */
    p = put_cc(p, "strf"), p = put_u32(p, 40);
    p = put_u32(p, 40); /* biSize */
    p = put_u32(p, (uint32_t)w->width), p = put_u32(p, (uint32_t)w->height);
    p = put_u16(p, 1), p = put_u16(p, 24); /* biPlanes, biBitCount */
    p = put_cc(p, "MJPG");
    p = put_u32(p, (uint32_t)w->width * (uint32_t)w->height * 3); /* biSizeImage */
    for (int i = 0; i < 4; i++) p = put_u32(p, 0); /* pels per metre, colours used */
    p = put_cc(p, "LIST"), p = put_u32(p, (uint32_t)movi_bytes), p = put_cc(p, "movi");
    assert(p == h + HEADER_BYTES);
}

/* ---- libjpeg plumbing ---- */

static void buffer_init(j_compress_ptr cinfo) {
    jpeg_buffer *b = (jpeg_buffer *)cinfo->dest;
    b->pub.next_output_byte = b->data;
    b->pub.free_in_buffer = b->cap;
}

/* libjpeg calls this when the buffer is full: all of it has been written. */
static boolean buffer_grow(j_compress_ptr cinfo) {
    jpeg_buffer *b = (jpeg_buffer *)cinfo->dest;
    size_t cap = b->cap * 2;
    uint8_t *data = realloc(b->data, cap);
    if (!data) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    b->pub.next_output_byte = data + b->cap;
    b->pub.free_in_buffer = cap - b->cap;
    b->data = data;
    b->cap = cap;
    return TRUE;
}

static void buffer_term(j_compress_ptr cinfo) {
    jpeg_buffer *b = (jpeg_buffer *)cinfo->dest;
    b->len = b->cap - b->pub.free_in_buffer;
}

/* ---- the writer ---- */

/* fps as rate / scale: integers exactly, NTSC's n/1.001 rates as n*1000/1001, else in
 * thousandths of a frame per second. */
static void fps_fraction(double fps, uint32_t *rate, uint32_t *scale) {
    if (fabs(fps - round(fps)) < 1e-9 * fps) {
        *rate = (uint32_t)round(fps), *scale = 1;
    } else if (fabs(fps * 1001 - round(fps * 1001)) < 1e-6 * fps) {
        *rate = (uint32_t)round(fps * 1001), *scale = 1001;
    } else {
        *rate = (uint32_t)round(fps * 1000), *scale = 1000;
    }
}

static void free_writer(mo_avi_writer *w) {
    jpeg_destroy_compress(&w->cinfo);
    if (w->f) fclose(w->f);
    free(w->out.data);
    free(w->rows);
    free(w->index);
    free(w->path);
    free(w->tmp);
    free(w);
}

void mo_avi_writer_abort(mo_avi_writer *w) {
    if (!w) return;
    if (w->f) fclose(w->f);
    w->f = NULL;
    remove(w->tmp);
    free_writer(w);
}

/* `<stem>.tmp.avi` for `<stem>.avi` (malloc'ed; NULL when out of memory). */
static char *temporary_name(const char *path) {
    size_t n = strlen(path), stem = n - 4; /* path ends in the 4 bytes of ".avi" */
    char *tmp = malloc(n + 5);
    if (tmp) snprintf(tmp, n + 5, "%.*s.tmp%s", (int)stem, path, path + stem);
    return tmp;
}

mo_status mo_avi_writer_open(mo_avi_writer **out, const char *path, double fps, int32_t width,
                             int32_t height, int quality, mo_error *err) {
    *out = NULL;
    if (!mo_avi_is_avi_path(path))
        return mo_error_set(err, MO_ERR_ARGUMENT, "%s: the AVI writer wants a .avi name", path);
    if (!(fps > 0 && fps <= 10000) || width < 1 || height < 1 || width > JPEG_MAX_DIMENSION ||
        height > JPEG_MAX_DIMENSION || quality < 1 || quality > 100)
        return mo_error_set(err, MO_ERR_ARGUMENT,
                            "%s: cannot write MJPG AVI at %g fps, %dx%d, quality %d (fps in "
                            "(0, 10000], sides 1..%d, quality 1..100)",
                            path, fps, width, height, quality, (int)JPEG_MAX_DIMENSION);
    mo_avi_writer *w = calloc(1, sizeof *w);
    if (!w) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    /* The encoder first, so that free_writer may always destroy it. */
    jpeg_fail_install((j_common_ptr)&w->cinfo, &w->fail);
    if (setjmp(w->fail.jmp)) { /* only an allocation inside libjpeg can fail here */
        free_writer(w);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory (JPEG encoder)", path);
    }
    jpeg_create_compress(&w->cinfo);
    w->width = width, w->height = height;
    fps_fraction(fps, &w->rate, &w->scale);
    w->path = strdup(path);
    w->tmp = temporary_name(path);
    w->out.cap = (size_t)width * height / 2 + 4096; /* grows when a frame needs more */
    w->out.data = malloc(w->out.cap);
    w->rows = malloc((size_t)height * sizeof *w->rows);
    if (!w->path || !w->tmp || !w->out.data || !w->rows) {
        free_writer(w);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    }
    w->out.pub.init_destination = buffer_init;
    w->out.pub.empty_output_buffer = buffer_grow;
    w->out.pub.term_destination = buffer_term;
    w->cinfo.dest = &w->out.pub;
    w->cinfo.image_width = (JDIMENSION)width;
    w->cinfo.image_height = (JDIMENSION)height;
    w->cinfo.input_components = 3;
    w->cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&w->cinfo); /* YCbCr, 4:2:0, JFIF header */
    jpeg_set_quality(&w->cinfo, quality, TRUE);
    w->cinfo.dct_method = MO_AVI_DCT_METHOD;

    w->f = fopen(w->tmp, "wb");
    if (!w->f) {
        int e = errno;
        mo_status s = mo_error_set(err, MO_ERR_IO, "%s: cannot create %s: %s", path, w->tmp,
                                   strerror(e));
        free_writer(w);
        return s;
    }
    uint8_t header[HEADER_BYTES];
    w->end = HEADER_BYTES;
    build_header(w, header);
    if (fwrite(header, 1, sizeof header, w->f) != sizeof header) {
        int e = errno;
        mo_avi_writer_abort(w);
        return mo_error_set(err, MO_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    }
    *out = w;
    return MO_OK;
}

/* Encodes rgb into w->out. */
static mo_status encode_jpeg(mo_avi_writer *w, const uint8_t *rgb, mo_error *err) {
    if (setjmp(w->fail.jmp)) {
        char why[JMSG_LENGTH_MAX];
        w->fail.pub.format_message((j_common_ptr)&w->cinfo, why);
        jpeg_abort_compress(&w->cinfo);
        return mo_error_set(err, MO_ERR_IO, "%s: JPEG encoding of frame %u failed: %s",
                            w->path, w->frames, why);
    }
    const size_t stride = (size_t)w->width * 3;
    for (int32_t y = 0; y < w->height; y++) w->rows[y] = (JSAMPROW)(rgb + (size_t)y * stride);
    jpeg_start_compress(&w->cinfo, TRUE); /* every frame carries its own tables */
    while (w->cinfo.next_scanline < w->cinfo.image_height)
        jpeg_write_scanlines(&w->cinfo, w->rows + w->cinfo.next_scanline,
                             w->cinfo.image_height - w->cinfo.next_scanline);
    jpeg_finish_compress(&w->cinfo);
    return MO_OK;
}

static mo_status grow_index(mo_avi_writer *w, mo_error *err) {
    uint32_t cap = w->index_cap ? w->index_cap * 2 : 256;
    frame_entry *index = realloc(w->index, cap * sizeof *index);
    if (!index) return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", w->path);
    w->index = index;
    w->index_cap = cap;
    return MO_OK;
}

mo_status mo_avi_write_rgb(mo_avi_writer *w, const uint8_t *rgb, mo_error *err) {
    mo_status s = encode_jpeg(w, rgb, err);
    if (s != MO_OK) return s;
    const uint32_t n = (uint32_t)w->out.len, padded = n + (n & 1);
    /* The file after this frame and the index that will follow it. */
    if (w->end + 8 + padded + 8 + 16 * ((uint64_t)w->frames + 1) > MO_AVI_MAX_BYTES)
        return mo_error_set(err, MO_ERR_IO,
                            "%s: over 1 GiB at frame %u, AVI 1.0's limit: write .mp4 or .mkv "
                            "for longer videos",
                            w->path, w->frames);
    if (w->frames == w->index_cap && (s = grow_index(w, err)) != MO_OK) return s;
    uint8_t chunk[8];
    put_u32(put_cc(chunk, "00dc"), n);
    static const uint8_t pad = 0; /* chunks start at even offsets */
    if (fwrite(chunk, 1, 8, w->f) != 8 || fwrite(w->out.data, 1, n, w->f) != n ||
        (n & 1 && fwrite(&pad, 1, 1, w->f) != 1))
        return mo_error_set(err, MO_ERR_IO, "%s: writing frame %u failed: %s", w->path,
                            w->frames, strerror(errno));
    w->index[w->frames].offset = (uint32_t)(w->end - MOVI_FOURCC_AT);
    w->index[w->frames].size = n;
    w->frames++;
    w->end += 8 + padded;
    if (n > w->max_chunk) w->max_chunk = n;
    return MO_OK;
}

/* idx1 and the patched header; 0 on a failed write (errno says why). */
static int write_tail(mo_avi_writer *w) {
    uint8_t entry[16], header[HEADER_BYTES];
    put_u32(put_cc(entry, "idx1"), 16 * w->frames);
    if (fwrite(entry, 1, 8, w->f) != 8) return 0;
    for (uint32_t i = 0; i < w->frames; i++) {
        uint8_t *p = put_cc(entry, "00dc");
        p = put_u32(p, AVIIF_KEYFRAME);
        p = put_u32(p, w->index[i].offset);
        put_u32(p, w->index[i].size);
        if (fwrite(entry, 1, 16, w->f) != 16) return 0;
    }
    build_header(w, header);
    return fseek(w->f, 0, SEEK_SET) == 0 && fwrite(header, 1, sizeof header, w->f) == sizeof header;
}

mo_status mo_avi_writer_finish(mo_avi_writer *w, mo_error *err) {
    int ok = write_tail(w);
    int e = errno;
    FILE *f = w->f;
    w->f = NULL;
    if (fclose(f) != 0 && ok) ok = 0, e = errno;
    if (!ok) {
        mo_status s = mo_error_set(err, MO_ERR_IO, "%s: finishing the file failed: %s",
                                   w->path, strerror(e));
        mo_avi_writer_abort(w);
        return s;
    }
    if (rename(w->tmp, w->path) != 0) {
        e = errno;
        mo_status s = mo_error_set(err, MO_ERR_IO, "%s: cannot rename %s: %s", w->path, w->tmp,
                                   strerror(e));
        mo_avi_writer_abort(w);
        return s;
    }
    free_writer(w);
    return MO_OK;
}
