package openapi

import (
	"crypto/sha256"
	"hash"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// canonicalSHA is the SHA-256 of json.Marshal(tree), the document's identity, computed by
// writing the JSON straight into the hash: json.Marshal reflects on every value and sorts
// every map's keys through reflect.Values, which for a large document costs more than
// parsing it. ok is false when the tree holds a value this writer does not write as
// json.Marshal would (NaN, a YAML timestamp…): the caller then marshals it, and gets its
// error if there is one.
func canonicalSHA(tree any) (sum [sha256.Size]byte, ok bool) {
	w := canonicalWriter{h: sha256.New(), buf: make([]byte, 0, 64<<10)}
	if !w.value(tree) {
		return sum, false
	}
	w.h.Write(w.buf)
	w.h.Sum(sum[:0])
	return sum, true
}

type canonicalWriter struct {
	h    hash.Hash
	buf  []byte
	keys []string // the keys of the maps being written, innermost last
}

func (w *canonicalWriter) flush() {
	if len(w.buf) >= 32<<10 {
		w.h.Write(w.buf)
		w.buf = w.buf[:0]
	}
}

func (w *canonicalWriter) value(v any) bool {
	w.flush()
	switch x := v.(type) {
	case nil:
		w.buf = append(w.buf, "null"...)
	case bool:
		w.buf = strconv.AppendBool(w.buf, x)
	case string:
		w.buf = appendJSONString(w.buf, x)
	case float64:
		return w.float(x)
	case int:
		w.buf = strconv.AppendInt(w.buf, int64(x), 10)
	case int64:
		w.buf = strconv.AppendInt(w.buf, x, 10)
	case uint64:
		w.buf = strconv.AppendUint(w.buf, x, 10)
	case []any:
		w.buf = append(w.buf, '[')
		for i, e := range x {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			if !w.value(e) {
				return false
			}
		}
		w.buf = append(w.buf, ']')
	case map[string]any:
		start := len(w.keys)
		for k := range x {
			w.keys = append(w.keys, k)
		}
		keys := w.keys[start:]
		slices.Sort(keys)
		w.buf = append(w.buf, '{')
		for i := range keys {
			k := w.keys[start+i] // w.keys may move as nested maps add theirs
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.buf = appendJSONString(w.buf, k)
			w.buf = append(w.buf, ':')
			if !w.value(x[k]) {
				return false
			}
		}
		w.buf = append(w.buf, '}')
		w.keys = w.keys[:start]
	default:
		return false
	}
	return true
}

// float writes a float64 as encoding/json does: like ES6, 'e' notation below 1e-6 and from
// 1e21, with the exponent's leading zero dropped.
func (w *canonicalWriter) float(f float64) bool {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	w.buf = strconv.AppendFloat(w.buf, f, format, -1, 64)
	if format == 'e' {
		if n := len(w.buf); n >= 4 && w.buf[n-4] == 'e' && w.buf[n-3] == '-' && w.buf[n-2] == '0' {
			w.buf[n-2] = w.buf[n-1]
			w.buf = w.buf[:n-1]
		}
	}
	return true
}

// appendJSONString writes s as encoding/json does, HTML characters escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
