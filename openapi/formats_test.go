package openapi

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// TestDateTimeFormats checks the hand-written date and time readers against the regular
// expressions they replace (ajv-formats' own), on examples and on random mutations of them.
func TestDateTimeFormats(t *testing.T) {
	reDate := regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)
	reTime := regexp.MustCompile(`^(?i)(\d{2}):(\d{2}):(\d{2})(\.\d+)?(z|[+-]\d{2}(?::?\d{2})?)?$`)
	reDateTime := regexp.MustCompile(`^(?i)(\d{4}-\d{2}-\d{2})[t\s](.+)$`)
	dateByRegexp := func(s string) bool {
		m := reDate.FindStringSubmatch(s)
		return m != nil && validDay(atoi(m[1]), atoi(m[2]), atoi(m[3]))
	}
	timeByRegexp := func(s string) bool {
		m := reTime.FindStringSubmatch(s)
		return m != nil && atoi(m[1]) <= 23 && atoi(m[2]) <= 59 && atoi(m[3]) <= 60
	}
	splitByRegexp := func(s string) (string, string, bool) {
		m := reDateTime.FindStringSubmatch(s)
		if m == nil {
			return "", "", false
		}
		return m[1], m[2], true
	}
	examples := []string{
		"2024-01-31", "2024-02-29", "2023-02-29", "2024-13-01", "2024-1-01", "20240131", "",
		"12:00:00", "12:00:00Z", "12:00:00z", "23:59:60.123+01:00", "24:00:00", "12:60:00",
		"12:00:00.", "12:00:00+0100", "12:00:00+01", "12:00:00+1", "12:00:00-01:0", "12:00:00 Z",
		"2024-01-31T12:00:00Z", "2024-01-31t12:00:00+02:00", "2024-01-31 12:00:00", "2024-01-31\n12:00:00Z",
		"2024-01-31T12:00:00Z\n", "2024-01-31T", "2024-01-31Tx", "2024-01-31\t1", "2024-01-31\v12:00:00Z",
		"2024-01-31T12:00:00.5Z", "2024-01-31T12:00:00\xffZ", "１２:00:00",
	}
	alphabet := []byte("0123456789-:.+zZtT \t\n\r\f\vx\xff")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := []byte(examples[rng.IntN(len(examples))])
		for range rng.IntN(3) + 1 {
			switch i := rng.IntN(len(b) + 1); rng.IntN(3) {
			case 0:
				if i < len(b) {
					b[i] = alphabet[rng.IntN(len(alphabet))]
				}
			case 1:
				b = append(b[:i], append([]byte{alphabet[rng.IntN(len(alphabet))]}, b[i:]...)...)
			default:
				if i < len(b) {
					b = append(b[:i], b[i+1:]...)
				}
			}
		}
		examples = append(examples, string(b))
	}
	for _, s := range examples {
		if got, want := validDate(s), dateByRegexp(s); got != want {
			t.Errorf("validDate(%q) = %v, the regexp says %v", s, got, want)
		}
		if got, want := validTime(s), timeByRegexp(s); got != want {
			t.Errorf("validTime(%q) = %v, the regexp says %v", s, got, want)
		}
		d, c, ok := splitDateTime(s)
		if wd, wc, wok := splitByRegexp(s); d != wd || c != wc || ok != wok {
			t.Errorf("splitDateTime(%q) = %q %q %v, the regexp says %q %q %v", s, d, c, ok, wd, wc, wok)
		}
	}
}
