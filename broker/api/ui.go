package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker/ui"
)

// uiRoutes serves the web pages under /ui; browsers also get the overview at / (see index).
// The pages are a plain http.Handler that answers every path below /ui itself, unknown ones
// with an HTML 404.
func (s *Server) uiRoutes() {
	pages := s.pages()
	if pages == nil {
		return
	}
	h := gin.WrapH(pages)
	s.engine.GET("/ui", h)
	s.engine.HEAD("/ui", h)
	s.engine.GET("/ui/*page", h)
	s.engine.HEAD("/ui/*page", h)
}

// pages builds the web pages over the server's store, or nil when the store lacks the page
// queries (a test double, say). Building them is cheap.
func (s *Server) pages() *ui.Pages {
	st, ok := s.store.(ui.Store)
	if !ok {
		return nil
	}
	base := ""
	if s.cfg.BaseURL != "" {
		if u, err := url.Parse(s.cfg.BaseURL); err == nil {
			base = strings.TrimRight(u.Path, "/")
		}
	}
	return ui.New(st, ui.Options{Log: s.log, Now: s.now, BasePath: base, MatrixQuery: matrixQuery})
}

// wantsHTML reports whether a request at / comes from a browser: it accepts text/html and
// names neither HAL nor JSON, which every Pact client and script asks for.
func wantsHTML(r *http.Request) bool {
	accept := strings.ToLower(strings.Join(r.Header.Values("Accept"), ","))
	return strings.Contains(accept, "text/html") && !strings.Contains(accept, "application/hal+json") && !strings.Contains(accept, "application/json")
}
