/* names.c - Apple <-> timm MobileOne names (timm byobnet's remapping of Apple's checkpoints). */
#include "names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Renames of the first name segments after the stage prefix (whole segments only, so a BN
 * prefix such as "rbr_skip" maps as well as "rbr_skip.weight"). */
static const struct { const char *apple, *timm; } renames[] = {
    {"rbr_conv", "conv_kxk"},   {"rbr_scale", "conv_scale"}, {"rbr_skip", "identity"},
    {"se.reduce", "attn.fc1"},  {"se.expand", "attn.fc2"},   {"linear", "head.fc"},
};

void mo_backbone_name(char *out, size_t size, const char *prefix, mo_naming naming,
                      const char *apple) {
    if (naming == MO_NAMES_APPLE) {
        snprintf(out, size, "%s%s", prefix, apple);
        return;
    }
    char head[32] = "";
    const char *rest = apple;
    if (!strncmp(apple, "stage0.", 7)) {
        snprintf(head, sizeof head, "stem.");
        rest = apple + 7;
    } else if (!strncmp(apple, "stage", 5) && apple[5] >= '1' && apple[5] <= '4' &&
               apple[6] == '.') {
        snprintf(head, sizeof head, "stages.%d.", apple[5] - '1');
        rest = apple + 7; /* keeps "j.<...>" */
        const char *dot = strchr(rest, '.');
        if (dot) {
            size_t n = strlen(head);
            snprintf(head + n, sizeof head - n, "%.*s", (int)(dot - rest + 1), rest);
            rest = dot + 1;
        }
    }
    for (size_t i = 0; i < sizeof renames / sizeof renames[0]; i++) {
        size_t n = strlen(renames[i].apple);
        if (!strncmp(rest, renames[i].apple, n) && (rest[n] == '.' || rest[n] == '\0')) {
            snprintf(out, size, "%s%s%s%s", prefix, head, renames[i].timm, rest + n);
            return;
        }
    }
    snprintf(out, size, "%s%s%s", prefix, head, rest);
}
