/*
 * MinHash signing kernel: the same signatures as auditor/minhash.py's numpy route, faster.
 *
 * For each document (a run of `counts[d]` 32-bit shingle hashes in `x`) and each of the
 * `num_perm` permutations h_p(v) = (a[p] * v + b[p]) mod 2^32, the minimum over the
 * document's shingles, stored as its low 16 bits in out[d * num_perm + p]. Documents
 * without shingles are left as the caller filled them (EMPTY). Unsigned 32-bit arithmetic
 * wraps modulo 2^32 in C, exactly as numpy's uint32 does, so the values are identical
 * (tests/test_minhash_kernel.py compares the two routes).
 *
 * Also the word split and stable word hash the shingles and n-grams start from
 * (ftaudit_word_hashes), in one pass over the bytes instead of polars' replace, split and
 * explode, the shingle hashes of word runs (ftaudit_ngram_hashes), and LSH band keys
 * (ftaudit_band_keys).
 *
 * Why C: numpy runs the permutations as passes over a (num_perm, shingles) buffer, bound
 * by memory traffic; here each shingle's 128 products stay in vector registers. Linux x86
 * builds carry AVX-512, AVX2 and baseline clones of the loop, picked at load time for the
 * CPU it runs on. Called through ctypes (auditor/native.py), which releases the GIL, so
 * batches still sign on a thread per core.
 *
 * The module init below only makes the file a valid extension module; nothing is called
 * through the Python C API.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* Bumped whenever the exported functions change: auditor/native.py ignores a stale build. */
#define KERNEL_VERSION 6

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

/* num_perm == 128 (the default): a fixed trip count lets the compiler keep the minima in
 * registers. */
CLONES static void sign_128(const uint32_t *restrict x, int64_t count,
                            const uint32_t *restrict a, const uint32_t *restrict b,
                            uint16_t *restrict out) {
    uint32_t mins[128];
    for (int p = 0; p < 128; p++) mins[p] = 0xFFFFFFFFu;
    for (int64_t s = 0; s < count; s++) {
        const uint32_t v = x[s];
        for (int p = 0; p < 128; p++) {
            const uint32_t h = a[p] * v + b[p];
            mins[p] = h < mins[p] ? h : mins[p];
        }
    }
    for (int p = 0; p < 128; p++) out[p] = (uint16_t)(mins[p] & 0xFFFFu);
}

CLONES static void sign_any(const uint32_t *restrict x, int64_t count,
                            const uint32_t *restrict a, const uint32_t *restrict b,
                            int32_t num_perm, uint32_t *restrict mins,
                            uint16_t *restrict out) {
    for (int32_t p = 0; p < num_perm; p++) mins[p] = 0xFFFFFFFFu;
    for (int64_t s = 0; s < count; s++) {
        const uint32_t v = x[s];
        for (int32_t p = 0; p < num_perm; p++) {
            const uint32_t h = a[p] * v + b[p];
            mins[p] = h < mins[p] ? h : mins[p];
        }
    }
    for (int32_t p = 0; p < num_perm; p++) out[p] = (uint16_t)(mins[p] & 0xFFFFu);
}

int32_t ftaudit_kernel_version(void) { return KERNEL_VERSION; }

/* `mins`: scratch of num_perm uint32 (used when num_perm != 128). */
void ftaudit_minhash_u16(const uint32_t *x, const int64_t *counts, int64_t n_docs,
                         const uint32_t *a, const uint32_t *b, int32_t num_perm,
                         uint32_t *mins, uint16_t *out) {
    int64_t at = 0;
    for (int64_t d = 0; d < n_docs; d++) {
        const int64_t count = counts[d];
        if (count > 0) {
            uint16_t *row = out + d * (int64_t)num_perm;
            if (num_perm == 128) sign_128(x + at, count, a, b, row);
            else sign_any(x + at, count, a, b, num_perm, mins, row);
        }
        at += count;
    }
}

/* Word separators of auditor/minhash.py's split: the space, \t \n \v \f \r and ASCII
 * punctuation ([[:punct:]]). Every other byte, non-ASCII ones included, belongs to a word. */
static const uint8_t SEPARATOR[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, ['!'] = 1,
    ['"'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['('] = 1,
    [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1, [':'] = 1,
    [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1, ['?'] = 1, ['@'] = 1, ['['] = 1,
    ['\\'] = 1, [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['{'] = 1, ['|'] = 1,
    ['}'] = 1, ['~'] = 1,
};

static uint64_t mix64(uint64_t x) { /* splitmix64's finalizer, as auditor.minhash.mix64 */
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Every word of each text (texts[offsets[t] : offsets[t+1]], lower-cased UTF-8), hashed as
 * auditor.benchmark_ngrams.stable_word_hashes does: mix64(P ^ length), with
 * P = sum over the word's bytes of (byte + 1) * base^k modulo 2^64. Writes the hashes in
 * order to `out` and each text's word count to `words`; returns the number of words, or -1
 * when `capacity` is too small (a text of b bytes has at most (b + 1) / 2 words). */
int64_t ftaudit_word_hashes(const uint8_t *data, const int64_t *offsets, int64_t n_texts,
                            uint64_t base, uint64_t *out, int64_t capacity, int64_t *words) {
    int64_t written = 0;
    for (int64_t t = 0; t < n_texts; t++) {
        int64_t count = 0;
        int64_t i = offsets[t];
        const int64_t end = offsets[t + 1];
        while (i < end) {
            while (i < end && SEPARATOR[data[i]]) i++;
            if (i >= end) break;
            uint64_t hash = 0, power = 1;
            const int64_t start = i;
            while (i < end && !SEPARATOR[data[i]]) {
                hash += ((uint64_t)data[i] + 1u) * power;
                power *= base;
                i++;
            }
            if (written >= capacity) return -1;
            out[written++] = mix64(hash ^ (uint64_t)(i - start));
            count++;
        }
        words[t] = count;
    }
    return written;
}

/* The length in bytes of a break of FT507's word split (auditor.benchmark_ngrams.BREAKS
 * and the space) at p, 0 where none starts there: the separators above, and the UTF-8 of
 * U+00A0, U+00AB, U+00BB, U+2009-U+200B, U+202F, U+2013-U+2015, U+2018-U+201E, U+2026
 * and U+3000. The text is valid UTF-8, so these bytes can only be those characters. */
static int break_at(const uint8_t *p, const uint8_t *end) {
    const uint8_t b = p[0];
    if (b < 0x80) return SEPARATOR[b];
    if (b == 0xC2 && end - p >= 2) return (p[1] == 0xA0 || p[1] == 0xAB || p[1] == 0xBB) ? 2 : 0;
    if (b == 0xE2 && end - p >= 3 && p[1] == 0x80) {
        const uint8_t c = p[2];
        const int hit = c == 0x89 || c == 0x8A || c == 0x8B || c == 0xAF || c == 0xA6 ||
                        (c >= 0x93 && c <= 0x95) || (c >= 0x98 && c <= 0x9E);
        return hit ? 3 : 0;
    }
    if (b == 0xE3 && end - p >= 3 && p[1] == 0x80 && p[2] == 0x80) return 3;
    return 0;
}

/* FT507's words (auditor.benchmark_ngrams.stable_tokens): each text split at break_at,
 * each word lower-cased and hashed as ftaudit_word_hashes hashes. Lower case is ASCII's
 * here; a word with any other byte is left to the caller, which lower-cases it as
 * Unicode does: its position in `out` and its bytes (start, length) go to `wide`, three
 * values a word, and `*n_wide` counts them. Returns the number of words, or -1 when a
 * buffer is too small (a text of b bytes has at most (b + 1) / 2 words). */
int64_t ftaudit_break_word_hashes(const uint8_t *data, const int64_t *offsets, int64_t n_texts,
                                  uint64_t base, uint64_t *out, int64_t capacity,
                                  int64_t *words, int64_t *wide, int64_t *n_wide) {
    int64_t written = 0, wides = 0;
    for (int64_t t = 0; t < n_texts; t++) {
        int64_t count = 0, i = offsets[t];
        const int64_t end = offsets[t + 1];
        const uint8_t *stop = data + end;
        while (i < end) {
            int step;
            while (i < end && (step = break_at(data + i, stop)) > 0) i += step;
            if (i >= end) break;
            uint64_t hash = 0, power = 1;
            int ascii = 1;
            const int64_t start = i;
            while (i < end && break_at(data + i, stop) == 0) {
                uint8_t byte = data[i];
                if (byte >= 0x80) ascii = 0;
                if (byte >= 'A' && byte <= 'Z') byte += 32;
                hash += ((uint64_t)byte + 1u) * power;
                power *= base;
                i++;
            }
            if (written >= capacity) return -1;
            if (!ascii) {
                if (wides >= capacity) return -1;
                wide[3 * wides] = written;
                wide[3 * wides + 1] = start;
                wide[3 * wides + 2] = i - start;
                wides++;
            }
            out[written++] = mix64(hash ^ (uint64_t)(i - start));
            count++;
        }
        words[t] = count;
    }
    *n_wide = wides;
    return written;
}

/* The shingle hashes of each document's run of word hashes, as auditor.minhash's numpy
 * route computes them: for every window of n words inside a document, c = t[i], then
 * c = mix64(c * K + t[i + k]) for k = 1 .. n - 1, kept to its low 32 bits. Windows are
 * written in order (the caller sizes `out`); a document shorter than n gives none. */
void ftaudit_ngram_hashes(const uint64_t *tokens, const int64_t *lengths, int64_t n_docs,
                          int32_t n, uint64_t *out) {
    int64_t at = 0, written = 0;
    for (int64_t d = 0; d < n_docs; d++) {
        const int64_t length = lengths[d];
        for (int64_t i = 0; i + n <= length; i++) {
            uint64_t c = tokens[at + i];
            for (int32_t k = 1; k < n; k++) {
                c = mix64(c * 0x9E3779B97F4A7C15ull + tokens[at + i + k]);
            }
            out[written++] = c & 0xFFFFFFFFull;
        }
        at += length;
    }
}

/* One LSH band's key per row, as auditor.minhash.band_key's numpy route: the key starts
 * at band * K and takes each of the band's `rows` signature values with
 * key = mix64(key ^ value) + C. `sigs` is row-major (n_rows, num_perm): one pass reads
 * each row's band in place, where numpy gathers strided columns. */
void ftaudit_band_keys(const uint16_t *sigs, int64_t n_rows, int32_t num_perm, int32_t band,
                       int32_t rows, uint64_t *out) {
    const uint64_t start = (uint64_t)band * 0x9E3779B97F4A7C15ull;
    for (int64_t i = 0; i < n_rows; i++) {
        const uint16_t *value = sigs + i * (int64_t)num_perm + (int64_t)band * rows;
        uint64_t key = start;
        for (int32_t r = 0; r < rows; r++) key = mix64(key ^ (uint64_t)value[r]) + 0x632BE59BD9B4E019ull;
        out[i] = key;
    }
}

static struct PyModuleDef kernel_module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_minhash_kernel",
    .m_doc = "MinHash and word-hash kernels, called through ctypes (auditor.native).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__minhash_kernel(void) { return PyModule_Create(&kernel_module); }
