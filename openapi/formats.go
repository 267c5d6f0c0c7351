package openapi

import (
	"encoding/base64"
	"math"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Formats are checked as ajv-formats' "full" mode checks them (the reference's validator);
// a format Treaty does not know is not checked, as there.

var (
	reUUID     = regexp.MustCompile(`^(?i)(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$`)
	reHostname = regexp.MustCompile(`^(?i)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?$`)
	reDuration = regexp.MustCompile(`^P(?:\d+W|(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?)$`)
	reJSONPtr  = regexp.MustCompile(`^(?:/(?:[^~/]|~0|~1)*)*$`)
	reRelPtr   = regexp.MustCompile(`^(?:0|[1-9][0-9]*)(?:#|(?:/(?:[^~/]|~0|~1)*)*)$`)
	reEmail    = regexp.MustCompile(`^(?i)[a-z0-9!#$%&'*+/=?^_{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)
)

var daysInMonth = [...]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// validDate reads a date as ^(\d{4})-(\d{2})-(\d{2})$ does, and checks it is a day of the
// calendar. Dates and times are read by hand, not by regexp: pacts are full of them, and
// they are checked on every comparison.
func validDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:]) {
		return false
	}
	return validDay(atoi(s[:4]), atoi(s[5:7]), atoi(s[8:]))
}

func validDay(y, mo, d int) bool {
	if mo < 1 || mo > 12 || d < 1 || d > daysInMonth[mo] {
		return false
	}
	leap := y%4 == 0 && (y%100 != 0 || y%400 == 0)
	return mo != 2 || d <= 28 || leap
}

// validTime reads a time as ^(?i)(\d{2}):(\d{2}):(\d{2})(\.\d+)?(z|[+-]\d{2}(?::?\d{2})?)?$
// does, and checks its hours, minutes and seconds.
func validTime(s string) bool {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' || !digits(s[:2]) || !digits(s[3:5]) || !digits(s[6:8]) {
		return false
	}
	rest := s[8:]
	if rest != "" && rest[0] == '.' {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case rest == "", rest == "z", rest == "Z":
	case rest[0] == '+' || rest[0] == '-':
		z := rest[1:]
		if !(len(z) == 2 && digits(z) || len(z) == 4 && digits(z) || len(z) == 5 && z[2] == ':' && digits(z[:2]) && digits(z[3:])) {
			return false
		}
	default:
		return false
	}
	h, mi, sec := atoi(s[:2]), atoi(s[3:5]), atoi(s[6:8])
	return h <= 23 && mi <= 59 && sec <= 60
}

// splitDateTime splits a date-time as ^(?i)(\d{4}-\d{2}-\d{2})[t\s](.+)$ does.
func splitDateTime(s string) (date, clock string, ok bool) {
	if len(s) < 12 || s[4] != '-' || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:10]) {
		return "", "", false
	}
	switch s[10] {
	case 't', 'T', ' ', '\t', '\n', '\f', '\r':
	default:
		return "", "", false
	}
	if strings.IndexByte(s[11:], '\n') >= 0 {
		return "", "", false
	}
	return s[:10], s[11:], true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// checkStringFormat reports whether s is of the format, and whether the format is known.
func checkStringFormat(format, s string) (ok, known bool) {
	switch format {
	case "date":
		return validDate(s), true
	case "time":
		return validTime(s) && hasZone(s), true
	case "date-time":
		date, clock, ok := splitDateTime(s)
		return ok && validDate(date) && validTime(clock) && hasZone(clock), true
	case "iso-time":
		return validTime(s), true
	case "iso-date-time":
		date, clock, ok := splitDateTime(s)
		return ok && validDate(date) && validTime(clock), true
	case "duration":
		return s != "P" && !strings.HasSuffix(s, "T") && reDuration.MatchString(s), true
	case "uuid":
		return reUUID.MatchString(s), true
	case "email":
		_, err := mail.ParseAddress(s)
		return err == nil && reEmail.MatchString(s), true
	case "hostname":
		return len(s) <= 253 && reHostname.MatchString(s), true
	case "ipv4":
		ip := net.ParseIP(s)
		return ip != nil && ip.To4() != nil && !strings.Contains(s, ":"), true
	case "ipv6":
		ip := net.ParseIP(s)
		return ip != nil && strings.Contains(s, ":"), true
	case "uri", "iri":
		u, err := url.Parse(s)
		return err == nil && u.Scheme != "" && !strings.ContainsAny(s, " \t\n"), true
	case "uri-reference", "iri-reference":
		_, err := url.Parse(s)
		return err == nil && !strings.ContainsAny(s, " \t\n"), true
	case "uri-template", "url":
		if format == "url" {
			u, err := url.Parse(s)
			return err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ftp") && u.Host != "", true
		}
		return strings.Count(s, "{") == strings.Count(s, "}"), true
	case "json-pointer":
		return reJSONPtr.MatchString(s), true
	case "relative-json-pointer":
		return reRelPtr.MatchString(s), true
	case "regex":
		_, err := regexp.Compile(s)
		return err == nil, true
	case "byte":
		_, err := base64.StdEncoding.DecodeString(s)
		return err == nil, true
	case "date-time-rfc3339":
		_, err := time.Parse(time.RFC3339, s)
		return err == nil, true
	}
	return true, false
}

func hasZone(t string) bool {
	return strings.HasSuffix(t, "z") || strings.HasSuffix(t, "Z") || strings.LastIndexAny(t, "+-") > 0
}

// checkNumberFormat checks the numeric formats OpenAPI defines.
func checkNumberFormat(format string, f float64) (ok, known bool) {
	switch format {
	case "int32":
		return f == math.Trunc(f) && f >= math.MinInt32 && f <= math.MaxInt32, true
	case "int64":
		return f == math.Trunc(f) && f >= -9007199254740991 && f <= 9007199254740991, true
	case "float", "double":
		return !math.IsInf(f, 0) && !math.IsNaN(f), true
	}
	return true, false
}

// formatName says what a format is in a message: "a date-time (RFC 3339)".
func formatName(format string) string {
	switch format {
	case "date-time":
		return "a date-time (RFC 3339, like 2024-01-31T12:00:00Z)"
	case "date":
		return "a date (like 2024-01-31)"
	case "time":
		return "a time (like 12:00:00Z)"
	case "email":
		return "an email address"
	case "uuid":
		return "a UUID"
	case "uri":
		return "an absolute URI"
	case "byte":
		return "base64 text"
	}
	return "a string of format " + format
}
