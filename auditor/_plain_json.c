/* Which JSON Lines records are plain OpenAI chat, decided on their bytes.
 *
 * A plain chat record (auditor.formats.columnar.plain_chat) is normalized by polars
 * expressions straight from its JSON text; Python only had to decide that it is plain,
 * which meant parsing the line (orjson), checking every message in Python and writing the
 * record back out as JSON: ~0.7 s per 100k chat rows, a third of loading. This pass
 * decides the same on the bytes, in one read of each line.
 *
 * It says "plain" only where auditor.formats.columnar.plain_chat would say so of the
 * record orjson parses from the line, and where the line is strict JSON that orjson
 * accepts and that polars decodes to the same values. Anything it is not sure of is "not
 * plain" and takes the per-row path, which parses and judges the line as before: a number
 * outside a skipped value, an escaped key or role, a \u escape of a surrogate, a key
 * given twice where its value is read, nesting past MAX_DEPTH, a long number. Being wrong
 * that way costs time, never a different row (tests/test_plain_json.py).
 */

#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} Cursor;

/* A string's bytes between its quotes, and whether it held an escape. */
typedef struct {
    const uint8_t *start;
    int64_t length;
    int escaped;
} Text;

static void skip_space(Cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) {
        c->p++;
    }
}

static int take(Cursor *c, uint8_t byte) {
    skip_space(c);
    if (c->p < c->end && *c->p == byte) {
        c->p++;
        return 1;
    }
    return 0;
}

static int hex_value(uint8_t byte) {
    if (byte >= '0' && byte <= '9') return byte - '0';
    if (byte >= 'a' && byte <= 'f') return byte - 'a' + 10;
    if (byte >= 'A' && byte <= 'F') return byte - 'A' + 10;
    return -1;
}

/* The length of the UTF-8 sequence at p (1-4), or 0 where it is not well formed
 * (overlong forms, UTF-16 surrogates and code points past U+10FFFF are not). */
static int utf8_length(const uint8_t *p, const uint8_t *end) {
    const uint8_t b = p[0];
    int n;
    uint8_t low = 0x80, high = 0xBF;
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        if (b == 0xE0) low = 0xA0;
        if (b == 0xED) high = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        if (b == 0xF0) low = 0x90;
        if (b == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (end - p < n) return 0;
    if (p[1] < low || p[1] > high) return 0;
    for (int i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    }
    return n;
}

/* A string at the cursor (after any whitespace): 1 with `text` set and the cursor past
 * its closing quote, 0 where there is none or it is not one orjson takes as it is. */
static int string(Cursor *c, Text *text) {
    skip_space(c);
    if (c->p >= c->end || *c->p != '"') return 0;
    c->p++;
    text->start = c->p;
    text->escaped = 0;
    while (c->p < c->end) {
        const uint8_t b = *c->p;
        if (b == '"') {
            text->length = c->p - text->start;
            c->p++;
            return 1;
        }
        if (b < 0x20) return 0; /* a raw control character: not JSON */
        if (b == '\\') {
            text->escaped = 1;
            if (c->end - c->p < 2) return 0;
            const uint8_t e = c->p[1];
            if (e == 'u') {
                if (c->end - c->p < 6) return 0;
                int code = 0;
                for (int i = 2; i < 6; i++) {
                    const int h = hex_value(c->p[i]);
                    if (h < 0) return 0;
                    code = code * 16 + h;
                }
                if (code >= 0xD800 && code <= 0xDFFF) return 0; /* surrogates: per-row path */
                c->p += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                c->p += 2;
            } else {
                return 0;
            }
            continue;
        }
        const int n = utf8_length(c->p, c->end);
        if (n == 0) return 0;
        c->p += n;
    }
    return 0;
}

static int text_is(const Text *text, const char *word) {
    const size_t n = strlen(word);
    return !text->escaped && (size_t)text->length == n && memcmp(text->start, word, n) == 0;
}

/* A short number (strict JSON grammar; at most 18 integer digits and a 2-digit
 * exponent, so that orjson takes it and no float overflows). */
static int number(Cursor *c) {
    const uint8_t *p = c->p, *end = c->end;
    if (p < end && *p == '-') p++;
    const uint8_t *digits = p;
    if (p < end && *p == '0') {
        p++;
    } else if (p < end && *p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') p++;
    } else {
        return 0;
    }
    if (p - digits > 18) return 0;
    if (p < end && *p == '.') {
        p++;
        const uint8_t *fraction = p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        if (p == fraction || p - fraction > 18) return 0;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        const uint8_t *exponent = p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        if (p == exponent || p - exponent > 2) return 0;
    }
    c->p = p;
    return 1;
}

static int literal(Cursor *c, const char *word) {
    const size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
    c->p += n;
    return 1;
}

/* Any JSON value, checked and passed over (its contents are not read). */
static int skip_value(Cursor *c, int depth) {
    Text text;
    skip_space(c);
    if (c->p >= c->end || depth > MAX_DEPTH) return 0;
    switch (*c->p) {
    case '"':
        return string(c, &text);
    case '{':
        c->p++;
        if (take(c, '}')) return 1;
        do {
            if (!string(c, &text) || !take(c, ':') || !skip_value(c, depth + 1)) return 0;
        } while (take(c, ','));
        return take(c, '}');
    case '[':
        c->p++;
        if (take(c, ']')) return 1;
        do {
            if (!skip_value(c, depth + 1)) return 0;
        } while (take(c, ','));
        return take(c, ']');
    case 't':
        return literal(c, "true");
    case 'f':
        return literal(c, "false");
    case 'n':
        return literal(c, "null");
    default:
        return number(c);
    }
}

/* Value kinds a plain field may take. */
enum { IS_STRING = 1, IS_NULL = 2 };

/* A string or null at the cursor; which one in *kind. */
static int string_or_null(Cursor *c, int *kind, Text *text) {
    skip_space(c);
    if (c->p < c->end && *c->p == 'n') {
        *kind = IS_NULL;
        return literal(c, "null");
    }
    *kind = IS_STRING;
    return string(c, text);
}

/* An object whose keys are read one at a time: `key` is called with each key and reads
 * its value; keys given twice are refused where `seen` tracks them. */
typedef int (*KeyReader)(Cursor *c, const Text *key, void *state);

/* Which of an object's keys have been read: a bit per key, so that none is read twice. */
typedef struct {
    int seen;
} Seen;

/* Marks `bit` in *seen: 0 where it was there already (a key given twice). */
static int first_time(int *seen, int bit) {
    if (*seen & bit) return 0;
    *seen |= bit;
    return 1;
}

static int object(Cursor *c, KeyReader key_reader, void *state) {
    Text key;
    if (!take(c, '{')) return 0;
    if (take(c, '}')) return 1;
    do {
        if (!string(c, &key) || !take(c, ':') || !key_reader(c, &key, state)) return 0;
    } while (take(c, ','));
    return take(c, '}');
}

/* --- a tool call: {"id": str|null, "function": {"name": str, "arguments": str}, ...} */

static int function_key(Cursor *c, const Text *key, void *state) {
    Seen *s = state;
    Text value;
    int bit = text_is(key, "name") ? 1 : text_is(key, "arguments") ? 2 : 0;
    if (key->escaped) return 0; /* an escaped key might spell one of these */
    if (!bit) return skip_value(c, 3);
    if (!first_time(&s->seen, bit)) return 0;
    return string(c, &value);
}

static int call_key(Cursor *c, const Text *key, void *state) {
    Seen *s = state;
    int kind;
    Text value;
    if (key->escaped) return 0;
    if (text_is(key, "id")) {
        if (!first_time(&s->seen, 1)) return 0;
        return string_or_null(c, &kind, &value);
    }
    if (text_is(key, "function")) {
        Seen function = {0};
        if (!first_time(&s->seen, 2)) return 0;
        return object(c, function_key, &function) && function.seen == 3;
    }
    return skip_value(c, 3);
}

static int calls(Cursor *c) {
    if (!take(c, '[')) return 0;
    if (take(c, ']')) return 1;
    do {
        Seen call = {0};
        if (!object(c, call_key, &call) || !(call.seen & 2)) return 0;
    } while (take(c, ','));
    return take(c, ']');
}

/* --- a message: role, content, name, tool_call_id, tool_calls and nothing else */

typedef struct {
    int seen;         /* bit per key, in the order below */
    int content_kind; /* IS_STRING or IS_NULL once seen */
} MessageState;

static int message_key(Cursor *c, const Text *key, void *state) {
    MessageState *s = state;
    Text value;
    int kind;
    if (key->escaped) return 0;
    if (text_is(key, "role")) {
        if (!first_time(&s->seen, 1)) return 0;
        return string(c, &value) && (text_is(&value, "system") || text_is(&value, "user") ||
                                     text_is(&value, "assistant") || text_is(&value, "tool"));
    }
    if (text_is(key, "content")) {
        if (!first_time(&s->seen, 2)) return 0;
        return string_or_null(c, &s->content_kind, &value);
    }
    if (text_is(key, "name") || text_is(key, "tool_call_id")) {
        const int bit = text_is(key, "name") ? 4 : 8;
        if (!first_time(&s->seen, bit)) return 0;
        return string_or_null(c, &kind, &value);
    }
    if (text_is(key, "tool_calls")) {
        if (!first_time(&s->seen, 16)) return 0;
        return calls(c); /* null tool calls are not plain */
    }
    return 0; /* weight, function_call, anything else: the per-row path */
}

static int messages(Cursor *c) {
    if (!take(c, '[') || take(c, ']')) return 0; /* an empty list is not plain */
    do {
        MessageState message = {0, 0};
        if (!object(c, message_key, &message) || !(message.seen & 1)) return 0;
        /* Without tool calls, a message needs string content. */
        if (!(message.seen & 16) && !((message.seen & 2) && message.content_kind == IS_STRING)) {
            return 0;
        }
    } while (take(c, ','));
    return take(c, ']');
}

/* --- tools: [{"function": {"name": str, ...}, ...}, ...] */

static int tool_function_key(Cursor *c, const Text *key, void *state) {
    Seen *s = state;
    Text value;
    if (key->escaped) return 0;
    if (!text_is(key, "name")) return skip_value(c, 4);
    if (!first_time(&s->seen, 1)) return 0;
    return string(c, &value);
}

static int tool_key(Cursor *c, const Text *key, void *state) {
    Seen *s = state;
    if (key->escaped) return 0;
    if (!text_is(key, "function")) return skip_value(c, 3);
    if (!first_time(&s->seen, 1)) return 0;
    Seen function = {0};
    return object(c, tool_function_key, &function) && function.seen;
}

static int tools(Cursor *c) {
    if (!take(c, '[')) return 0;
    if (take(c, ']')) return 1;
    do {
        Seen tool = {0};
        if (!object(c, tool_key, &tool) || !tool.seen) return 0;
    } while (take(c, ','));
    return take(c, ']');
}

/* --- the record: {"messages": [...], "tools": [...]} in either order, tools optional */

static int record_key(Cursor *c, const Text *key, void *state) {
    Seen *s = state;
    if (key->escaped) return 0;
    if (text_is(key, "messages")) {
        if (!first_time(&s->seen, 1)) return 0;
        return messages(c);
    }
    if (text_is(key, "tools")) {
        if (!first_time(&s->seen, 2)) return 0;
        return tools(c);
    }
    return 0;
}

static int plain_chat_line(const uint8_t *start, const uint8_t *end) {
    Cursor c = {start, end};
    Seen record = {0};
    if (!object(&c, record_key, &record) || !(record.seen & 1)) return 0;
    skip_space(&c);
    return c.p == c.end;
}

/* out[i] = 1 where line i (data[offsets[i]:offsets[i + 1]]) is a plain chat record. */
void ftaudit_plain_chat(const uint8_t *data, const int64_t *offsets, int64_t n_lines,
                        uint8_t *out) {
    for (int64_t i = 0; i < n_lines; i++) {
        out[i] = (uint8_t)plain_chat_line(data + offsets[i], data + offsets[i + 1]);
    }
}
