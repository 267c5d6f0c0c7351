package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"
)

// AuthConfig turns authentication on when any credential is set. Write credentials may do
// anything; read credentials may only read (and ask which pacts to verify).
type AuthConfig struct {
	BasicWrite  string   // "user:pass"
	BasicRead   string   // "user:pass"
	WriteTokens []string // bearer tokens
	ReadTokens  []string
}

// Enabled reports whether any credential is configured.
func (a AuthConfig) Enabled() bool {
	return a.BasicWrite != "" || a.BasicRead != "" || len(a.WriteTokens) > 0 || len(a.ReadTokens) > 0
}

type role int

const (
	roleNone role = iota
	roleRead
	roleWrite
)

// forVerification is the one POST that read credentials may make: a provider asking which
// pacts it must verify reads, it does not write.
var forVerification = regexp.MustCompile(`^/pacts/provider/[^/]+/for-verification$`)

// publicPaths answer without credentials: probes, the metrics scrape, and GitHub's
// deployment protection rule webhook, which proves itself with its HMAC signature instead.
var publicPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true, "/gates/github": true}

func (s *Server) authenticate(c *gin.Context) {
	if !s.cfg.Auth.Enabled() || publicPaths[c.Request.URL.Path] {
		c.Next()
		return
	}
	need := roleWrite
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		need = roleRead
	case http.MethodPost:
		if forVerification.MatchString(c.Request.URL.Path) {
			need = roleRead
		}
	}
	has := s.roleOf(c.GetHeader("Authorization"))
	switch {
	case has == roleNone:
		c.Header("WWW-Authenticate", `Basic realm="Treaty", Bearer realm="Treaty"`)
		render(c, http.StatusUnauthorized, obj{"error": "Authentication required: send HTTP Basic credentials or a bearer token"})
		c.Abort()
	case has < need:
		render(c, http.StatusForbidden, obj{"error": "These credentials may only read"})
		c.Abort()
	default:
		c.Next()
	}
}

// roleOf checks a header against every configured credential in constant time.
func (s *Server) roleOf(header string) role {
	a := s.cfg.Auth
	scheme, value, _ := strings.Cut(header, " ")
	value = strings.TrimSpace(value)
	switch strings.ToLower(scheme) {
	case "bearer":
		if matchAny(value, a.WriteTokens) {
			return roleWrite
		}
		if matchAny(value, a.ReadTokens) {
			return roleRead
		}
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return roleNone
		}
		if a.BasicWrite != "" && equal(string(raw), a.BasicWrite) {
			return roleWrite
		}
		if a.BasicRead != "" && equal(string(raw), a.BasicRead) {
			return roleRead
		}
	}
	return roleNone
}

func matchAny(value string, secrets []string) bool {
	found := false
	for _, s := range secrets {
		if s != "" && equal(value, s) {
			found = true
		}
	}
	return found
}

// equal compares in constant time; hashing first hides the secret's length too.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
