/*
** match_store.c — the match index on disk, beside the database (DB.mx).
** This module owns that file: its name, writing, reading, checking, and
** forgetting it (store_db.c only asks for it to be released or discarded).
**
** Building the index tokenizes every document: seconds for a county, a
** minute for 100,000 experts and achievements. Every process that matches
** would pay that; instead the first one writes the index here and the next
** ones map it. The file names the state it was built from — the data
** generation, the lexicon's hash, the tokenizer version and the document
** field weights — and is ignored (then rewritten) when any differs.
**
** Layout (format JBMX0005): a fixed header, then sections, each 8-byte
** aligned, found through the header's section table (offset, length,
** CRC-32); the forward lists and postings carry a CRC-32 per 64 KiB block
** instead (their own sections; their section CRC is 0), checked when the
** block is first read. The large arrays (documents, forward lists, posting offsets and
** postings) are stored exactly as the scorer reads them and are used in
** place from the mapping, not copied. Strings live in one blob of
** NUL-terminated strings and are referred to by offset. Native byte order
** and struct layout: the file is a cache for this machine, not an exchange
** format (the header's sizes catch a mismatch).
**
** Nothing read from the file is trusted: the header and every section carry
** a CRC-32 (zlib), every count comes from a section's length, and every
** offset and index is checked against what it points into before it is
** used. At load (mx_load) that is everything but the forward lists and the
** postings: the header (with the file's size: a truncated or extended file
** is refused), the units, terms, strings, relations, documents and posting
** offsets — a few percent of the file. The forward lists and postings are
** checked a 64 KiB block at a time, on first read (see mx_lazy in
** match_int.h); mx_verify checks the rest (`jiebang integrity`, and batch,
** assign, demands and check up front). A file that fails any check is
** reported on stderr, removed and rebuilt — never used: an answer computed
** while a block turned out damaged is thrown away and computed again. The file is opened without following
** symlinks and without blocking, and must be a regular file (a FIFO at
** DB.mx must not hang a command).
**
** Writing: a new file with an unpredictable name, created exclusively
** (O_CREAT|O_EXCL|O_NOFOLLOW), written, fsynced, renamed over DB.mx, and the
** directory fsynced; a reader sees the old file or the new one, never half
** of one. A writer killed before its rename leaves DB.mx.tmp-PID-XXXXXX:
** the next save removes those whose process is gone.
*/
/* madvise(MADV_DONTNEED): glibc's posix_madvise ignores POSIX_MADV_DONTNEED */
#define _DEFAULT_SOURCE
#include "match_int.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MX_MAGIC "JBMX0005"
#define MX_NOSTR UINT64_MAX

/* Sections, in file order. Per collection (supply, demand): documents,
** forward list, posting offsets, posting counts, postings, statistics. */
enum {
  S_UNITS, S_TERMS, S_CONFLICTS, S_COLLABS, S_ORGS,
  S_COLL0, /* S_COLL0 + c * S_PER_COLL + S_DOCS ... */
  S_STRINGS = S_COLL0 + 2 * 8,
  S_TERMHASH, /* the supply part's term lookup table (mx_term_slots_save) */
  MX_NSEC
};
/* per block CRC-32 of the forward list and the postings: S_FWDCRC, S_POSTCRC */
enum { S_DOCS, S_FWD, S_OFF, S_NPOST, S_POST, S_CSTAT, S_FWDCRC, S_POSTCRC, S_PER_COLL };

typedef struct mx_section {
  uint64_t off, len;
  uint32_t crc, pad;
} mx_section;

typedef struct mx_header {
  char magic[8];
  char tokenizer[32];
  char generation[64]; /* instance:generation */
  uint64_t lexhash;
  double fw[4];
  uint32_t sizes[4];   /* sizeof mx_posting, mx_fwd, mx_doc, mx_header: layout check */
  /* the part (MX_PART_*); for the needs part, the supply part it extends:
  ** its state, its number of units and of terms */
  uint32_t part, base_units, base_terms, pad0;
  char base[64];
  uint64_t file_size;
  mx_section sec[MX_NSEC];
  uint32_t crc;        /* of the header up to here */
  uint32_t pad;
} mx_header;

/* On-disk records for what holds strings: offsets into the string blob. */
typedef struct disk_unit {
  uint8_t type, programs, open, pad;
  int16_t capacity, pad2;
  uint32_t doc0, ndocs;
  uint32_t inventor;   /* achievements: the unit of their inventor, else UINT32_MAX */
  uint64_t chains;
  uint64_t content;
  uint64_t str[5];     /* id, name, org, region, list */
} disk_unit;

typedef struct disk_pair {
  uint64_t key, note;
  int32_t year, pad;
} disk_pair;

typedef struct disk_org {
  uint64_t id, parent, name;
} disk_org;

typedef struct disk_cstat {
  double avglen;
  int32_t maxyear, pad;
  uint64_t nterms_alloc;
} disk_cstat;

char *mx_index_path(const jb_db *db, int part) {
  if (!db->path || !*db->path || !strcmp(db->path, ":memory:")) return NULL;
  jb_buf b = {0};
  jb_buf_printf(&b, "%s.mx%s", db->path, part == MX_PART_NEEDS ? ".needs" : "");
  return b.p;
}

static void fill_header(mx_header *h, int part, const char *generation, uint64_t lexhash, const double fw[4]) {
  memset(h, 0, sizeof(*h));
  h->part = (uint32_t)part;
  memcpy(h->magic, MX_MAGIC, 8);
  snprintf(h->tokenizer, sizeof(h->tokenizer), "%s", JB_TOKENIZER_VERSION);
  snprintf(h->generation, sizeof(h->generation), "%s", generation);
  h->lexhash = lexhash;
  memcpy(h->fw, fw, sizeof(h->fw));
  h->sizes[0] = sizeof(mx_posting);
  h->sizes[1] = sizeof(mx_fwd);
  h->sizes[2] = sizeof(mx_doc);
  h->sizes[3] = sizeof(mx_header);
}

static uint32_t crc_of(const void *p, uint64_t n) {
  return (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), (const Bytef *)p, (z_size_t)n);
}

void mx_report_damage(const char *path, const char *why) {
  /* a cache that went bad is not the user's error, but it is worth a line:
  ** a disk that damages this file may damage the database next */
  fprintf(stderr, jb_msg(JB_MSG_MX_DAMAGED), path ? path : "DB.mx", why);
  fputc('\n', stderr);
}

/* ---------------------------------------------------------------- write */

typedef struct wr {
  FILE *f;
  uint64_t pos;
  int bad;
  jb_buf strings;      /* the string blob, written last */
  mx_header h;
  int cur;             /* section being written */
  uLong crc;
  int nocrc;           /* a section checked by its blocks' CRCs (put_block_crcs) alone */
} wr;

static int big_section(int s);

static void put(wr *w, const void *p, size_t n) {
  if (w->bad || !n) return;
  if (fwrite(p, 1, n, w->f) != n) w->bad = 1;
  if (!w->nocrc) w->crc = crc32_z(w->crc, p, n);
  w->pos += n;
}

static void sec_begin(wr *w, int s) {
  static const char zero[8] = {0};
  if (w->pos % 8) {
    size_t pad = 8 - w->pos % 8;
    if (!w->bad && fwrite(zero, 1, pad, w->f) != pad) w->bad = 1;
    w->pos += pad;
  }
  w->cur = s;
  w->nocrc = big_section(s);
  w->h.sec[s].off = w->pos;
  w->crc = crc32_z(0, Z_NULL, 0);
}

static void sec_end(wr *w) {
  w->h.sec[w->cur].len = w->pos - w->h.sec[w->cur].off;
  w->h.sec[w->cur].crc = (uint32_t)w->crc;
}

static uint64_t str_ref(wr *w, const char *s) {
  if (!s) return MX_NOSTR;
  uint64_t at = w->strings.n;
  if (jb_buf_add(&w->strings, s, strlen(s) + 1)) w->bad = 1;
  return at;
}

static void put_pairs(wr *w, int s, const mx_pair *v, uint32_t n) {
  sec_begin(w, s);
  for (uint32_t i = 0; i < n; i++) {
    disk_pair p = {str_ref(w, v[i].key), str_ref(w, v[i].note), v[i].year, 0};
    put(w, &p, sizeof(p));
  }
  sec_end(w);
}

/* The CRC-32 of each MX_BLOCK_BYTES of an array, as a section. */
static void put_block_crcs(wr *w, int s, const void *p, uint64_t len) {
  sec_begin(w, s);
  for (uint64_t o = 0; o < len; o += MX_BLOCK_BYTES) {
    uint32_t c = crc_of((const char *)p + o, len - o < MX_BLOCK_BYTES ? len - o : MX_BLOCK_BYTES);
    put(w, &c, sizeof(c));
  }
  sec_end(w);
}

/* The posting table is cut to the terms that exist (the builder's is a
** power of two): readers check a term against nterms_alloc anyway. */
static void put_coll(wr *w, int c, const mx_coll *co, uint32_t nterms) {
  int s0 = S_COLL0 + c * S_PER_COLL;
  uint32_t nt = co->off ? (co->nterms_alloc < nterms ? co->nterms_alloc : nterms) : 0;
  const void *arr[S_PER_COLL - 1] = {co->docs, co->fwd, co->off, co->npost, co->post};
  size_t len[S_PER_COLL - 1] = {sizeof(mx_doc) * co->ndocs, sizeof(mx_fwd) * co->nfwd,
                                nt ? sizeof(uint64_t) * ((size_t)nt + 1) : 0, sizeof(uint32_t) * nt,
                                sizeof(mx_posting) * (nt ? co->off[nt] : 0)};
  for (int i = 0; i < S_PER_COLL - 1; i++) {
    sec_begin(w, s0 + i);
    put(w, arr[i], len[i]);
    sec_end(w);
  }
  disk_cstat st = {co->avglen, co->maxyear, 0, nt};
  sec_begin(w, s0 + S_CSTAT);
  put(w, &st, sizeof(st));
  sec_end(w);
  put_block_crcs(w, s0 + S_FWDCRC, arr[1], len[1]);
  put_block_crcs(w, s0 + S_POSTCRC, arr[4], len[4]);
}

/* The sections of one part; the other part's are written empty. */
static void write_body(wr *w, const jb_match_index *mx, int part, uint32_t lo) {
  int needs = part == MX_PART_NEEDS;
  sec_begin(w, S_UNITS);
  for (uint32_t i = needs ? lo : 0; i < (needs ? mx->nunits : lo); i++) {
    const mx_unit *u = &mx->units[i];
    disk_unit d;
    memset(&d, 0, sizeof(d));
    d.type = u->type;
    d.programs = u->programs;
    d.open = u->open;
    d.capacity = u->capacity;
    d.doc0 = u->doc0;
    d.ndocs = u->ndocs;
    d.inventor = u->type == MX_ACHIEVEMENT ? u->inventor : UINT32_MAX;
    d.chains = u->chains;
    d.content = u->content;
    const char *s[5] = {u->id, u->name, u->org, u->region, u->list};
    for (int k = 0; k < 5; k++) d.str[k] = str_ref(w, s[k]);
    put(w, &d, sizeof(d));
  }
  sec_end(w);
  sec_begin(w, S_TERMS);
  for (uint32_t i = needs ? mx->nterms_supply : 0; i < (needs ? mx->terms.n : mx->nterms_supply); i++) {
    uint64_t r = str_ref(w, mx->terms.text[i]);
    put(w, &r, sizeof(r));
  }
  sec_end(w);
  put_pairs(w, S_CONFLICTS, mx->conflicts, needs ? 0 : mx->nconflicts);
  put_pairs(w, S_COLLABS, mx->collabs, needs ? 0 : mx->ncollabs);
  sec_begin(w, S_ORGS);
  for (uint32_t i = 0; !needs && i < mx->norgs; i++) {
    disk_org o = {str_ref(w, mx->orgs[i].id), str_ref(w, mx->orgs[i].parent), str_ref(w, mx->orgs[i].name)};
    put(w, &o, sizeof(o));
  }
  sec_end(w);
  static const mx_coll none;
  put_coll(w, 0, needs ? &none : &mx->supply, mx->nterms_supply);
  put_coll(w, 1, needs ? &mx->demand : &none, mx->terms.n);
  uint32_t nslots = 0, *slots = needs ? NULL : mx_term_slots_save(mx, &nslots);
  if (!needs && !slots) w->bad = 1;
  sec_begin(w, S_TERMHASH);
  put(w, slots, sizeof(uint32_t) * nslots);
  sec_end(w);
  free(slots);
  sec_begin(w, S_STRINGS);
  put(w, w->strings.p, w->strings.n);
  sec_end(w);
}

/* Temp files of writers that died before their rename: DB.mx.tmp-PID-XXXXXX
** whose PID no longer runs. Best effort; another host's writer on a shared
** directory would keep its file only until its pid is reused here. */
static void remove_orphans(const char *path) {
  const char *slash = strrchr(path, '/');
  jb_buf dir = {0}, prefix = {0}, victim = {0};
  if (slash) jb_buf_add(&dir, path, (size_t)(slash - path) + 1);
  else jb_buf_adds(&dir, "./");
  jb_buf_printf(&prefix, "%s.tmp-", slash ? slash + 1 : path);
  DIR *d = opendir(jb_buf_str(&dir));
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (strncmp(e->d_name, prefix.p, prefix.n)) continue;
    char *end = NULL;
    long pid = strtol(e->d_name + prefix.n, &end, 10);
    if (pid <= 0 || !end || *end != '-' || pid == (long)getpid()) continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive, or not ours to know */
    jb_buf_reset(&victim);
    jb_buf_printf(&victim, "%s%s", dir.p, e->d_name);
    unlink(jb_buf_str(&victim));
  }
  if (d) closedir(d);
  jb_buf_free(&dir);
  jb_buf_free(&prefix);
  jb_buf_free(&victim);
}

/* Creates DB.mx.tmp-PID-XXXXXX exclusively (never through a symlink, never
** an existing file), with the database file's permissions. */
static int create_temp(const char *path, const char *dbpath, jb_buf *tmp) {
  static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char rnd[12];
  int ur = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ssize_t got = ur >= 0 ? read(ur, rnd, sizeof(rnd)) : -1;
  if (ur >= 0) close(ur);
  if (got != (ssize_t)sizeof(rnd)) return -1;
  jb_buf_reset(tmp);
  jb_buf_printf(tmp, "%s.tmp-%ld-", path, (long)getpid());
  for (size_t i = 0; i < sizeof(rnd); i++) jb_buf_addc(tmp, abc[rnd[i] % 36]);
  struct stat st;
  mode_t mode = stat(dbpath, &st) == 0 ? (st.st_mode & 0666) : 0600;
  return open(jb_buf_str(tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
}

static void fsync_dir(const char *path) {
  jb_buf dir = {0};
  const char *slash = strrchr(path, '/');
  if (slash) jb_buf_add(&dir, path, (size_t)(slash - path) + 1);
  else jb_buf_adds(&dir, ".");
  int fd = open(jb_buf_str(&dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  jb_buf_free(&dir);
}

int mx_save(jb_db *db, const jb_match_index *mx, int part) {
  if (db->no_index_save) return -1; /* another connection of this process writes it */
  char *path = mx_index_path(db, part);
  if (!path || !mx->generation || !mx->supply_state) {
    free(path);
    return -1;
  }
  for (int p = 0; p < 2; p++) { /* both parts' */
    char *pp = mx_index_path(db, p);
    if (pp) remove_orphans(pp);
    free(pp);
  }
  jb_buf tmp = {0};
  int fd = create_temp(path, db->path, &tmp);
  wr w;
  memset(&w, 0, sizeof(w));
  w.f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!w.f) {
    if (fd >= 0) {
      close(fd);
      unlink(tmp.p);
    }
    free(path);
    jb_buf_free(&tmp);
    return -1;
  }
  uint32_t lo = 0; /* the first need unit */
  while (lo < mx->nunits && mx->units[lo].type != MX_NEED) lo++;
  fill_header(&w.h, part, part == MX_PART_NEEDS ? mx->generation : mx->supply_state, mx->lexhash, mx->fw);
  if (part == MX_PART_NEEDS) {
    snprintf(w.h.base, sizeof(w.h.base), "%s", mx->supply_state);
    w.h.base_units = lo;
    w.h.base_terms = mx->nterms_supply;
  }
  put(&w, &w.h, sizeof(w.h)); /* a placeholder: rewritten with the section table */
  write_body(&w, mx, part, lo);
  w.bad |= w.strings.oom;
  w.h.file_size = w.pos;
  w.h.crc = crc_of(&w.h, offsetof(mx_header, crc));
  if (!w.bad && (fflush(w.f) || pwrite(fd, &w.h, sizeof(w.h), 0) != (ssize_t)sizeof(w.h))) w.bad = 1;
  if (!w.bad && fsync(fd)) w.bad = 1;
  int bad = w.bad | (fclose(w.f) != 0);
  if (!bad) bad = rename(tmp.p, path) != 0;
  if (bad) unlink(tmp.p);
  else fsync_dir(path);
  jb_buf_free(&w.strings);
  free(path);
  jb_buf_free(&tmp);
  return bad ? -1 : 0;
}

/* ----------------------------------------------------------------- read */

typedef struct rd {
  const unsigned char *p;
  uint64_t n;
  const mx_header *h;
  const char *why;     /* the first check that failed */
  const char *str;     /* the string blob */
  uint64_t nstr;
  int full;            /* check the forward lists and postings now, not on first read */
} rd;

/* The forward lists and postings, checked a block at a time (mx_lazy). */
static int big_section(int s) {
  return s >= S_COLL0 && s < S_STRINGS && ((s - S_COLL0) % S_PER_COLL == S_FWD || (s - S_COLL0) % S_PER_COLL == S_POST);
}

#define FAIL(r, msg) ((r)->why ? 0 : ((r)->why = (msg), 0))

/* Section s as an array of n elements of `size` bytes, or NULL (r->why). */
static const void *section(rd *r, int s, size_t size, uint64_t *n) {
  const mx_section *x = &r->h->sec[s];
  *n = 0;
  if (x->off > r->n || x->len > r->n - x->off || x->off % 8) return FAIL(r, "section out of the file"), NULL;
  if (x->len % size) return FAIL(r, "section length"), NULL;
  *n = x->len / size;
  return r->p + x->off;
}

/* A string of the blob; *ok cleared when the reference is bad. */
static const char *string_at(rd *r, uint64_t ref, int *ok) {
  if (ref == MX_NOSTR) return NULL;
  if (ref >= r->nstr) {
    *ok = 0;
    return NULL;
  }
  return r->str + ref;
}

static int finite_in(double x, double lo, double hi) { return isfinite(x) && x >= lo && x <= hi; }

/* ------------------------------------------------ blocks, checked on first read */

#define MX_PER_BLOCK (MX_BLOCK_BYTES / 8) /* mx_fwd and mx_posting are 8 bytes each */

static uint64_t blocks_of(uint64_t bytes) { return (bytes + MX_BLOCK_BYTES - 1) / MX_BLOCK_BYTES; }

void mx_lazy_free(mx_lazy *lz) {
  if (!lz) return;
  free((void *)lz->state[0]);
  free((void *)lz->state[1]);
  free(lz);
}

/* The entries of forward-list block b: term ids known, weights sane. */
static int fwd_block_ok(const mx_coll *c, uint64_t i0, uint64_t i1) {
  for (uint64_t i = i0; i < i1; i++)
    if (c->fwd[i].term >= c->lazy->nterms || !finite_in(c->fwd[i].tf, 0, 1e9)) return 0;
  return 1;
}

/* The postings of a block: documents in range and, within a term, in
** increasing order (the scorer walks them that way); weights sane. The
** term of the first one by binary search over the (checked) offsets. */
static int post_block_ok(const mx_coll *c, uint64_t i0, uint64_t i1) {
  const uint64_t *off = c->off;
  uint64_t lo = 0, hi = c->nterms_alloc; /* the last t with off[t] <= i0 */
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;
    if (off[mid] <= i0) lo = mid;
    else hi = mid - 1;
  }
  uint64_t t = lo;
  for (uint64_t i = i0; i < i1; i++) {
    while (off[t + 1] <= i) t++; /* off[nterms_alloc] == the number of postings > i */
    const mx_posting *p = &c->post[i];
    if (p->doc >= c->ndocs || !finite_in(p->tf, 0, 1e9)) return 0;
    if (i > off[t] && p->doc <= p[-1].doc) return 0;
  }
  return 1;
}

/* Block b of the forward list (k 0) or the postings (k 1): checked once,
** by whichever thread reads it first (two may check it at once: the same
** answer). 0 good, -1 damaged. */
static int check_block(const mx_coll *c, int k, uint64_t b) {
  mx_lazy *lz = c->lazy;
  unsigned char st = atomic_load_explicit(&lz->state[k][b], memory_order_acquire);
  if (st) return st == 1 ? 0 : -1;
  uint64_t n = k ? c->off[c->nterms_alloc] : c->nfwd;
  uint64_t i0 = b * MX_PER_BLOCK, i1 = n - i0 < MX_PER_BLOCK ? n : i0 + MX_PER_BLOCK;
  const char *base = k ? (const char *)c->post : (const char *)c->fwd;
  const char *why = NULL;
  if (crc_of(base + i0 * 8, (i1 - i0) * 8) != lz->crc[k][b]) why = "block checksum";
  else if (!(k ? post_block_ok(c, i0, i1) : fwd_block_ok(c, i0, i1))) why = k ? "posting" : "forward list entry";
  int none = 0;
  if (why && atomic_compare_exchange_strong(&lz->damaged, &none, 1)) lz->why = why;
  atomic_store_explicit(&lz->state[k][b], why ? 2 : 1, memory_order_release);
  return why ? -1 : 0;
}

static int check_range(const mx_coll *c, int k, uint64_t from, uint64_t to) {
  int rc = 0;
  for (uint64_t b = from / MX_PER_BLOCK; from < to && b <= (to - 1) / MX_PER_BLOCK; b++) rc |= check_block(c, k, b);
  return rc;
}

int mx_lazy_post(const mx_coll *c, uint32_t t) { return check_range(c, 1, c->off[t], c->off[t + 1]); }

int mx_lazy_fwd(const mx_coll *c, uint64_t from, uint64_t to) { return check_range(c, 0, from, to); }

/* Every block not checked yet. Mapped pages read for it are let go after
** each 16 MiB (they stay in the page cache): the check's peak memory is
** that, not the file. -1 when damaged (lazy->why). Then nothing is left to
** check lazily: the collection reads its arrays directly. */
int mx_verify_coll(mx_coll *c, int drop) {
  mx_lazy *lz = c->lazy;
  if (!lz) return 0;
  int bad = 0;
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  for (int k = 0; k < 2 && !bad; k++) {
    const char *base = k ? (const char *)c->post : (const char *)c->fwd;
    uint64_t since = 0, bytes = (k ? (c->off ? c->off[c->nterms_alloc] : 0) : c->nfwd) * 8;
    for (uint64_t b = 0; b < lz->nblk[k] && !bad; b++) {
      bad = check_block(c, k, b) != 0;
      /* an empty array has no mapping (base NULL): nothing to drop */
      if (drop && base && ((b + 1 - since) * MX_BLOCK_BYTES >= ((uint64_t)16 << 20) || b + 1 == lz->nblk[k])) {
        uintptr_t a = (uintptr_t)(base + since * MX_BLOCK_BYTES) & ~(page - 1);
        uintptr_t e = (uintptr_t)(base + (b + 1 == lz->nblk[k] ? bytes : (b + 1) * MX_BLOCK_BYTES));
        madvise((void *)a, e - a, MADV_DONTNEED);
        since = b + 1;
      }
    }
  }
  if (bad) return -1;
  c->lazy = NULL;
  mx_lazy_free(lz);
  return 0;
}

/* The collection's arrays, used in place, and the checks that make every
** index the scorer follows safe: documents -> units and forward lists,
** forward lists -> terms, offsets -> postings, postings -> documents. */
static int decode_coll(rd *r, jb_match_index *mx, int c) {
  mx_coll *co = c ? &mx->demand : &mx->supply;
  int s0 = S_COLL0 + c * S_PER_COLL;
  uint64_t nd, nf, noff, nnp, npo, ns;
  const mx_doc *docs = section(r, s0 + S_DOCS, sizeof(mx_doc), &nd);
  const mx_fwd *fwd = section(r, s0 + S_FWD, sizeof(mx_fwd), &nf);
  const uint64_t *off = section(r, s0 + S_OFF, sizeof(uint64_t), &noff);
  const uint32_t *npost = section(r, s0 + S_NPOST, sizeof(uint32_t), &nnp);
  const mx_posting *post = section(r, s0 + S_POST, sizeof(mx_posting), &npo);
  const disk_cstat *st = section(r, s0 + S_CSTAT, sizeof(disk_cstat), &ns);
  if (r->why) return -1;
  if (ns != 1 || nd >= UINT32_MAX || nf > UINT32_MAX || st->nterms_alloc >= UINT32_MAX)
    return FAIL(r, "collection sizes"), -1;
  if (nnp != st->nterms_alloc || noff != (st->nterms_alloc ? nnp + 1 : 0))
    return FAIL(r, "posting table size"), -1;
  if (!finite_in(st->avglen, 1e-9, 1e12) || st->maxyear < 0 || st->maxyear > 32767)
    return FAIL(r, "collection statistics"), -1;
  for (uint64_t d = 0; d < nd; d++) {
    const mx_doc *x = &docs[d];
    if (x->unit >= mx->nunits || x->fwd > nf || x->nfwd > nf - x->fwd) return FAIL(r, "document bounds"), -1;
    const mx_unit *u = &mx->units[x->unit];
    if ((u->type == MX_NEED) != c || d < u->doc0 || d - u->doc0 >= u->ndocs)
      return FAIL(r, "document owner"), -1;
    if (!finite_in(x->len, 0, 1e12) || !finite_in(x->vnorm, 0, 1e12) || x->profile > 1)
      return FAIL(r, "document values"), -1;
  }
  if (noff && (off[0] != 0 || off[nnp] != npo)) return FAIL(r, "posting offsets"), -1;
  if (!noff && npo) return FAIL(r, "posting offsets"), -1;
  for (uint64_t t = 0; t < nnp; t++) {
    if (off[t + 1] < off[t] || off[t + 1] - off[t] != npost[t]) return FAIL(r, "posting offsets"), -1;
    if (npost[t] && t >= mx->terms.n) return FAIL(r, "postings of an unknown term"), -1;
  }
  uint64_t nfc, npc;
  const uint32_t *fcrc = section(r, s0 + S_FWDCRC, sizeof(uint32_t), &nfc);
  const uint32_t *pcrc = section(r, s0 + S_POSTCRC, sizeof(uint32_t), &npc);
  if (r->why) return -1;
  if (nfc != blocks_of(nf * sizeof(mx_fwd)) || npc != blocks_of(npo * sizeof(mx_posting)))
    return FAIL(r, "block checksum table"), -1;
  mx_lazy *lz = calloc(1, sizeof(*lz));
  if (lz) {
    lz->state[0] = calloc(nfc ? nfc : 1, 1);
    lz->state[1] = calloc(npc ? npc : 1, 1);
  }
  if (!lz || !lz->state[0] || !lz->state[1]) {
    mx_lazy_free(lz);
    return FAIL(r, "out of memory"), -1;
  }
  lz->crc[0] = fcrc;
  lz->crc[1] = pcrc;
  lz->nblk[0] = nfc;
  lz->nblk[1] = npc;
  lz->nterms = mx->terms.n;
  lz->part = c;
  co->lazy = lz;
  /* in place, read-only: the mapping outlives them (see mx->map) */
  co->docs = (mx_doc *)docs;
  co->ndocs = co->capdocs = (uint32_t)nd;
  co->fwd = (mx_fwd *)fwd;
  co->nfwd = co->capfwd = nf;
  co->off = noff ? (uint64_t *)off : NULL;
  co->npost = (uint32_t *)npost;
  co->post = (mx_posting *)post;
  co->nterms_alloc = (uint32_t)st->nterms_alloc;
  co->avglen = st->avglen;
  co->maxyear = st->maxyear;
  co->mapped = 1;
  /* a caller's buffer (mx_decode): checked whole now, its pages kept */
  if (r->full && mx_verify_coll(co, 0)) return FAIL(r, co->lazy->why), -1;
  return 0;
}

/* The part's units, after those already in mx (the supply part's, when
** this is the needs part). */
static int decode_units(rd *r, jb_match_index *mx, int part) {
  uint64_t n;
  const disk_unit *du = section(r, S_UNITS, sizeof(disk_unit), &n);
  if (r->why) return -1;
  uint32_t base = mx->nunits;
  if (n >= UINT32_MAX - base) return FAIL(r, "unit count"), -1;
  mx_unit *units = realloc(mx->units, sizeof(mx_unit) * (base + n ? base + n : 1));
  if (!units) return FAIL(r, "out of memory"), -1;
  mx->units = units;
  mx->capunits = (uint32_t)(base + n);
  for (uint64_t i = 0; i < n; i++) {
    const disk_unit *d = &du[i];
    mx_unit *u = &mx->units[mx->nunits];
    memset(u, 0, sizeof(*u));
    int ok = 1;
    u->type = d->type;
    u->programs = d->programs;
    u->open = d->open;
    u->capacity = d->capacity;
    u->doc0 = d->doc0;
    u->ndocs = d->ndocs;
    u->inventor = d->inventor;
    u->chains = d->chains;
    u->content = d->content;
    u->id = (char *)string_at(r, d->str[0], &ok);
    u->name = (char *)string_at(r, d->str[1], &ok);
    u->org = (char *)string_at(r, d->str[2], &ok);
    u->region = (char *)string_at(r, d->str[3], &ok);
    u->list = (char *)string_at(r, d->str[4], &ok);
    if (!ok || !u->id) return FAIL(r, "unit string"), -1;
    if (d->type >= MX_NTYPES || d->open > 1 || (d->type == MX_NEED) != (part == MX_PART_NEEDS))
      return FAIL(r, "unit type"), -1;
    /* units by type, then by id: the lookups binary-search them */
    if (mx->nunits && (u->type < u[-1].type || (u->type == u[-1].type && strcmp(u[-1].id, u->id) >= 0)))
      return FAIL(r, "unit order"), -1;
    /* each unit's documents inside its collection */
    uint64_t nd;
    section(r, S_COLL0 + (part == MX_PART_NEEDS) * S_PER_COLL + S_DOCS, sizeof(mx_doc), &nd);
    if (r->why || u->doc0 > nd || u->ndocs > nd - u->doc0) return FAIL(r, "unit documents"), -1;
    mx->nunits++;
  }
  /* inventors are experts of the same part (before the achievements) */
  for (uint32_t i = base; i < mx->nunits; i++) {
    uint32_t inv = mx->units[i].inventor;
    if (inv != UINT32_MAX && (mx->units[i].type != MX_ACHIEVEMENT || inv < base || inv >= mx->nunits ||
                              mx->units[inv].type != MX_EXPERT))
      return FAIL(r, "unit inventor"), -1;
  }
  if (part == MX_PART_SUPPLY) mx->inventors_known = 1;
  return 0;
}

/* The string blob and the part's terms, after those already in mx. */
static int decode_strings(rd *r, jb_match_index *mx) {
  uint64_t n;
  r->str = section(r, S_STRINGS, 1, &r->nstr);
  if (r->why) return -1;
  if (r->nstr && r->str[r->nstr - 1]) return FAIL(r, "string blob"), -1; /* every string ends inside */
  const uint64_t *tr = section(r, S_TERMS, sizeof(uint64_t), &n);
  if (r->why) return -1;
  uint32_t base = mx->terms.n;
  if (n >= UINT32_MAX / 4 - base) return FAIL(r, "term count"), -1;
  char **text = realloc(mx->terms.text, sizeof(char *) * (base + n ? base + n : 1));
  if (!text) return FAIL(r, "out of memory"), -1;
  mx->terms.text = text;
  mx->terms.cap = (uint32_t)(base + n);
  for (uint64_t i = 0; i < n; i++) {
    int ok = 1;
    const char *s = string_at(r, tr[i], &ok);
    if (!ok || !s) return FAIL(r, "term string"), -1;
    mx->terms.text[mx->terms.n++] = (char *)s;
  }
  return 0;
}

static int decode_pairs(rd *r, int s, mx_pair **pv, uint32_t *pn) {
  uint64_t n;
  const disk_pair *dp = section(r, s, sizeof(disk_pair), &n);
  if (r->why) return -1;
  if (n >= UINT32_MAX) return FAIL(r, "relation count"), -1;
  *pv = calloc(n ? n : 1, sizeof(mx_pair));
  if (!*pv) return FAIL(r, "out of memory"), -1;
  for (uint64_t i = 0; i < n; i++) {
    int ok = 1;
    (*pv)[i].key = (char *)string_at(r, dp[i].key, &ok);
    (*pv)[i].note = (char *)string_at(r, dp[i].note, &ok);
    (*pv)[i].year = dp[i].year;
    if (!ok || !(*pv)[i].key) return FAIL(r, "relation string"), -1;
  }
  *pn = (uint32_t)n;
  return 0;
}

static int decode_orgs(rd *r, jb_match_index *mx) {
  uint64_t n;
  const disk_org *o = section(r, S_ORGS, sizeof(disk_org), &n);
  if (r->why) return -1;
  if (n >= UINT32_MAX) return FAIL(r, "org count"), -1;
  mx->orgs = calloc(n ? n : 1, sizeof(mx_orgref));
  if (!mx->orgs) return FAIL(r, "out of memory"), -1;
  for (uint64_t i = 0; i < n; i++) {
    int ok = 1;
    mx->orgs[i].id = (char *)string_at(r, o[i].id, &ok);
    mx->orgs[i].parent = (char *)string_at(r, o[i].parent, &ok);
    mx->orgs[i].name = (char *)string_at(r, o[i].name, &ok);
    if (!ok || !mx->orgs[i].id) return FAIL(r, "org string"), -1;
    mx->norgs++;
  }
  return 0;
}

/* Checks the header (its CRC, the sizes, the section table and every
** section's CRC) against want. *stale is set when the file is intact but
** was built from another state (then it is simply rebuilt, not reported).
** loose 1: any generation (a needs part built before the last write of
** needs, whose unchanged documents are reused); loose 2: any state (the
** fuzz harness) — the part and the counts it extends must still be right. */
static int check_file(rd *r, mx_header *want, int loose, int *stale) {
  *stale = 0;
  if (r->n < sizeof(mx_header)) return FAIL(r, "shorter than its header"), -1;
  const mx_header *h = r->h = (const mx_header *)r->p;
  if (memcmp(h->magic, MX_MAGIC, 8)) {
    /* an older format, or not an index at all: rebuilt either way */
    *stale = !memcmp(h->magic, "JBMX", 4);
    return FAIL(r, "not a match index file"), -1;
  }
  if (h->crc != crc_of(h, offsetof(mx_header, crc))) return FAIL(r, "header checksum"), -1;
  if (h->file_size != r->n) return FAIL(r, "file size differs from its header"), -1;
  if (loose) memcpy(want->generation, h->generation, sizeof(want->generation));
  if (loose > 1) {
    memcpy(want->base, h->base, sizeof(want->base));
    want->lexhash = h->lexhash;
    memcpy(want->fw, h->fw, sizeof(want->fw));
  }
  if (memcmp(h, want, offsetof(mx_header, file_size))) {
    *stale = 1;
    return FAIL(r, "built from another state"), -1;
  }
  for (int s = 0; s < MX_NSEC; s++) {
    uint64_t n;
    const void *p = section(r, s, 1, &n);
    if (r->why) return -1;
    if (big_section(s)) continue; /* with its checks (decode_coll) */
    if (crc_of(p, n) != h->sec[s].crc) return FAIL(r, "section checksum"), -1;
  }
  return 0;
}

/* The saved term table: a power of two, every slot empty or a term of
** this part (a slot that names the wrong term only makes a lookup miss). */
static int decode_term_slots(rd *r, jb_match_index *mx) {
  uint64_t n;
  const uint32_t *slots = section(r, S_TERMHASH, sizeof(uint32_t), &n);
  if (r->why) return -1;
  if (n < mx_term_slots_for(mx->terms.n) || n >= UINT32_MAX || (n & (n - 1))) return FAIL(r, "term table size"), -1;
  for (uint64_t i = 0; i < n; i++)
    if (slots[i] > mx->terms.n) return FAIL(r, "term table"), -1;
  mx->saved_slots = slots;
  mx->nsaved_slots = (uint32_t)n;
  return 0;
}

void mx_fix_checksums(void *buf, size_t n) {
  if (n < sizeof(mx_header)) return;
  mx_header *h = buf;
  h->file_size = n;
  /* the block checksums first: their tables are sections with a CRC too */
  for (int c = 0; c < 2; c++)
    for (int k = 0; k < 2; k++) {
      const mx_section *d = &h->sec[S_COLL0 + c * S_PER_COLL + (k ? S_POST : S_FWD)];
      const mx_section *t = &h->sec[S_COLL0 + c * S_PER_COLL + (k ? S_POSTCRC : S_FWDCRC)];
      if (d->off > n || d->len > n - d->off || t->off > n || t->len > n - t->off || t->off % 4 ||
          t->len != blocks_of(d->len) * 4)
        continue;
      for (uint64_t b = 0; b * MX_BLOCK_BYTES < d->len; b++) {
        uint64_t len = d->len - b * MX_BLOCK_BYTES < MX_BLOCK_BYTES ? d->len - b * MX_BLOCK_BYTES : MX_BLOCK_BYTES;
        uint32_t crc = crc_of((const char *)buf + d->off + b * MX_BLOCK_BYTES, len);
        memcpy((char *)buf + t->off + b * 4, &crc, 4);
      }
    }
  for (int s = 0; s < MX_NSEC; s++) {
    const mx_section *x = &h->sec[s];
    if (x->off <= n && x->len <= n - x->off) h->sec[s].crc = crc_of((const char *)buf + x->off, x->len);
  }
  h->crc = crc_of(h, offsetof(mx_header, crc));
}

static jb_match_index *decode_supply(const void *buf, size_t n, const char *supply_state, uint64_t lexhash,
                                     const double fw[4], const char **why, int *stale, int full) {
  rd r;
  memset(&r, 0, sizeof(r));
  r.p = buf;
  r.n = n;
  r.full = full;
  static const double nofw[4];
  mx_header want;
  fill_header(&want, MX_PART_SUPPLY, supply_state ? supply_state : "", lexhash, fw ? fw : nofw);
  int st = 0;
  jb_match_index *mx = NULL;
  if (check_file(&r, &want, supply_state ? 0 : 2, &st) == 0) {
    mx = calloc(1, sizeof(*mx));
    if (!mx) FAIL(&r, "out of memory");
  }
  if (mx) {
    /* borrowed strings and arrays: never freed, whatever happens below */
    mx->map[MX_PART_SUPPLY] = (void *)buf;
    mx->maplen[MX_PART_SUPPLY] = n;
    if (decode_strings(&r, mx) || decode_units(&r, mx, MX_PART_SUPPLY) ||
        decode_pairs(&r, S_CONFLICTS, &mx->conflicts, &mx->nconflicts) ||
        decode_pairs(&r, S_COLLABS, &mx->collabs, &mx->ncollabs) || decode_orgs(&r, mx) || decode_coll(&r, mx, 0))
      FAIL(&r, "out of memory");
    mx->nterms_supply = mx->terms.n;
    if (!r.why) decode_term_slots(&r, mx);
    mx->supply_state = jb_strndup(r.h->generation, sizeof(r.h->generation) - 1);
    mx->lexhash = r.h->lexhash;
    memcpy(mx->fw, r.h->fw, sizeof(mx->fw));
    if (!r.why && !mx->supply_state) FAIL(&r, "out of memory");
  }
  if (why) *why = r.why;
  if (stale) *stale = st;
  if (r.why) {
    jb_match_index_free(mx);
    return NULL;
  }
  return mx;
}

jb_match_index *mx_decode(const void *buf, size_t n, const char *supply_state, uint64_t lexhash,
                          const double fw[4], const char **why, int *stale) {
  return decode_supply(buf, n, supply_state, lexhash, fw, why, stale, 1);
}

static int decode_needs(jb_match_index *mx, const void *buf, size_t n, const char *generation, int loose,
                        const char **why, int *stale, int full) {
  rd r;
  memset(&r, 0, sizeof(r));
  r.p = buf;
  r.n = n;
  r.full = full;
  mx_header want;
  fill_header(&want, MX_PART_NEEDS, generation ? generation : "", mx->lexhash, mx->fw);
  snprintf(want.base, sizeof(want.base), "%s", mx->supply_state ? mx->supply_state : "");
  want.base_units = mx->nunits;
  want.base_terms = mx->terms.n;
  int st = 0;
  uint32_t units0 = mx->nunits, terms0 = mx->terms.n;
  if (mx->demand.ndocs || mx->map[MX_PART_NEEDS]) FAIL(&r, "needs part present");
  if (!r.why && check_file(&r, &want, generation ? loose : 2, &st) == 0) {
    mx->map[MX_PART_NEEDS] = (void *)buf;
    mx->maplen[MX_PART_NEEDS] = n;
    if (!decode_strings(&r, mx) && !decode_units(&r, mx, MX_PART_NEEDS) && !decode_coll(&r, mx, 1) &&
        !(mx->generation = jb_strndup(r.h->generation, sizeof(r.h->generation) - 1)))
      FAIL(&r, "out of memory");
    if (r.why) {
      /* back to the supply part alone: nothing may point into buf */
      mx->nunits = units0;
      mx->terms.n = terms0;
      mx_lazy_free(mx->demand.lazy);
      memset(&mx->demand, 0, sizeof(mx->demand));
      mx->map[MX_PART_NEEDS] = NULL;
      mx->maplen[MX_PART_NEEDS] = 0;
    }
  }
  if (why) *why = r.why;
  if (stale) *stale = st;
  return r.why ? -1 : 0;
}

int mx_decode_needs(jb_match_index *mx, const void *buf, size_t n, const char *generation, const char **why,
                    int *stale) {
  return decode_needs(mx, buf, n, generation, 0, why, stale, 1);
}

/* Maps a part's file: never through a symlink, never waiting on a FIFO or
** a device. NULL when absent; NULL with *why when it cannot be one. */
static void *map_file(const char *path, size_t *len, const char **why) {
  *why = NULL;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) *why = "a symlink, not a file";
    return NULL;
  }
  struct stat st;
  void *map = NULL;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) *why = "not a regular file";
  else if (st.st_size < (off_t)sizeof(mx_header)) *why = "shorter than its header";
  else if ((map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) map = NULL;
  else *len = (size_t)st.st_size;
  close(fd);
  return map;
}

/* A part's file that failed its checks: said, and removed when it is a
** damaged index (what is not a regular file is left alone: the next save's
** rename replaces the name, never what it points to). */
static void refused(const char *path, const char *why, int stale, void *map, size_t len) {
  if (map) munmap(map, len);
  if (!why || stale) return; /* built from another state: rebuilt quietly */
  mx_report_damage(path, why);
  if (map) unlink(path);
}

jb_match_index *mx_load(jb_db *db, const mx_weights *w, const char *supply_state, const char *generation,
                        int *needs_ok) {
  *needs_ok = 0;
  char *path = mx_index_path(db, MX_PART_SUPPLY), *path2 = mx_index_path(db, MX_PART_NEEDS);
  jb_match_index *mx = NULL;
  size_t len = 0, len2 = 0;
  const char *why = NULL;
  int stale = 0;
  void *map = path ? map_file(path, &len, &why) : NULL;
  if (map) {
    double fw[4] = {w->w_title, w->w_keywords, w->w_body, w->unigram > 0};
    mx = decode_supply(map, len, supply_state, jb_lexicon_hash(db->lex), fw, &why, &stale, 0);
    if (mx) {
      mx->map_owned[MX_PART_SUPPLY] = 1;
      map = NULL;
    }
  }
  refused(path, why, stale, map, len);
  void *map2 = mx && path2 ? map_file(path2, &len2, &why) : NULL;
  stale = 0;
  if (map2) {
    /* built before the last write of needs, it still serves the rebuild
    ** of the needs part: the documents of needs that did not change */
    if (decode_needs(mx, map2, len2, generation, 1, &why, &stale, 0) == 0) {
      mx->map_owned[MX_PART_NEEDS] = 1;
      map2 = NULL;
      *needs_ok = mx->generation && !strcmp(mx->generation, generation);
    }
  }
  if (mx) refused(path2, why, stale, map2, len2);
  /* JIEBANG_MX_CHECK=full: every block checked at load, as every process
  ** did before the checks became lazy (bench/scale's baseline; for the
  ** wary). A damaged file is then refused here, as at any other check. */
  const char *mode = getenv("JIEBANG_MX_CHECK");
  if (mx && mode && !strcmp(mode, "full")) {
    for (int c = 0; c < 2; c++) {
      mx_coll *co = c ? &mx->demand : &mx->supply;
      if (co->lazy && mx_verify_coll(co, 1)) {
        refused(c ? path2 : path, co->lazy->why, 0, NULL, 0);
        unlink(c ? path2 : path);
        jb_match_index_free(mx);
        mx = NULL;
        *needs_ok = 0;
        break;
      }
    }
  }
  if (mx && mx_term_hash_from(&mx->terms, mx->saved_slots, mx->nsaved_slots, mx->nterms_supply)) {
    jb_match_index_free(mx);
    mx = NULL;
  }
  free(path);
  free(path2);
  return mx;
}

void jb_mx_release(jb_db *db) {
  jb_match_index_free(db->mx);
  db->mx = NULL;
}

void jb_mx_discard(jb_db *db) {
  jb_mx_release(db);
  for (int part = 0; part < 2; part++) {
    char *path = mx_index_path(db, part);
    if (path) unlink(path);
    free(path);
  }
}
