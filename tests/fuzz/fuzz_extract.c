/*
** fuzz_extract.c — the attachment extractors (text_extract.c) on arbitrary
** bytes: the first byte picks the format (0 txt, 1 pdf, 2 docx; the seeds
** are real files), the rest is the file. Beyond "no crash, no UB, no leak":
**   - success gives valid UTF-8 text without NUL, a known status, counts
**     that are not negative, a 64-digit hash;
**   - garbage and scans index nothing (empty text);
**   - a failure says why (status name and message).
*/
#include "fuzz_common.h"
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  static const char *const formats[] = {"txt", "pdf", "docx"};
  const char *fmt = formats[data[0] % 3];
  jb_extract x;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_extract_mem(data + 1, size - 1, fmt, &x, &err);
  if (rc) {
    jbf_check_error(rc, &err, fmt);
    return 0;
  }
  size_t n = strlen(x.text);
  JBF_CHECK(jb_utf8_invalid_at(x.text, n) < 0, "%s: extracted text is not valid UTF-8", fmt);
  JBF_CHECK(!strcmp(x.status, "ok") || !strcmp(x.status, "partial") || !strcmp(x.status, "garbage") ||
                !strcmp(x.status, "no_text"),
            "%s: unknown status %s", fmt, x.status);
  JBF_CHECK(x.chars >= 0 && x.dropped >= 0 && x.pages >= 0, "%s: negative counts", fmt);
  JBF_CHECK(strlen(x.sha256) == 64, "%s: hash '%s'", fmt, x.sha256);
  if (!strcmp(x.status, "garbage") || !strcmp(x.status, "no_text"))
    JBF_CHECK(n == 0, "%s: %s text still indexed (%zu bytes)", fmt, x.status, n);
  jb_extract_free(&x);
  return 0;
}
