/* default_model.h - where `detect` and `segment` find the shipped models (models/) when no
 * --model is given. */
#ifndef MO_APPS_DEFAULT_MODEL_H
#define MO_APPS_DEFAULT_MODEL_H

#include <stddef.h>

#define MO_DEFAULT_DETECT_MODEL "ssdlite_s0_synth.safetensors"
#define MO_DEFAULT_SEGMENT_MODEL "deeplabv3_s0_synth.safetensors"
#define MO_MODELS_ENV "MOBILEONE_MODELS"

/* Writes the path of the model file `name` into path[size] and returns path, looking, first
 * match wins, in $MOBILEONE_MODELS (when set and not empty, and then only there), next to the
 * executable in models/ and ../models/, the source tree's models/ and the install's
 * share/mobileone/models/. On failure returns NULL and writes into path a one-line message
 * that names the places searched. */
const char *default_model_find(const char *name, char *path, size_t size);

#endif
