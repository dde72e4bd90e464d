/*
 * An example third-party filter plugin in plain C: no Swift, just can_sync_plugin.h.
 *
 * Filter fields it adds to library filters:
 *   "min_size": N          assets of at least N bytes
 *   "max_size": N          assets of at most N bytes
 *   "filename_glob": "*.jpg"   assets whose filename matches the shell glob (fnmatch)
 *
 * Build:  cc -shared -fPIC -fvisibility=hidden -I Sources/CPluginAPI/include \
 *            -o libSizeGlobFilter.so Plugins/ExampleCFilter/size_glob_filter.c
 * Then list the .so in plugins.yaml.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "can_sync_plugin.h"

#define EXPORT __attribute__((visibility("default")))

typedef struct size_glob_filter {
    int has_min, has_max;
    unsigned long long min_size, max_size;
    char *glob; /* NULL when absent */
} size_glob_filter;

static void set_error(csync_error *err, const char *message) {
    if (err) snprintf(err->message, sizeof err->message, "%s", message);
}

static const char *skip_space(const char *p) {
    while (*p && isspace((unsigned char)*p)) p++;
    return p;
}

/* Reads a JSON string starting at the opening quote into a malloc'ed buffer; handles \" and \\. */
static const char *read_string(const char *p, char **out) {
    if (*p != '"') return NULL;
    p++;
    size_t cap = strlen(p) + 1, len = 0;
    char *text = malloc(cap);
    if (!text) return NULL;
    while (*p && *p != '"') {
        if (*p == '\\') {
            p++;
            if (*p != '"' && *p != '\\' && *p != '/') { free(text); return NULL; }
        }
        text[len++] = *p++;
    }
    if (*p != '"') { free(text); return NULL; }
    text[len] = '\0';
    *out = text;
    return p + 1;
}

/* The host hands each plugin a flat JSON object holding only the fields it owns. */
static csync_status compile(void *state, const char *json, void **out_filter, csync_error *err) {
    (void)state;
    size_glob_filter *filter = calloc(1, sizeof *filter);
    if (!filter) { set_error(err, "out of memory"); return CSYNC_ERR_INTERNAL; }
    const char *p = skip_space(json);
    if (*p++ != '{') goto malformed;
    p = skip_space(p);
    while (*p && *p != '}') {
        char *key = NULL;
        if (!(p = read_string(p, &key))) goto malformed;
        p = skip_space(p);
        if (*p++ != ':') { free(key); goto malformed; }
        p = skip_space(p);
        if (strcmp(key, "min_size") == 0 || strcmp(key, "max_size") == 0) {
            char *end;
            if (!isdigit((unsigned char)*p)) {
                char message[128];
                snprintf(message, sizeof message, "filter field '%s' must be a non-negative whole number", key);
                set_error(err, message);
                free(key);
                free(filter->glob);
                free(filter);
                return CSYNC_ERR_INVALID;
            }
            unsigned long long value = strtoull(p, &end, 10);
            if (key[1] == 'i') { filter->has_min = 1; filter->min_size = value; }
            else { filter->has_max = 1; filter->max_size = value; }
            p = end;
        } else if (strcmp(key, "filename_glob") == 0) {
            free(filter->glob);
            filter->glob = NULL;
            if (!(p = read_string(p, &filter->glob))) {
                set_error(err, "filter field 'filename_glob' must be a string such as \"*.jpg\"");
                free(key);
                free(filter);
                return CSYNC_ERR_INVALID;
            }
        } else {
            free(key);
            goto malformed;
        }
        free(key);
        p = skip_space(p);
        if (*p == ',') p = skip_space(p + 1);
    }
    if (filter->has_min && filter->has_max && filter->min_size > filter->max_size) {
        set_error(err, "filter field 'min_size' is larger than 'max_size'");
        free(filter->glob);
        free(filter);
        return CSYNC_ERR_INVALID;
    }
    *out_filter = filter;
    return CSYNC_OK;
malformed:
    set_error(err, "size/glob filter: malformed filter object");
    free(filter->glob);
    free(filter);
    return CSYNC_ERR_INVALID;
}

static int32_t matches(void *state, const void *handle, const csync_asset_view *asset) {
    (void)state;
    const size_glob_filter *filter = handle;
    if (filter->has_min && asset->size < filter->min_size) return 0;
    if (filter->has_max && asset->size > filter->max_size) return 0;
    if (filter->glob) {
        if (!asset->filename || fnmatch(filter->glob, asset->filename, 0) != 0) return 0;
    }
    return 1;
}

static void release(void *state, void *handle) {
    (void)state;
    size_glob_filter *filter = handle;
    if (filter) free(filter->glob);
    free(filter);
}

static csync_status initialize(const csync_host_api *host, const char *settings_json, void **out_state,
                               csync_error *err) {
    (void)settings_json;
    (void)err;
    host->log(host->host_ctx, CSYNC_LOG_DEBUG, "size/glob filter ready");
    *out_state = NULL;
    return CSYNC_OK;
}

static void shutdown_plugin(void *state) { (void)state; }

static const char *const fields[] = { "min_size", "max_size", "filename_glob", NULL };

static const csync_filter_vtable filter_vtable = {
    .struct_size = sizeof(csync_filter_vtable),
    .fields = fields,
    .compile = compile,
    .matches = matches,
    .release = release,
};

static const csync_plugin_descriptor descriptor = {
    .abi_version = CSYNC_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(csync_plugin_descriptor),
    .kind = CSYNC_KIND_FILTER,
    .name = "size-glob",
    .version = "1.0.0",
    .initialize = initialize,
    .shutdown = shutdown_plugin,
    .filter = &filter_vtable,
};

EXPORT const csync_plugin_descriptor *can_sync_plugin_entry(void) { return &descriptor; }
