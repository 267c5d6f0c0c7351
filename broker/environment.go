package broker

import (
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Environment is a place versions are deployed to or released in, such as staging or
// production. Clients address it by UUID and find it by name.
type Environment struct {
	ID          int64
	UUID        string
	Name        string
	DisplayName string
	Production  bool
	Contacts    []Contact
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Contact is a person or team responsible for an environment.
type Contact struct {
	Name    string         `json:"name"`
	Details map[string]any `json:"details,omitempty"`
}

var uuidPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,}$`)

// Validate checks an environment before it is created or replaced.
func (e *Environment) Validate() error {
	v := &ValidationError{}
	checkName(v, "name", e.Name)
	if strings.ContainsFunc(e.Name, unicode.IsSpace) {
		v.Add("name", "cannot contain spaces")
	}
	if len(e.DisplayName) > MaxFieldLength {
		v.Add("displayName", "must be at most %d characters", MaxFieldLength)
	}
	if e.UUID != "" && !uuidPattern.MatchString(e.UUID) {
		v.Add("uuid", "must be at least 16 characters of letters, digits, '-' or '_'")
	}
	for i, c := range e.Contacts {
		if strings.TrimSpace(c.Name) == "" {
			v.Add("contacts", "contact %d: name cannot be blank", i)
		}
	}
	return v.Err()
}

// DefaultDisplayName turns an environment name such as "pre-production" into
// "Pre Production", as the reference broker does when none is given.
func DefaultDisplayName(name string) string {
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	for i, w := range words {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		words[i] = string(r)
	}
	return strings.Join(words, " ")
}
