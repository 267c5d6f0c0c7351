package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/treaty-dev/treaty/broker"
)

// params reads a page's query string, collecting every problem so the error page can list
// them all at once.
type params struct {
	values url.Values
	errs   []string
}

func readParams(r *http.Request) *params {
	v, err := url.ParseQuery(r.URL.RawQuery)
	p := &params{values: v}
	if err != nil {
		p.errs = append(p.errs, fmt.Sprintf("the query string is malformed (%v)", err))
	}
	return p
}

// text is an optional single value of at most max characters, on one line.
func (p *params) text(name string, max int) string {
	list := p.values[name]
	if len(list) == 0 {
		return ""
	}
	if len(list) > 1 {
		p.errs = append(p.errs, fmt.Sprintf("%s is given %d times; give it once", name, len(list)))
		return ""
	}
	v := strings.TrimSpace(list[0])
	switch {
	case len(v) > max:
		p.errs = append(p.errs, fmt.Sprintf("%s is %d characters long; at most %d are allowed", name, len(v), max))
		return ""
	case strings.ContainsFunc(v, unicode.IsControl):
		p.errs = append(p.errs, fmt.Sprintf("%s contains control characters", name))
		return ""
	}
	return v
}

// name is an optional pacticipant, version, branch, tag or environment name.
func (p *params) name(name string) string { return p.text(name, broker.MaxNameLength) }

// choice is an optional value that must be one of allowed.
func (p *params) choice(name string, allowed ...string) string {
	v := p.text(name, 64)
	if v == "" {
		return ""
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.errs = append(p.errs, fmt.Sprintf("%s must be one of %s (got %q)", name, strings.Join(allowed, ", "), v))
	return ""
}

// page is a page number: 1 when absent.
func (p *params) page() int {
	v := p.text("page", 10)
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100_000 {
		p.errs = append(p.errs, fmt.Sprintf("page must be a whole number from 1 to 100000 (got %q)", v))
		return 1
	}
	return n
}

// err is the page's 400 when any value was wrong.
func (p *params) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return &httpError{status: http.StatusBadRequest, title: "Bad request", msg: "The address has values this page cannot use:", list: p.errs}
}

// checkNames refuses path segments that cannot be names (too long, several lines) with a 400,
// before any look-up.
func checkNames(pairs ...string) error {
	var list []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := broker.CheckName(pairs[i], pairs[i+1]); err != nil {
			list = append(list, err.Error())
		}
	}
	if len(list) > 0 {
		return &httpError{status: http.StatusBadRequest, title: "Bad request", msg: "The address has names that cannot exist:", list: list}
	}
	return nil
}
