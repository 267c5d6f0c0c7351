package pipelines

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"unicode"
)

// BuiltinVariables are the variables every spec may use. commit is the full commit id,
// short_commit its first seven characters, version the pacticipant version (the short commit
// unless --version says otherwise) and tag the image tag (the version); image, image_ref and
// digest are the pushed image's repository, REPO:TAG@sha256:… and digest, once image-push has
// run (or, for image_ref, once a deploy found it in the broker).
var BuiltinVariables = []string{
	"service", "commit", "short_commit", "version", "branch", "run", "stage", "environment",
	"image", "image_ref", "digest", "tag", "dir", "root", "broker",
}

// Vars holds variable values and expands ${name} in strings. ${env.NAME} reads the process
// environment; $${ is a literal ${. Upper-case names are left as they are, for the shell.
type Vars map[string]string

// Expand replaces the variables of s. An unknown lower-case variable is an error: the spec's
// validation catches those before anything runs, so this only happens for values a step
// builds itself.
func (v Vars) Expand(s string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			// $${ is a literal ${
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		name := s[i+2 : i+j]
		b.WriteString(s[:i])
		s = s[i+j+1:]
		switch {
		case strings.HasPrefix(name, "env."):
			b.WriteString(os.Getenv(strings.TrimPrefix(name, "env.")))
		case isShellName(name):
			b.WriteString("${" + name + "}")
		default:
			val, ok := v[name]
			if !ok {
				return "", fmt.Errorf("${%s} has no value here", name)
			}
			b.WriteString(val)
		}
	}
}

// ExpandAll expands the strings of a `with` value: strings, lists and mappings of strings.
func (v Vars) ExpandAll(with map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(with))
	for k, x := range with {
		switch t := x.(type) {
		case string:
			s, err := v.Expand(t)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = s
		case []string:
			list := make([]string, len(t))
			for i, s := range t {
				e, err := v.Expand(s)
				if err != nil {
					return nil, fmt.Errorf("%s[%d]: %w", k, i, err)
				}
				list[i] = e
			}
			out[k] = list
		case map[string]string:
			m := make(map[string]string, len(t))
			for mk, s := range t {
				e, err := v.Expand(s)
				if err != nil {
					return nil, fmt.Errorf("%s.%s: %w", k, mk, err)
				}
				m[mk] = e
			}
			out[k] = m
		default:
			out[k] = x
		}
	}
	return out, nil
}

// Clone copies the values.
func (v Vars) Clone() Vars {
	out := make(Vars, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

// Environ is the variables as TREATY_NAME=value, for the commands steps run.
func (v Vars) Environ() []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, "TREATY_"+strings.ToUpper(k)+"="+v[k])
	}
	return out
}

// varRefs lists the names inside ${…} in s, skipping $${ escapes.
func varRefs(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		escaped := i > 0 && s[i-1] == '$'
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		if !escaped {
			out = append(out, s[i+2:i+j])
		}
		s = s[i+j+1:]
	}
}

// isShellName: a name with no lower-case letter is the shell's (${HOME}, ${GOFLAGS}).
func isShellName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if unicode.IsLower(r) || r == '.' || r == '-' {
			return false
		}
	}
	return true
}
