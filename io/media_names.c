/* media_names.c - what a file name says about a video: the fourcc our writers pick for it
 * (video.h) and whether `segment` treats it as a video (seg_video.h). Plain string work,
 * no OpenCV: compiled into mo_io and into the OpenCV module (mobileone-opencv.so). */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "seg_video.h"
#include "video.h"

/* The extension from the last '.' after the last '/', lower-cased into ext (at most 15 chars;
 * "" when there is none or it is longer). */
static void extension(const char *path, char ext[16]) {
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    ext[0] = '\0';
    if (!dot || (slash && dot < slash) || strlen(dot) > 15) return;
    size_t i = 0;
    for (; dot[i]; i++)
        ext[i] = (char)tolower((unsigned char)dot[i]);
    ext[i] = '\0';
}

void mo_video_fourcc_for(const char *path, char fourcc[5]) {
    char ext[16];
    extension(path, ext);
    const char *f = "MJPG";
    if (!strcmp(ext, ".mp4") || !strcmp(ext, ".mov") || !strcmp(ext, ".m4v"))
        f = "mp4v";
    else if (!strcmp(ext, ".mkv") || !strcmp(ext, ".webm"))
        f = "VP80";
    memcpy(fourcc, f, 5);
}

int mo_seg_is_video_path(const char *path) {
    static const char *const exts[] = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v"};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t k = strlen(exts[i]);
        if (n > k && !strcasecmp(path + n - k, exts[i])) return 1;
    }
    return 0;
}
