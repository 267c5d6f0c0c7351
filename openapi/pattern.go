package openapi

import (
	"regexp"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// pattern is a compiled pattern keyword. Most patterns in documents are a sequence of
// characters and character classes, each perhaps repeated, perhaps anchored
// (^[A-Z]{3}-[0-9]+$): those are matched against short strings by a small matcher of their
// own, several times faster than package regexp on the few-character values pacts carry.
// Anything else, and long strings, go to regexp.
type pattern struct {
	re     *regexp.Regexp
	simple *simplePattern // nil: not simple
}

// newPattern compiles p with package regexp, and as a simplePattern when it is one.
func newPattern(p string) (*pattern, error) {
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	return &pattern{re: re, simple: parseSimplePattern(p)}, nil
}

func (p *pattern) MatchString(s string) bool {
	if p.simple != nil && len(s) < 64 {
		return p.simple.match(s)
	}
	return p.re.MatchString(s)
}

// simplePattern is a concatenation of single-character atoms, each repeated min to max
// times (max -1: no limit), perhaps anchored at the start or end of the text.
type simplePattern struct {
	begin, end bool
	atoms      []patternAtom
}

type patternAtom struct {
	ranges   []rune // lo, hi pairs, as syntax.Regexp.Rune holds a class
	min, max int
}

var anyRune = []rune{0, unicode.MaxRune}
var anyRuneNotNL = []rune{0, '\n' - 1, '\n' + 1, unicode.MaxRune}

// parseSimplePattern reads p as regexp.Compile does (syntax.Perl), and returns nil unless
// it is a simplePattern.
func parseSimplePattern(p string) *simplePattern {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return nil
	}
	parts := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		parts = re.Sub
	}
	sp := &simplePattern{}
	for i, part := range parts {
		switch {
		case part.Op == syntax.OpBeginText && i == 0:
			sp.begin = true
		case part.Op == syntax.OpEndText && i == len(parts)-1:
			sp.end = true
		case part.Op == syntax.OpLiteral:
			if part.Flags&syntax.FoldCase != 0 {
				return nil
			}
			for _, r := range part.Rune {
				sp.atoms = append(sp.atoms, patternAtom{ranges: []rune{r, r}, min: 1, max: 1})
			}
		case part.Op == syntax.OpStar || part.Op == syntax.OpPlus || part.Op == syntax.OpQuest || part.Op == syntax.OpRepeat:
			ranges := oneRune(part.Sub[0])
			if ranges == nil {
				return nil
			}
			a := patternAtom{ranges: ranges}
			switch part.Op {
			case syntax.OpStar:
				a.min, a.max = 0, -1
			case syntax.OpPlus:
				a.min, a.max = 1, -1
			case syntax.OpQuest:
				a.min, a.max = 0, 1
			default:
				a.min, a.max = part.Min, part.Max
			}
			sp.atoms = append(sp.atoms, a)
		default:
			ranges := oneRune(part)
			if ranges == nil {
				return nil
			}
			sp.atoms = append(sp.atoms, patternAtom{ranges: ranges, min: 1, max: 1})
		}
	}
	if len(sp.atoms) == 0 {
		return nil
	}
	return sp
}

// oneRune returns the ranges of a regexp that matches exactly one character, else nil.
func oneRune(re *syntax.Regexp) []rune {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 1 && re.Flags&syntax.FoldCase == 0 {
			return []rune{re.Rune[0], re.Rune[0]}
		}
	case syntax.OpCharClass:
		if len(re.Rune) > 0 {
			return re.Rune
		}
	case syntax.OpAnyChar:
		return anyRune
	case syntax.OpAnyCharNotNL:
		return anyRuneNotNL
	}
	return nil
}

func (a *patternAtom) matches(r rune) bool {
	for i := 0; i+1 < len(a.ranges); i += 2 {
		if r < a.ranges[i] {
			return false
		}
		if r <= a.ranges[i+1] {
			return true
		}
	}
	return false
}

// match reports whether the pattern matches somewhere in s, which is shorter than 64 bytes:
// the byte offsets where the next atom may start are a bit set, advanced atom by atom.
func (sp *simplePattern) match(s string) bool {
	var at uint64 // offsets the next atom may start at
	if sp.begin {
		at = 1
	} else {
		for i := 0; i <= len(s); {
			at |= 1 << i
			if i == len(s) {
				break
			}
			_, size := decodeRune(s[i:])
			i += size
		}
	}
	for ai := range sp.atoms {
		a := &sp.atoms[ai]
		var next uint64
		for start := 0; start <= len(s); start++ {
			if at&(1<<start) == 0 {
				continue
			}
			pos, n := start, 0
			if n >= a.min {
				next |= 1 << pos
			}
			for pos < len(s) && (a.max < 0 || n < a.max) {
				r, size := decodeRune(s[pos:])
				if !a.matches(r) {
					break
				}
				pos += size
				n++
				if n >= a.min {
					next |= 1 << pos
				}
			}
		}
		if next == 0 {
			return false
		}
		at = next
	}
	if sp.end {
		return at&(1<<len(s)) != 0
	}
	return true
}

// decodeRune reads a character as package regexp does: invalid UTF-8 is U+FFFD, one byte.
func decodeRune(s string) (rune, int) {
	if c := s[0]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s)
}
