/* detect_input.h - the detection network's input from an RGB u8 image.
 *
 * torchvision's GeneralizedRCNNTransform (SSD, fixed size): x / 255, normalize
 * (x - mean) / std, then F.interpolate(size = (H, W), mode = "bilinear",
 * align_corners = False, no antialias) on the normalized f32 tensor: the aspect ratio is not
 * kept. We do exactly that, in that order, with ATen's index and weight arithmetic
 * (src = max(scale (dst + 0.5) - 0.5, 0), scale = in / out in f32, weights per axis, rows
 * combined as (v00 w0 + v01 w1) h0 + (v10 w0 + v11 w1) h1). Note that when shrinking a lot this
 * samples (no antialias), as torchvision does. out: (H, W, 3) f32 NHWC.
 */
#ifndef MO_IO_DETECT_INPUT_H
#define MO_IO_DETECT_INPUT_H

#include "image.h"

void mo_preprocess_detect(const mo_image *img, int32_t out_h, int32_t out_w, const float mean[3],
                          const float std[3], float *out);

#endif
