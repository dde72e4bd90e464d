#ifndef CAN_SYNC_CURL_SHIMS_H
#define CAN_SYNC_CURL_SHIMS_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic; Swift calls these typed forms. */
CURLcode curl_shim_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode curl_shim_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode curl_shim_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode curl_shim_setopt_write_function(CURL *handle, size_t (*fn)(char *, size_t, size_t, void *));
CURLcode curl_shim_setopt_header_function(CURL *handle, size_t (*fn)(char *, size_t, size_t, void *));
/* Progress callback; returning non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK). Also clears NOPROGRESS. */
CURLcode curl_shim_setopt_xferinfo_function(CURL *handle, int (*fn)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t));
CURLcode curl_shim_getinfo_long(CURL *handle, CURLINFO info, long *value);

#endif
