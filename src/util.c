/*
** util.c — byte buffers, UTF-8, hashing, clocks.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

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

long jb_json_nul_escape_at(const char *s, size_t n) {
  for (size_t i = 0; i + 1 < n; i++) {
    if (s[i] != '\\') continue;
    if (s[i + 1] == 'u' && i + 5 < n + 0 && !strncmp(s + i + 2, "0000", 4)) return (long)i;
    i++; /* skip the escaped character, a backslash included */
  }
  return -1;
}

int jb_date_valid(const char *s) {
  int n = (int)strlen(s);
  if (n != 4 && n != 7 && n != 10) return 0;
  for (int i = 0; i < n; i++) {
    if (i == 4 || i == 7) {
      if (s[i] != '-') return 0;
    } else if (s[i] < '0' || s[i] > '9') return 0;
  }
  int y = atoi(s), m = n >= 7 ? atoi(s + 5) : 1, d = n == 10 ? atoi(s + 8) : 1;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return 0;
  return y >= 1900 && y <= 2200 && m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1];
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *jb_json_duplicate_key(const cJSON *j) {
  if (!j) return NULL;
  if (cJSON_IsObject(j)) {
    /* sorted names, so that a hostile object of 100,000 keys costs n log n */
    size_t n = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, j) n++;
    if (n > 1) {
      const char **v = malloc(n * sizeof(*v));
      if (!v) return NULL;
      size_t i = 0;
      cJSON_ArrayForEach(c, j) v[i++] = c->string ? c->string : "";
      qsort(v, n, sizeof(*v), cmp_name);
      const char *dup = NULL;
      for (i = 1; i < n && !dup; i++)
        if (!strcmp(v[i - 1], v[i])) dup = v[i];
      free(v);
      if (dup) return dup;
    }
  }
  const cJSON *c;
  cJSON_ArrayForEach(c, j) {
    const char *d = jb_json_duplicate_key(c);
    if (d) return d;
  }
  return NULL;
}

void jb_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
  if (base && n > 1) qsort(base, n, size, cmp);
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

/* SHA-256 (FIPS 180-4), for audit manifests: which inputs a proposal was
** made from. Written from the specification. */
static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha_block(jb_sha256 *c, const unsigned char *b) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = c->h[0], bb = c->h[1], cc = c->h[2], d = c->h[3], e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & bb) ^ (a & cc) ^ (bb & cc));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = cc;
    cc = bb;
    bb = a;
    a = t1 + t2;
  }
  c->h[0] += a;
  c->h[1] += bb;
  c->h[2] += cc;
  c->h[3] += d;
  c->h[4] += e;
  c->h[5] += f;
  c->h[6] += g;
  c->h[7] += h;
}

void jb_sha256_init(jb_sha256 *c) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, h0, sizeof(h0));
  c->len = 0;
  c->nbuf = 0;
}

void jb_sha256_update(jb_sha256 *c, const void *p, size_t n) {
  const unsigned char *b = p;
  c->len += n;
  while (n > 0) {
    size_t take = 64 - c->nbuf < n ? 64 - c->nbuf : n;
    memcpy(c->buf + c->nbuf, b, take);
    c->nbuf += take;
    b += take;
    n -= take;
    if (c->nbuf == 64) {
      sha_block(c, c->buf);
      c->nbuf = 0;
    }
  }
}

void jb_sha256_final(jb_sha256 *c, char out[65]) {
  uint64_t bits = c->len * 8;
  unsigned char pad = 0x80;
  jb_sha256_update(c, &pad, 1);
  unsigned char zero = 0;
  while (c->nbuf != 56) jb_sha256_update(c, &zero, 1);
  unsigned char lenb[8];
  for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
  jb_sha256_update(c, lenb, 8);
  for (int i = 0; i < 8; i++) snprintf(out + 8 * i, 9, "%08x", c->h[i]);
}
