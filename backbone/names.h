/* names.h - tensor names of MobileOne: Apple's (canonical) and timm's, one mapping table. */
#ifndef MO_BACKBONE_NAMES_H
#define MO_BACKBONE_NAMES_H

#include <stddef.h>

typedef enum mo_naming { MO_NAMES_APPLE, MO_NAMES_TIMM } mo_naming;

/* Writes prefix + the name of `apple` (e.g. "stage2.5.rbr_conv.1.conv.weight") in `naming`
 * ("stages.1.5.conv_kxk.1.conv.weight" for timm) into out. */
void mo_backbone_name(char *out, size_t size, const char *prefix, mo_naming naming,
                      const char *apple);

#endif
