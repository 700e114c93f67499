#include <curl/curl.h>

/* Swift cannot call C variadic functions: typed wrappers for the few
   curl_easy_setopt / curl_easy_getinfo shapes the client uses. */
typedef size_t (*railyard_curl_data_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode railyard_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode railyard_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode railyard_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode railyard_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode railyard_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode railyard_curl_setopt_callback(CURL *handle, CURLoption option, railyard_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode railyard_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

typedef int (*railyard_curl_progress_callback)(void *context, curl_off_t download_total, curl_off_t download_now,
                                               curl_off_t upload_total, curl_off_t upload_now);

static inline CURLcode railyard_curl_setopt_progress(CURL *handle, railyard_curl_progress_callback value) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value);
}
