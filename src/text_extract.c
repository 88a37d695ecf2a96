/*
** text_extract.c — the text of an attached file (.pdf, .docx, .txt), and
** whether that text is words at all.
**
** PDF goes through poppler's glib API, .docx through libzip and expat (the
** OOXML package reader in ooxml.c), plain text is
** taken as UTF-8 or, failing that, GB18030 (what Chinese Windows writes).
** No parser of our own: these formats are too hostile for that.
**
** What comes out is cleaned the same way for every format:
**   - typographic ligatures (ﬁ ﬂ ﬀ) and the mathematical alphanumerics
**     (𝑙𝑎𝑦𝑒𝑟) become the letters they are: PDFs are full of them, and the
**     tokenizer would cut "efﬁcient" into "ef" and "cient";
**   - control characters go, lines hyphenated at their end are joined;
**   - text is judged in blocks of about a paragraph: a block whose letters
**     are mostly font-encoding garbage (a PDF font without a Unicode map
**     gives "ÂÓÙÖÒ Ð Ó ÖØ"), private-use or replacement characters, or
**     "words" without vowels, is dropped and counted, never indexed;
**   - a PDF with pages but (almost) no letters has no text layer: scanned.
*/
#include "jb_int.h"
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ooxml.h"
#include <poppler.h>

/* ------------------------------------------------------------ reading */

static const char *format_of(const char *path, const unsigned char *p, size_t n) {
  /* the content decides when it is unambiguous, the name otherwise */
  if (n >= 5 && !memcmp(p, "%PDF-", 5)) return "pdf";
  const char *dot = strrchr(path, '.');
  if (n >= 4 && !memcmp(p, "PK\3\4", 4)) return "docx";
  if (dot && (!strcmp(dot, ".txt") || !strcmp(dot, ".TXT") || !strcmp(dot, ".text"))) return "txt";
  if (dot && (!strcmp(dot, ".pdf") || !strcmp(dot, ".PDF"))) return "pdf";
  if (dot && (!strcmp(dot, ".docx") || !strcmp(dot, ".DOCX"))) return "docx";
  return NULL;
}

static jb_status read_file(const char *path, size_t max, jb_buf *out, jb_error *err) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    jb_err_set(err, JB_ERR_IO, "%s: %s", path, strerror(errno));
    return JB_ERR_IO;
  }
  if (!S_ISREG(sb.st_mode)) {
    jb_err_set(err, JB_ERR_IO, "%s: not a regular file", path);
    return JB_ERR_IO;
  }
  if ((unsigned long long)sb.st_size > max) {
    jb_err_set(err, JB_ERR_LIMIT, "%s: %.1f MB, the limit for one attached file is %.0f MB", path,
               sb.st_size / 1048576.0, max / 1048576.0);
    return JB_ERR_LIMIT;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    jb_err_set(err, JB_ERR_IO, "%s: %s", path, strerror(errno));
    return JB_ERR_IO;
  }
  char chunk[65536];
  size_t got;
  while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0 && out->n <= max) jb_buf_add(out, chunk, got);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    jb_err_set(err, JB_ERR_IO, "%s: read error", path);
    return JB_ERR_IO;
  }
  if (out->n > max) { /* grew while we read it */
    jb_err_set(err, JB_ERR_LIMIT, "%s: more than %.0f MB, the limit for one attached file", path, max / 1048576.0);
    return JB_ERR_LIMIT;
  }
  if (out->oom) {
    jb_err_set(err, JB_ERR_NOMEM, "%s: out of memory reading the file", path);
    return JB_ERR_NOMEM;
  }
  return JB_OK;
}

/* ---------------------------------------------------------------- PDF */

static jb_status read_pdf(const unsigned char *p, size_t n, jb_buf *text, int *pages, jb_error *err) {
  GBytes *bytes = g_bytes_new_static(p, n);
  GError *ge = NULL;
  PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &ge);
  if (!doc) {
    int locked = ge && ge->domain == POPPLER_ERROR && ge->code == POPPLER_ERROR_ENCRYPTED;
    jb_err_set(err, JB_ERR_PARSE, "%s", locked ? "the PDF is password-protected" : "not a readable PDF");
    if (ge) g_error_free(ge);
    g_bytes_unref(bytes);
    return JB_ERR_PARSE;
  }
  int np = poppler_document_get_n_pages(doc);
  *pages = np;
  for (int i = 0; i < np && !text->oom && text->n < JB_MAX_FILE_TEXT; i++) {
    PopplerPage *page = poppler_document_get_page(doc, i);
    if (!page) continue;
    char *t = poppler_page_get_text(page);
    if (t) {
      jb_buf_adds(text, t);
      jb_buf_adds(text, "\n\n"); /* a page ends a paragraph */
      g_free(t);
    }
    g_object_unref(page);
  }
  g_object_unref(doc);
  g_bytes_unref(bytes);
  return JB_OK;
}

/* --------------------------------------------------------------- DOCX */

/* The body of a Word document is word/document.xml: runs of text in <w:t>,
** paragraphs <w:p>, tabs and breaks, table cells <w:tc>. Text outside <w:t>
** (field codes in <w:instrText>, deleted text in <w:delText>) is not the
** document's text. The package is read by ooxml.c (size and inflation-ratio
** bounds, no DOCTYPE), which also reads .xlsx for import. */
typedef struct docx_ctx {
  jb_buf *out;
  int in_t;
} docx_ctx;

static int docx_start(void *ud, const char *name, const char **attrs) {
  docx_ctx *x = ud;
  if (!strcmp(name, "t")) x->in_t = 1;
  else if (!strcmp(name, "tab")) jb_buf_addc(x->out, '\t');
  else if (!strcmp(name, "br") || !strcmp(name, "cr")) jb_buf_addc(x->out, '\n');
  return 0;
}

static int docx_end(void *ud, const char *name) {
  docx_ctx *x = ud;
  if (!strcmp(name, "t")) x->in_t = 0;
  else if (!strcmp(name, "p")) jb_buf_adds(x->out, "\n\n");
  else if (!strcmp(name, "tc")) jb_buf_addc(x->out, '\t'); /* table cells side by side */
  return 0;
}

static int docx_text(void *ud, const char *s, int len) {
  docx_ctx *x = ud;
  if (x->in_t && x->out->n < JB_MAX_FILE_TEXT) jb_buf_add(x->out, s, (size_t)len);
  return 0;
}

static jb_status read_docx(const unsigned char *p, size_t n, jb_buf *text, jb_error *err) {
  jb_zip *z = NULL;
  jb_status rc = jb_zip_open_mem(p, n, ".docx", &z, err);
  if (rc) return rc == JB_ERR_NOMEM ? rc : JB_ERR_PARSE;
  if (!jb_zip_has(z, "word/document.xml")) {
    jb_zip_close(z);
    jb_err_set(err, JB_ERR_PARSE, "not a Word document: no word/document.xml inside");
    return JB_ERR_PARSE;
  }
  docx_ctx x = {text, 0};
  jb_xml_handler h = {docx_start, docx_end, docx_text, &x};
  rc = jb_zip_parse_xml(z, "word/document.xml", 0, &h, err);
  jb_zip_close(z);
  return rc;
}

/* ---------------------------------------------------------------- TXT */

static jb_status read_txt(const unsigned char *p, size_t n, jb_buf *text, jb_error *err) {
  if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) { p += 3; n -= 3; }
  if (jb_utf8_invalid_at((const char *)p, n) < 0) {
    jb_buf_add(text, p, n);
    return JB_OK;
  }
  /* not UTF-8: Chinese Windows Notepad writes GB18030 (GBK) */
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == (iconv_t)-1) {
    jb_err_set(err, JB_ERR_PARSE, "text is not UTF-8 (and GB18030 is not available)");
    return JB_ERR_PARSE;
  }
  size_t cap = n * 2 + 16;
  char *buf = malloc(cap), *op = buf, *ip = (char *)p;
  size_t il = n, ol = cap;
  jb_status rc = JB_OK;
  if (!buf) rc = JB_ERR_NOMEM;
  else if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) rc = JB_ERR_PARSE;
  iconv_close(cd);
  if (rc == JB_ERR_PARSE)
    jb_err_set(err, rc, "text is neither UTF-8 nor GB18030 (byte %ld)", (long)(ip - (char *)p));
  else if (rc) jb_err_set(err, rc, "out of memory");
  else jb_buf_add(text, buf, (size_t)(op - buf));
  free(buf);
  return rc;
}

/* ------------------------------------------------------------ cleaning */

/* The letters a code point stands for when it is a ligature or a
** mathematical alphanumeric, or NULL. */
static const char *unfold(uint32_t cp, char one[2]) {
  static const char *const lig[] = {"ff", "fi", "fl", "ffi", "ffl", "st", "st"};
  if (cp >= 0xFB00 && cp <= 0xFB06) return lig[cp - 0xFB00];
  if (cp >= 0x1D400 && cp <= 0x1D6A3) { /* 𝐀..𝚣: 13 alphabets of 52 letters */
    uint32_t i = (cp - 0x1D400) % 52;
    one[0] = (char)(i < 26 ? 'A' + i : 'a' + i - 26);
    one[1] = 0;
    return one;
  }
  if (cp >= 0x1D7CE && cp <= 0x1D7FF) { /* 𝟎..𝟿: 5 sets of digits */
    one[0] = (char)('0' + (cp - 0x1D7CE) % 10);
    one[1] = 0;
    return one;
  }
  return NULL;
}

/* Ligatures and math letters unfolded, controls dropped (newline and tab
** kept), a word hyphenated across a line end joined, runs of spaces cut. */
static void normalize(const char *s, size_t n, jb_buf *out) {
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    int l = jb_utf8_decode((const unsigned char *)s + i, n - i, &cp);
    if (l <= 0) { i++; continue; }
    char one[2];
    const char *u = unfold(cp, one);
    if (u) jb_buf_adds(out, u);
    else if (cp == '-' && i + 1 < n && s[i + 1] == '\n' && i > 0 &&
             ((s[i - 1] | 32) >= 'a' && (s[i - 1] | 32) <= 'z') && i + 2 < n &&
             s[i + 2] >= 'a' && s[i + 2] <= 'z') {
      i += 2; /* "docu-\nment" -> "document" */
      continue;
    } else if (cp == '\r' || cp == '\f' || cp == '\v') jb_buf_addc(out, '\n');
    else if (cp < 0x20 && cp != '\n' && cp != '\t') jb_buf_addc(out, ' ');
    else if ((cp >= 0x7F && cp < 0xA0) || cp == 0xFEFF) jb_buf_addc(out, ' ');
    else jb_buf_add(out, s + i, (size_t)l);
    i += (size_t)l;
  }
  jb_buf_str(out);
}

/* Letter counts of a block of text, for judging it. */
typedef struct block_stats {
  long letters;     /* letters and ideographs of any script */
  long ascii;       /* of them ASCII letters */
  long suspect;     /* letters that real text rarely has many of */
  long words, vowelless; /* ASCII words of 4+ letters, those without a vowel */
} block_stats;

static void block_count(const char *s, size_t n, block_stats *b) {
  memset(b, 0, sizeof(*b));
  size_t i = 0;
  int wl = 0, vowel = 0;
  while (i <= n) {
    uint32_t cp = 0;
    int l = i < n ? jb_utf8_decode((const unsigned char *)s + i, n - i, &cp) : 1;
    if (l <= 0) { l = 1; cp = 0xFFFD; }
    int ascii_letter = (cp | 32) >= 'a' && (cp | 32) <= 'z';
    if (ascii_letter) {
      wl++;
      if (strchr("aeiouyAEIOUY", (int)cp)) vowel = 1;
    } else {
      if (wl >= 4) { /* shorter ones are often acronyms: PLC, DCS, kWh */
        b->words++;
        if (!vowel) b->vowelless++;
      }
      wl = 0;
      vowel = 0;
    }
    if (i < n) {
      if (ascii_letter) {
        b->letters++;
        b->ascii++;
      }
      else if (cp >= 0x80) {
        /* Latin-1 letters (ÂÓÙ), private use, replacement, C1: what a font
        ** without a Unicode map turns into */
        int sus = (cp >= 0xC0 && cp <= 0xFF && cp != 0xD7 && cp != 0xF7) || (cp >= 0xE000 && cp <= 0xF8FF) ||
                  cp == 0xFFFD || (cp >= 0xF0000);
        if (sus || jb_char_class(jb_char_fold(cp))) b->letters++;
        if (sus) b->suspect++;
      }
    }
    i += (size_t)l;
  }
}

/* 1 when a block of text is not words. Accents are a few letters in ten of
** French or German, never most of them; English has a vowel in nearly every
** word of four letters or more (the rest: "http", "HPLC"). The vowel test
** is for English blocks only: in Chinese text the Latin words are mostly
** acronyms (PLC, DCS, kWh; a generated 300-page PDF lost blocks to it). */
static int block_is_garbage(const block_stats *b) {
  if (b->letters < 8) return 0; /* too little to judge: numbers, a heading */
  if (b->suspect * 10 > b->letters * 4) return 1;
  if (b->ascii * 2 > b->letters && b->words >= 8 && b->vowelless * 10 > b->words * 4) return 1;
  return 0;
}

/* Keeps the blocks that are words; counts letters kept and dropped. A block
** ends at a blank line, or at a line end past 2 KB (one long paragraph is
** judged in pieces). */
static void filter_blocks(const char *s, size_t n, jb_buf *out, long *kept, long *dropped) {
  size_t i = 0;
  *kept = *dropped = 0;
  while (i < n) {
    size_t j = i;
    while (j < n) {
      const char *nl = memchr(s + j, '\n', n - j);
      if (!nl) { j = n; break; }
      j = (size_t)(nl - s) + 1;
      if ((j < n && s[j] == '\n') || j - i > 2048) break;
    }
    block_stats b;
    block_count(s + i, j - i, &b);
    if (block_is_garbage(&b)) {
      *dropped += b.letters;
      jb_buf_addc(out, '\n');
    } else {
      *kept += b.letters;
      jb_buf_add(out, s + i, j - i);
    }
    i = j;
  }
  jb_buf_str(out);
}

/* -------------------------------------------------------------- public */

void jb_extract_free(jb_extract *x) {
  if (!x) return;
  free(x->text);
  memset(x, 0, sizeof(*x));
}

jb_status jb_extract_mem(const void *data, size_t n, const char *format, jb_extract *x, jb_error *err) {
  memset(x, 0, sizeof(*x));
  jb_buf raw = {0}, norm = {0}, kept = {0};
  jb_status rc = JB_OK;
  const unsigned char *p = data;
  x->size = (long)n;
  x->format = !strcmp(format, "pdf") ? "pdf" : !strcmp(format, "docx") ? "docx" : "txt";
  jb_sha256 h;
  jb_sha256_init(&h);
  jb_sha256_update(&h, data, n);
  jb_sha256_final(&h, x->sha256);
  if (x->format[0] == 'p') rc = read_pdf(p, n, &raw, &x->pages, err);
  else if (x->format[0] == 'd') rc = read_docx(p, n, &raw, err);
  else rc = read_txt(p, n, &raw, err);
  if (!rc && raw.oom) {
    rc = JB_ERR_NOMEM;
    jb_err_set(err, rc, "out of memory extracting text");
  }
  if (rc) goto done;
  /* a text beyond the limit is cut on a character boundary, and said so */
  if (raw.n > JB_MAX_FILE_TEXT) {
    size_t cut = JB_MAX_FILE_TEXT;
    while (cut > 0 && ((unsigned char)raw.p[cut] & 0xC0) == 0x80) cut--;
    raw.n = cut;
    x->truncated = 1;
  }
  normalize(raw.p ? raw.p : "", raw.n, &norm);
  filter_blocks(norm.p ? norm.p : "", norm.n, &kept, &x->chars, &x->dropped);
  if (norm.oom || kept.oom) {
    rc = JB_ERR_NOMEM;
    jb_err_set(err, rc, "out of memory extracting text");
    goto done;
  }
  /* a page of a paper has some 3,000 letters; under 20 a page there is no
  ** text layer worth the name (a scan, or page numbers only) */
  if (x->pages > 0 && x->chars + x->dropped < 20L * x->pages) x->status = "no_text";
  else if (x->dropped > x->chars) x->status = "garbage";
  else if (x->dropped > 0) x->status = "partial";
  else x->status = "ok";
  if (strcmp(x->status, "ok") && strcmp(x->status, "partial")) {
    x->text = jb_strdup(""); /* nothing of it is words: index nothing */
    x->chars = 0;
  } else {
    x->text = kept.p ? kept.p : jb_strdup("");
    kept.p = NULL;
  }
  if (!x->text) {
    rc = JB_ERR_NOMEM;
    jb_err_set(err, rc, "out of memory");
  }
done:
  jb_buf_free(&raw);
  jb_buf_free(&norm);
  jb_buf_free(&kept);
  if (rc) jb_extract_free(x);
  return rc;
}

jb_status jb_extract_file(const char *path, jb_extract *x, jb_error *err) {
  memset(x, 0, sizeof(*x));
  jb_buf data = {0};
  jb_status rc = read_file(path, JB_MAX_FILE_BYTES, &data, err);
  if (rc) {
    jb_buf_free(&data);
    return rc;
  }
  const char *fmt = format_of(path, (const unsigned char *)(data.p ? data.p : ""), data.n);
  if (!fmt) {
    jb_buf_free(&data);
    jb_err_set(err, JB_ERR_INVALID, "%s: not a .pdf, .docx or .txt file", path);
    return JB_ERR_INVALID;
  }
  rc = jb_extract_mem(data.p ? data.p : "", data.n, fmt, x, err);
  if (rc && err && strncmp(err->message, path, strlen(path))) {
    jb_error inner = *err; /* name the file */
    jb_err_set(err, inner.code, "%s: %s", path, inner.message);
  }
  jb_buf_free(&data);
  return rc;
}

int jb_extract_sha256(const char *path, char out[65], long *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  jb_sha256 h;
  jb_sha256_init(&h);
  char chunk[65536];
  size_t got;
  long total = 0;
  while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
    jb_sha256_update(&h, chunk, got);
    total += (long)got;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) return -1;
  jb_sha256_final(&h, out);
  *size = total;
  return 0;
}
