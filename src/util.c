/*
** util.c — byte buffers, UTF-8, hashing, clocks.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

void jb_buf_free(jb_buf *b) {
  if (!b) return;
  free(b->p);
  memset(b, 0, sizeof(*b));
}

void jb_buf_reset(jb_buf *b) {
  b->n = 0;
  if (b->p) b->p[0] = 0;
}

static int buf_grow(jb_buf *b, size_t need) {
  if (b->oom) return -1;
  if (b->n + need + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->n + need + 1) {
    if (cap > ((size_t)1 << 40)) { b->oom = 1; return -1; }
    cap *= 2;
  }
  char *p = realloc(b->p, cap);
  if (!p) { b->oom = 1; return -1; }
  b->p = p;
  b->cap = cap;
  return 0;
}

int jb_buf_add(jb_buf *b, const void *p, size_t n) {
  if (buf_grow(b, n)) return -1;
  if (n) memcpy(b->p + b->n, p, n);
  b->n += n;
  b->p[b->n] = 0;
  return 0;
}

int jb_buf_adds(jb_buf *b, const char *s) { return jb_buf_add(b, s, strlen(s)); }
int jb_buf_addc(jb_buf *b, char c) { return jb_buf_add(b, &c, 1); }

int jb_buf_printf(jb_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || buf_grow(b, (size_t)n)) { va_end(ap2); return -1; }
  vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  b->n += (size_t)n;
  return 0;
}

const char *jb_buf_str(jb_buf *b) {
  if (!b->p && buf_grow(b, 0)) return "";
  b->p[b->n] = 0;
  return b->p;
}

int jb_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp) {
  if (n == 0) return 0;
  unsigned c = p[0];
  if (c < 0x80) { *cp = c; return 1; }
  int len;
  uint32_t v, min;
  if ((c & 0xE0) == 0xC0) { len = 2; v = c & 0x1F; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { len = 3; v = c & 0x0F; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { len = 4; v = c & 0x07; min = 0x10000; }
  else return 0;
  if ((size_t)len > n) return 0;
  for (int i = 1; i < len; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (p[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

int jb_utf8_encode(uint32_t cp, char *out) {
  unsigned char *o = (unsigned char *)out;
  if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xC0 | (cp >> 6));
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (cp >> 12));
    o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | (cp >> 18));
  o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

long jb_utf8_invalid_at(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) { i++; continue; }
    uint32_t cp;
    int l = jb_utf8_decode(p + i, n - i, &cp);
    if (!l) return (long)i;
    i += (size_t)l;
  }
  return -1;
}

char *jb_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *jb_strdup(const char *s) { return s ? jb_strndup(s, strlen(s)) : NULL; }

uint64_t jb_hash64(const void *p, size_t n, uint64_t seed) {
  const unsigned char *c = p;
  uint64_t h = 1469598103934665603ULL ^ seed;
  for (size_t i = 0; i < n; i++) {
    h ^= c[i];
    h *= 1099511628211ULL;
  }
  return h;
}

double jb_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
