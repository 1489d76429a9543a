/* eval_miou_gen.c - writes ADE20K-like label pairs for bench/eval_miou.sh: N ground-truth maps
 * (grey 8-bit, 0 = "other", 1..150 = classes, as ADEChallengeData2016 annotations) and N
 * predictions (grey 8-bit, 0..149, the training-label space), W x H each, deterministic.
 * Maps are piecewise constant (rectangles and ellipses over a background), the predictions
 * shifted by a few pixels with some regions relabelled, so PNG sizes resemble real ones.
 * usage: eval_miou_gen OUT_DIR N [W H]   (writes OUT_DIR/gt/*.png and OUT_DIR/pred/*.png) */
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t state = 0x2545F4914F6CDD1Du;
static uint32_t rnd(uint32_t n) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint32_t)((state >> 11) % n);
}

static int write_png(const char *path, const uint8_t *px, int w, int h) {
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        fclose(f);
        return 0;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, px + (size_t)y * w);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return fclose(f) == 0;
}

static void fill_shape(uint8_t *m, int w, int h, uint8_t v) {
    int cx = (int)rnd((uint32_t)w), cy = (int)rnd((uint32_t)h);
    int rx = 8 + (int)rnd((uint32_t)w / 4), ry = 8 + (int)rnd((uint32_t)h / 4);
    int ellipse = (int)rnd(2);
    for (int y = cy - ry < 0 ? 0 : cy - ry; y < h && y < cy + ry; y++)
        for (int x = cx - rx < 0 ? 0 : cx - rx; x < w && x < cx + rx; x++) {
            if (ellipse) {
                double dx = (double)(x - cx) / rx, dy = (double)(y - cy) / ry;
                if (dx * dx + dy * dy > 1.0) continue;
            }
            m[(size_t)y * w + x] = v;
        }
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: %s OUT_DIR N [W H]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[2]), w = argc == 5 ? atoi(argv[3]) : 683, h = argc == 5 ? atoi(argv[4]) : 512;
    if (n <= 0 || w <= 0 || h <= 0) return 2;
    char path[4096];
    snprintf(path, sizeof path, "%s/gt", argv[1]);
    mkdir(argv[1], 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/pred", argv[1]);
    mkdir(path, 0755);
    size_t np = (size_t)w * h;
    uint8_t *gt = malloc(np), *pred = malloc(np);
    if (!gt || !pred) return 1;
    for (int i = 0; i < n; i++) {
        memset(gt, 1 + (int)rnd(150), np);
        int shapes = 6 + (int)rnd(20);
        for (int s = 0; s < shapes; s++)
            fill_shape(gt, w, h, (uint8_t)(rnd(10) == 0 ? 0 : 1 + rnd(150)));
        /* prediction: GT in training space (v - 1; "other" guessed), shifted, some regions wrong */
        int dx = (int)rnd(7) - 3, dy = (int)rnd(7) - 3;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int sx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
                int sy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
                uint8_t v = gt[(size_t)sy * w + sx];
                pred[(size_t)y * w + x] = v == 0 ? 0 : (uint8_t)(v - 1);
            }
        int wrong = (int)rnd(6);
        for (int s = 0; s < wrong; s++)
            fill_shape(pred, w, h, (uint8_t)rnd(150));
        snprintf(path, sizeof path, "%s/gt/ade_%05d.png", argv[1], i);
        if (!write_png(path, gt, w, h)) return 1;
        snprintf(path, sizeof path, "%s/pred/ade_%05d.png", argv[1], i);
        if (!write_png(path, pred, w, h)) return 1;
    }
    free(gt);
    free(pred);
    return 0;
}
