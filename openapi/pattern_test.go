package openapi

import (
	"regexp"
	"testing"
)

// FuzzPattern: where a pattern is a simplePattern, it matches what package regexp matches.
func FuzzPattern(f *testing.F) {
	for _, c := range [][2]string{
		{`^[A-Z]{3}-[0-9]+$`, "ABC-12"}, {`^[A-Z]{3}-[0-9]+$`, "ABCD-1"}, {`[0-9]+`, "ab12"}, {`^\d{4}-\d{2}$`, "2024-01"},
		{`^[a-z]*x?$`, ""}, {`a.c`, "a\nc"}, {`(?s)a.c`, "a\nc"}, {`^é+$`, "éé"}, {`^[^a]$`, "\xff"}, {`^\p{L}{2,5}`, "日本語x"},
		{`x{0}y`, "y"}, {`^a{2,}$`, "aaa"}, {`(?i)abc`, "ABC"}, {`^$`, ""}, {`a|b`, "b"}, {`\w+@\w+`, "me@x"}, {`^\s*$`, " \t"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		re, err := regexp.Compile(p)
		if err != nil {
			return
		}
		sp := parseSimplePattern(p)
		if sp == nil || len(s) >= 64 {
			return
		}
		if got, want := sp.match(s), re.MatchString(s); got != want {
			t.Fatalf("/%s/ on %q: %v, regexp says %v", p, s, got, want)
		}
	})
}

func TestSimplePatterns(t *testing.T) {
	for _, p := range []string{`^[A-Z]{3}-[0-9]+$`, `^\d{4}-\d{2}-\d{2}$`, `[a-z]+`, `^.{1,20}$`} {
		if parseSimplePattern(p) == nil {
			t.Errorf("%s is not read as a simple pattern", p)
		}
	}
	for _, p := range []string{`^(a|bc)$`, `(?i)abc`, `\bword`, `^a+b$|c`, `(ab)+`, ``} {
		if parseSimplePattern(p) != nil {
			t.Errorf("%s is read as a simple pattern", p)
		}
	}
}
