package openapi

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// findMatchingType negotiates a requested media type (an Accept or Content-Type value,
// possibly a list with q-values) against the available ones, as the reference does. Tried
// in this order, the first hit wins: the exact string; the type without parameters; the
// same type and subtype suffix (application/json matches application/vnd.acme+json); a
// wildcard among the available types; a wildcard in the request. It returns the available
// type that matched, or "" for none.
func findMatchingType(requested string, available []string) string {
	if len(available) == 0 {
		return ""
	}
	type cand struct {
		t string
		q float64
	}
	var buf [4]cand // most requests name one or two types: no allocation
	accept := buf[:0]
	for rest, more := requested, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		t := normalType(part)
		q := 1.0
		if i := strings.Index(t, ";q="); i >= 0 {
			end := strings.IndexByte(t[i+3:], ';')
			qs := t[i+3:]
			if end >= 0 {
				qs = t[i+3 : i+3+end]
				t = t[:i] + t[i+3+end:]
			} else {
				t = t[:i]
			}
			if f, err := strconv.ParseFloat(qs, 64); err == nil {
				q = f
			}
		}
		accept = append(accept, cand{t, q})
	}
	slices.SortStableFunc(accept, func(a, b cand) int { return cmp.Compare(b.q, a.q) })
	for _, a := range accept {
		for _, avail := range available {
			if normalType(avail) == a.t {
				return avail
			}
		}
	}
	for _, a := range accept {
		for _, avail := range available {
			if withoutParams(normalType(avail)) == withoutParams(a.t) {
				return avail
			}
		}
	}
	for _, a := range accept {
		at, as := typeAndSuffix(a.t)
		for _, avail := range available {
			if tt, ts := typeAndSuffix(normalType(avail)); tt == at && ts == as {
				return avail
			}
		}
	}
	for _, a := range accept {
		at, _ := typeAndSuffix(a.t)
		for _, avail := range available {
			if tt, ts := typeAndSuffix(normalType(avail)); ts == "*" && tt == at {
				return avail
			}
		}
	}
	for _, avail := range available {
		if withoutParams(normalType(avail)) == "*/*" {
			return avail
		}
	}
	for _, a := range accept {
		at, as := typeAndSuffix(a.t)
		if as != "*" {
			continue
		}
		for _, avail := range available {
			if tt, _ := typeAndSuffix(normalType(avail)); tt == at {
				return avail
			}
		}
	}
	for _, a := range accept {
		if withoutParams(a.t) == "*/*" {
			return available[0]
		}
	}
	return ""
}

// normalType is a media type as findMatchingType compares it: lower case, without white
// space. Types are compared many times and are mostly written so already: those are
// returned as they are.
func normalType(t string) string {
	for i := 0; i < len(t); i++ {
		if c := t[i]; c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' || c <= ' ' {
			return strings.ToLower(strings.Join(strings.Fields(t), ""))
		}
	}
	return t
}

func withoutParams(t string) string {
	if i := strings.IndexByte(t, ';'); i >= 0 {
		return t[:i]
	}
	return t
}

// typeAndSuffix splits "application/vnd.acme+json;v=1" into "application" and "json".
func typeAndSuffix(t string) (string, string) {
	t = withoutParams(t)
	main, sub, _ := strings.Cut(t, "/")
	if i := strings.LastIndexByte(sub, '+'); i >= 0 {
		sub = sub[i+1:]
	}
	return main, sub
}

// isJSONType reports whether a media type carries JSON: application/json, any +json type,
// or a wildcard whose body the pact wrote as JSON.
func isJSONType(t string) bool {
	t = strings.ToLower(withoutParams(strings.TrimSpace(t)))
	main, sub := typeAndSuffix(t)
	return sub == "json" && (main == "application" || main == "text" || main == "*")
}

// bodyKind says how a body of a media type is validated.
type bodyKind int

const (
	bodyJSON bodyKind = iota
	bodyForm
	bodyMultipart
	bodyOther // neither: unvalidatable
)

func kindOf(mediaType string, multipartOff bool) bodyKind {
	t := strings.ToLower(withoutParams(strings.TrimSpace(mediaType)))
	switch {
	case t == "application/x-www-form-urlencoded":
		return bodyForm
	case t == "multipart/form-data" && !multipartOff:
		return bodyMultipart
	case isJSONType(t):
		return bodyJSON
	}
	return bodyOther
}

// standardRequestHeaders are sent by HTTP clients and proxies without a consumer asking; a
// pact may carry them although the document does not declare them.
var standardRequestHeaders = setOf(
	"accept", "accept-charset", "accept-datetime", "accept-encoding", "accept-language",
	"authorization", "cache-control", "connection", "content-length", "content-md5",
	"content-type", "cookie", "date", "expect", "forwarded", "from", "host", "if-match",
	"if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "max-forwards",
	"origin", "pragma", "proxy-authorization", "range", "referer", "te", "upgrade",
	"user-agent", "via", "warning",
)

// standardResponseHeaders are set by servers and proxies; one the document does not declare
// is worth a warning, not an error.
var standardResponseHeaders = setOf(
	"access-control-allow-origin", "accept-patch", "accept-ranges", "age", "allow", "alt-svc",
	"cache-control", "connection", "content-disposition", "content-encoding",
	"content-language", "content-length", "content-location", "content-md5", "content-range",
	"date", "etag", "expires", "last-modified", "link", "location", "p3p", "pragma",
	"proxy-authenticate", "public-key-pins", "refresh", "retry-after", "server", "set-cookie",
	"status", "strict-transport-security", "trailer", "transfer-encoding", "tsv", "upgrade",
	"vary", "via", "warning", "www-authenticate", "x-frame-options",
)

func setOf(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, i := range items {
		m[i] = true
	}
	return m
}
