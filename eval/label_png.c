/* label_png.c - reading and writing label-map PNGs as indices with libpng (see label_png.h).
 * libpng reports errors by longjmp; every buffer the error path touches lives in the map or in
 * the context struct, never in a local modified after setjmp. */
#include "label_png.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

typedef struct png_ctx {
    jmp_buf jb;
    char msg[256];
} png_ctx;

static void on_png_error(png_structp png, png_const_charp msg) {
    png_ctx *ctx = png_get_error_ptr(png);
    snprintf(ctx->msg, sizeof ctx->msg, "%s", msg);
    longjmp(ctx->jb, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg; /* benign (e.g. an unknown chunk): the pixels are what matter */
}

static int reserve(void **p, size_t *cap, size_t need) {
    if (need <= *cap) return 1;
    void *np = realloc(*p, need);
    if (!np) return 0;
    *p = np;
    *cap = need;
    return 1;
}

void mo_label_map_free(mo_label_map *map) {
    if (!map) return;
    free(map->data8);
    free(map->data16);
    free(map->rows);
    free(map->raw);
    memset(map, 0, sizeof *map);
}

mo_status mo_label_png_read(const char *path, mo_label_map *map, mo_error *err) {
    map->width = map->height = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return mo_error_set(err, MO_ERR_IO, "%s: cannot open for reading", path);
    unsigned char sig[8];
    if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8)) {
        fclose(f);
        return mo_error_set(err, MO_ERR_FORMAT, "%s: not a PNG file", path);
    }
    png_ctx ctx;
    ctx.msg[0] = '\0';
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        fclose(f);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    }
    mo_status st = MO_OK;
    if (setjmp(ctx.jb)) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        map->width = map->height = 0;
        return mo_error_set(err, MO_ERR_FORMAT, "%s: bad PNG data (%s)", path, ctx.msg);
    }
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    png_uint_32 w, h;
    int depth, color, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    if (color != PNG_COLOR_TYPE_PALETTE && color != PNG_COLOR_TYPE_GRAY) {
        const char *kind = color == PNG_COLOR_TYPE_RGB         ? "RGB"
                           : color == PNG_COLOR_TYPE_RGB_ALPHA ? "RGBA"
                                                               : "grey+alpha";
        st = mo_error_set(err, MO_ERR_FORMAT,
                          "%s: is an %s image, not a label map (palette or grey indices)", path,
                          kind);
    } else if ((uint64_t)w * h > ((uint64_t)1 << 31)) {
        st = mo_error_set(err, MO_ERR_FORMAT, "%s: %ux%u is too large", path, (unsigned)w,
                          (unsigned)h);
    }
    if (st != MO_OK) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        return st;
    }
    if (depth < 8) png_set_packing(png); /* one byte per value, not scaled */
    if (interlace != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t n = (size_t)w * h, rowbytes = png_get_rowbytes(png, info);
    int bits = depth == 16 ? 16 : 8;
    uint8_t *dst;
    if (bits == 8 && rowbytes == w) { /* read straight into data8 */
        if (!reserve((void **)&map->data8, &map->cap8, n ? n : 1)) goto oom;
        dst = map->data8;
    } else {
        if (!reserve((void **)&map->raw, &map->cap_raw, rowbytes * h + 1)) goto oom;
        dst = map->raw;
    }
    if (!reserve((void **)&map->rows, &map->cap_rows, sizeof(void *) * (h ? h : 1))) goto oom;
    for (png_uint_32 y = 0; y < h; y++)
        map->rows[y] = dst + (size_t)y * rowbytes;
    png_read_image(png, (png_bytepp)map->rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    if (bits == 16) {
        if (!reserve((void **)&map->data16, &map->cap16, sizeof(uint16_t) * (n ? n : 1)))
            return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
        for (size_t y = 0; y < h; y++) {
            const uint8_t *row = map->raw + y * rowbytes;
            for (size_t x = 0; x < w; x++)
                map->data16[y * w + x] = (uint16_t)((row[2 * x] << 8) | row[2 * x + 1]);
        }
    } else if (dst != map->data8) {
        if (!reserve((void **)&map->data8, &map->cap8, n ? n : 1))
            return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
        for (size_t y = 0; y < h; y++)
            memcpy(map->data8 + y * w, map->raw + y * rowbytes, w);
    }
    map->width = (int32_t)w;
    map->height = (int32_t)h;
    map->bits = bits;
    return MO_OK;
oom:
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
}

void mo_voc_palette_color(int i, uint8_t rgb[3]) {
    int r = 0, g = 0, b = 0, c = i;
    for (int j = 0; j < 8; j++) {
        r |= ((c >> 0) & 1) << (7 - j);
        g |= ((c >> 1) & 1) << (7 - j);
        b |= ((c >> 2) & 1) << (7 - j);
        c >>= 3;
    }
    rgb[0] = (uint8_t)r;
    rgb[1] = (uint8_t)g;
    rgb[2] = (uint8_t)b;
}

mo_status mo_label_png_write(const char *path, const uint8_t *data, int32_t width, int32_t height,
                             int voc_palette, mo_error *err) {
    if (width <= 0 || height <= 0)
        return mo_error_set(err, MO_ERR_ARGUMENT, "%s: bad size %dx%d", path, width, height);
    FILE *f = fopen(path, "wb");
    if (!f) return mo_error_set(err, MO_ERR_IO, "%s: cannot open for writing", path);
    png_ctx ctx;
    ctx.msg[0] = '\0';
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(png ? &png : NULL, NULL);
        fclose(f);
        return mo_error_set(err, MO_ERR_MEMORY, "%s: out of memory", path);
    }
    if (setjmp(ctx.jb)) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return mo_error_set(err, MO_ERR_IO, "%s: cannot write PNG (%s)", path, ctx.msg);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 voc_palette ? PNG_COLOR_TYPE_PALETTE : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (voc_palette) {
        png_color pal[256];
        for (int i = 0; i < 256; i++) {
            uint8_t rgb[3];
            mo_voc_palette_color(i, rgb);
            pal[i].red = rgb[0];
            pal[i].green = rgb[1];
            pal[i].blue = rgb[2];
        }
        png_set_PLTE(png, info, pal, 256);
    }
    png_write_info(png, info);
    for (int32_t y = 0; y < height; y++)
        png_write_row(png, (png_const_bytep)(data + (size_t)y * (size_t)width));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0) return mo_error_set(err, MO_ERR_IO, "%s: write failed", path);
    return MO_OK;
}
