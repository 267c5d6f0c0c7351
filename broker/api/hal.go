package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// halJSON is the media type of every API response.
const halJSON = "application/hal+json;charset=utf-8"

// Link is a HAL link.
type Link struct {
	Href      string `json:"href"`
	Title     string `json:"title,omitempty"`
	Name      string `json:"name,omitempty"`
	Templated bool   `json:"templated,omitempty"`
}

// obj is a JSON object under construction; HAL resources are maps because their link sets
// vary with the data.
type obj = map[string]any

// render writes body as HAL JSON, without HTML escaping so URLs stay readable.
func render(c *gin.Context, status int, body any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		_ = c.Error(err)
		return
	}
	c.Data(status, halJSON, buf.Bytes())
}

// baseURL is the configured base URL, or the one the request came in on (honouring the
// proxy headers a load balancer sets).
func (s *Server) baseURL(c *gin.Context) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := c.Request.Host
	if h := c.GetHeader("X-Forwarded-Host"); h != "" {
		host = strings.TrimSpace(strings.Split(h, ",")[0])
	}
	return scheme + "://" + host
}

// urls builds absolute links; names are escaped as path segments so "feat/x" stays one.
type urls struct{ base string }

func (s *Server) urls(c *gin.Context) urls { return urls{base: s.baseURL(c)} }

func seg(s string) string { return url.PathEscape(s) }

func (u urls) path(parts ...string) string {
	var b strings.Builder
	b.WriteString(u.base)
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(p)
	}
	return b.String()
}

func (u urls) pacticipant(name string) string { return u.path("pacticipants", seg(name)) }
func (u urls) version(p, v string) string     { return u.path("pacticipants", seg(p), "versions", seg(v)) }
func (u urls) tag(p, v, t string) string      { return u.version(p, v) + "/tags/" + seg(t) }
func (u urls) branch(p, b string) string      { return u.pacticipant(p) + "/branches/" + seg(b) }
func (u urls) branchVersion(p, b, v string) string {
	return u.branch(p, b) + "/versions/" + seg(v)
}
func (u urls) environment(id string) string     { return u.path("environments", seg(id)) }
func (u urls) deployedVersion(id string) string { return u.path("deployed-versions", seg(id)) }
func (u urls) releasedVersion(id string) string { return u.path("released-versions", seg(id)) }
func (u urls) integration(consumer, provider string) string {
	return u.path("pacts", "provider", seg(provider), "consumer", seg(consumer))
}
func (u urls) pactVersion(consumer, provider, version string) string {
	return u.integration(consumer, provider) + "/version/" + seg(version)
}
func (u urls) pactBySHA(consumer, provider, sha string) string {
	return u.integration(consumer, provider) + "/pact-version/" + seg(sha)
}

// timestamp formats times as the reference broker does: RFC 3339 in UTC with +00:00.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }

// timestamps adds createdAt, and updatedAt when it differs.
func timestamps(o obj, created, updated time.Time) {
	o["createdAt"] = timestamp(created)
	if !updated.IsZero() && !updated.Equal(created) {
		o["updatedAt"] = timestamp(updated)
	}
}

func notFoundHandler(c *gin.Context) {
	render(c, http.StatusNotFound, obj{"error": "No resource at " + c.Request.URL.Path})
}
