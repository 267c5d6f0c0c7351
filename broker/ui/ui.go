package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/openapi"
)

// Store is what the pages read: the broker's store, and the page queries of broker/store
// (bounded lists the API has no use for).
type Store interface {
	broker.Store
	IntegrationStatuses(ctx context.Context, q store.IntegrationQuery) ([]store.IntegrationStatus, int, error)
	PactHistory(ctx context.Context, consumer, provider string, limit int) ([]store.PactStatus, int, error)
	PreviousDistinctPact(ctx context.Context, consumer, provider, version, sha string) (broker.Pact, error)
	PactVerifications(ctx context.Context, consumer, provider, sha string, limit int) ([]broker.Verification, error)
	VerificationByID(ctx context.Context, id int64) (broker.Verification, error)
	CurrentVersions(ctx context.Context, names []string, environment string) ([]broker.DeployedVersion, []broker.ReleasedVersion, error)
	DeploymentHistory(ctx context.Context, q store.HistoryQuery) ([]store.DeploymentEvent, error)
	ProviderContractComparison(ctx context.Context, provider, version string, id int64) (store.ComparisonDetail, error)
	ProviderContractComparisons(ctx context.Context, provider, version string, limit int) (store.ProviderComparisons, error)
	PactComparisons(ctx context.Context, consumer, provider, sha string, limit int) ([]broker.Comparison, error)
	LatestContractVersion(ctx context.Context, provider string) (string, error)
	ContractDocument(ctx context.Context, pc broker.ProviderContract) (*openapi.Document, error)
}

var _ Store = (*store.Store)(nil)

// Options configure the pages.
type Options struct {
	Log *slog.Logger
	Now func() time.Time // the clock, for "3 minutes ago"; time.Now when nil
	// BasePath prefixes links when a proxy serves the broker under a path ("/broker") and
	// strips it from requests; "" at the root.
	BasePath string
	// MatrixQuery parses a /matrix query string. The API passes its own parser, so the matrix
	// page accepts exactly the options /matrix does.
	MatrixQuery func(rawQuery string) (broker.MatrixQuery, error)
}

// Pages serves the web pages under /ui.
type Pages struct {
	store       Store
	log         *slog.Logger
	now         func() time.Time
	links       links
	matrixQuery func(string) (broker.MatrixQuery, error)
}

// New builds the pages. It is cheap: templates and assets are prepared once per process.
func New(st Store, opts Options) *Pages {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Pages{store: st, log: opts.Log, now: opts.Now, links: links{base: strings.TrimRight(opts.BasePath, "/")},
		matrixQuery: opts.MatrixQuery}
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// templates holds one parsed template set per page: the layout, the shared partials and the
// page's own blocks.
var templates = parseTemplates()

func parseTemplates() map[string]*template.Template {
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, file := range entries {
		name := strings.TrimSuffix(path.Base(file), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", file))
	}
	return out
}

// asset is an embedded static file, served under a URL that changes with its content so
// browsers may keep it for a year.
type asset struct {
	data        []byte
	contentType string
	hash        string
}

var assets = loadAssets()

func loadAssets() map[string]asset {
	out := map[string]asset{}
	entries, err := staticFS.ReadDir("static")
	if err != nil {
		panic(err)
	}
	types := map[string]string{".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	for _, e := range entries {
		data, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(data)
		out[e.Name()] = asset{data: data, contentType: types[path.Ext(e.Name())], hash: hex.EncodeToString(sum[:6])}
	}
	return out
}

// page is what a handler produces: a template to render with its data.
type page struct {
	template string
	title    string
	nav      string // the navigation entry to mark as current
	status   int    // 200 when zero
	data     any
}

type handler func(r *http.Request) (*page, error)

// maxQueryLength bounds a page's whole query string; single values are bounded more tightly
// where they are read.
const maxQueryLength = 8 << 10

// ServeHTTP routes /ui/… to the pages.
func (p *Pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		p.fail(w, r, &httpError{status: http.StatusMethodNotAllowed, title: "Method not allowed", msg: "These pages can only be read."})
		return
	}
	// The base path only prefixes links: a proxy that serves the broker under a path strips
	// it before the request arrives here.
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/ui")
	if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
		p.fail(w, r, notFound("There is no page at %s.", r.URL.Path))
		return
	}
	var segs []string
	for _, s := range strings.Split(strings.Trim(rest, "/"), "/") {
		if s == "" {
			continue
		}
		u, err := url.PathUnescape(s)
		if err != nil {
			p.fail(w, r, badRequest("The address contains a malformed escape: %q.", s))
			return
		}
		segs = append(segs, u)
	}
	if len(segs) == 2 && segs[0] == "static" {
		p.static(w, r, segs[1])
		return
	}
	h := p.route(segs)
	if h == nil {
		p.fail(w, r, notFound("There is no page at %s.", r.URL.Path))
		return
	}
	p.serve(w, r, h)
}

// route picks the handler for a path below /ui.
func (p *Pages) route(segs []string) handler {
	at := func(i int) string { return segs[i] }
	switch {
	case len(segs) == 0:
		return p.overview
	case len(segs) == 1 && at(0) == "network":
		return p.network
	case len(segs) == 1 && at(0) == "matrix":
		return p.matrix
	case len(segs) == 1 && at(0) == "can-i-deploy":
		return p.canIDeploy
	case len(segs) == 3 && at(0) == "contracts":
		return func(r *http.Request) (*page, error) { return p.contract(r, at(1), at(2), "") }
	case len(segs) == 5 && at(0) == "contracts" && at(3) == "versions":
		return func(r *http.Request) (*page, error) { return p.contract(r, at(1), at(2), at(4)) }
	case len(segs) == 2 && at(0) == "provider-contracts":
		return func(r *http.Request) (*page, error) { return p.providerContract(r, at(1), "") }
	case len(segs) == 3 && at(0) == "provider-contracts":
		return func(r *http.Request) (*page, error) { return p.providerContract(r, at(1), at(2)) }
	case len(segs) == 5 && at(0) == "provider-contracts" && at(3) == "comparisons":
		return func(r *http.Request) (*page, error) { return p.comparison(r, at(1), at(2), at(4)) }
	case len(segs) == 2 && at(0) == "verifications":
		return func(r *http.Request) (*page, error) { return p.verification(r, at(1)) }
	case len(segs) == 1 && at(0) == "environments":
		return func(r *http.Request) (*page, error) { return p.environments(r, "") }
	case len(segs) == 2 && at(0) == "environments":
		return func(r *http.Request) (*page, error) { return p.environments(r, at(1)) }
	case len(segs) == 1 && at(0) == "releases":
		return p.releases
	case len(segs) == 2 && at(0) == "runs":
		return func(r *http.Request) (*page, error) { return p.pipelineRun(r, at(1)) }
	case len(segs) == 3 && at(0) == "releases":
		return func(r *http.Request) (*page, error) { return p.candidate(r, at(1), at(2)) }
	}
	return nil
}

// Overview serves the overview page; the API serves it at / to browsers.
func (p *Pages) Overview(w http.ResponseWriter, r *http.Request) { p.serve(w, r, p.overview) }

func (p *Pages) serve(w http.ResponseWriter, r *http.Request, h handler) {
	start := time.Now()
	if len(r.URL.RawQuery) > maxQueryLength {
		p.fail(w, r, &httpError{status: http.StatusRequestURITooLong, title: "Address too long",
			msg: fmt.Sprintf("The query string is %d characters long; these pages accept at most %d.", len(r.URL.RawQuery), maxQueryLength)})
		return
	}
	pg, err := h(r)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, pg, start)
}

// layout is the data every page's template gets: the page's own data is .Page.
type layout struct {
	Title string
	Nav   string
	L     links
	Page  any
}

// Static is the URL of an embedded asset.
func (l layout) Static(name string) string {
	return l.L.base + "/ui/static/" + name + "?v=" + assets[name].hash
}

func (p *Pages) render(w http.ResponseWriter, r *http.Request, pg *page, start time.Time) {
	t, ok := templates[pg.template]
	if !ok {
		p.internal(w, r, fmt.Errorf("no template %q", pg.template))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", layout{Title: pg.title, Nav: pg.nav, L: p.links, Page: pg.data}); err != nil {
		if pg.template == "error" {
			p.log.ErrorContext(r.Context(), "error page failed", "path", r.URL.Path, "error", err)
			http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
			return
		}
		p.internal(w, r, fmt.Errorf("render %s: %w", pg.template, err))
		return
	}
	status := pg.status
	if status == 0 {
		status = http.StatusOK
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Server-Timing", fmt.Sprintf("page;dur=%.2f", float64(time.Since(start).Microseconds())/1000))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

func (p *Pages) static(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := assets[name]
	if !ok {
		p.fail(w, r, notFound("There is no file %s.", name))
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", `"`+a.hash+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == `"`+a.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.data)
	}
}

// httpError is a refusal with its own status, title and message for the person reading it.
type httpError struct {
	status int
	title  string
	msg    string
	list   []string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, title: "Bad request", msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &httpError{status: http.StatusNotFound, title: "Not found", msg: fmt.Sprintf(format, args...)}
}

// errorPage is the data of the error template.
type errorPage struct {
	Status    int
	Heading   string
	Message   string
	List      []string
	Reference string
}

// fail is the one place errors become pages: input errors and unknown names get their 4xx
// and say what was wrong; anything else is a 500 that shows only a reference to the log.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		he *httpError
		nf *broker.NotFoundError
		ve *broker.ValidationError
		qe broker.QueryErrors
	)
	e := errorPage{}
	switch {
	case errors.As(err, &he):
		e.Status, e.Heading, e.Message, e.List = he.status, he.title, he.msg, he.list
	case errors.As(err, &qe):
		e.Status, e.Heading, e.Message, e.List = http.StatusBadRequest, "Bad request", "The query cannot be answered:", []string(qe)
	case errors.As(err, &ve):
		e.Status, e.Heading, e.Message = http.StatusBadRequest, "Bad request", "The address has invalid values:"
		for field, msgs := range ve.Fields {
			for _, m := range msgs {
				e.List = append(e.List, field+" "+m)
			}
		}
	case errors.As(err, &nf):
		e.Status, e.Heading, e.Message = http.StatusNotFound, "Not found", capitalise(nf.Error())+"."
	case errors.Is(err, broker.ErrNotFound):
		e.Status, e.Heading, e.Message = http.StatusNotFound, "Not found", "There is nothing at this address."
	case errors.Is(err, broker.ErrInvalid):
		e.Status, e.Heading, e.Message = http.StatusBadRequest, "Bad request", capitalise(err.Error())+"."
	default:
		p.internal(w, r, err)
		return
	}
	p.render(w, r, &page{template: "error", title: e.Heading, status: e.Status, data: e}, time.Now())
}

// internal logs an unexpected error under a reference and shows only the reference.
func (p *Pages) internal(w http.ResponseWriter, r *http.Request, err error) {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	ref := hex.EncodeToString(b)
	p.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "reference", ref, "error", err)
	e := errorPage{Status: http.StatusInternalServerError, Heading: "Something went wrong",
		Message: "The page could not be shown. The broker's log has the details under this reference.", Reference: ref}
	p.render(w, r, &page{template: "error", title: e.Heading, status: e.Status, data: e}, time.Now())
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
