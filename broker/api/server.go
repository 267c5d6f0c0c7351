package api

import (
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/treaty-dev/treaty/broker"
)

// Config is what the HTTP layer needs to know beyond the store.
type Config struct {
	// BaseURL prefixes every link; when empty it is taken from each request.
	BaseURL string
	Auth    AuthConfig
	// MaxBodyBytes bounds request bodies (default 10 MiB).
	MaxBodyBytes int64
	// Registerer receives the HTTP metrics; nil means a private registry.
	Registerer prometheus.Registerer
	// Gatherer serves /metrics; nil means the Registerer when it is a registry.
	Gatherer prometheus.Gatherer
	// Webhooks holds the webhook allow-lists and the sender of test executions.
	Webhooks WebhookConfig
	// Gates configures the release gates' API (gates.go).
	Gates GatesConfig
}

// Server holds the handlers' dependencies.
type Server struct {
	store   broker.Store
	log     *slog.Logger
	cfg     Config
	now     func() time.Time
	metrics *httpMetrics
	engine  *gin.Engine
}

// New builds the server and its routes.
func New(store broker.Store, log *slog.Logger, cfg Config) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 10 << 20
	}
	if cfg.Registerer == nil {
		reg := prometheus.NewRegistry()
		cfg.Registerer, cfg.Gatherer = reg, reg
	}
	if cfg.Gatherer == nil {
		if g, ok := cfg.Registerer.(prometheus.Gatherer); ok {
			cfg.Gatherer = g
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: store, log: log, cfg: cfg, now: time.Now, metrics: newHTTPMetrics(cfg.Registerer)}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	// Names may contain "/" sent as %2F (branches such as feat/x): route on the raw path and
	// unescape each parameter, so %2F never splits a segment.
	e.UseRawPath = true
	e.UnescapePathValues = true
	e.RemoveExtraSlash = false
	e.RedirectTrailingSlash = false
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	s.engine = e
	s.routes()
	return s
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	escapeBranchSlashes(r)
	s.engine.ServeHTTP(w, r)
}

// unencodedBranch matches a branch-version path whose branch name was sent with a bare "/"
// (the Rust CLI's create-or-update-version does not encode it): feat/x arrives as two segments.
var unencodedBranch = regexp.MustCompile(`^(/pacticipants/[^/]+/branches/)(.+/.+)(/versions/[^/]+)$`)

// escapeBranchSlashes rewrites such a path so the branch is one segment again.
func escapeBranchSlashes(r *http.Request) {
	m := unencodedBranch.FindStringSubmatch(r.URL.EscapedPath())
	if m == nil {
		return
	}
	raw := m[1] + strings.ReplaceAll(m[2], "/", "%2F") + m[3]
	if path, err := url.PathUnescape(raw); err == nil {
		r.URL.Path, r.URL.RawPath = path, raw
	}
}

// AuthEnabled reports whether requests must carry credentials.
func (s *Server) AuthEnabled() bool { return s.cfg.Auth.Enabled() }
