package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

// getPact serves a pact document: of a consumer version, the latest (with a tag, on a
// branch) or by content SHA.
func (s *Server) getPact(c *gin.Context) {
	q := broker.PactQuery{Consumer: c.Param("consumer"), Provider: c.Param("provider"),
		Version: c.Param("version"), Tag: c.Param("tag"), Branch: c.Param("branch"), SHA: c.Param("sha")}
	q.Latest = q.Version == "" && q.SHA == ""
	p, err := s.store.Pact(c.Request.Context(), q)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	var extra obj
	if c.Param("branch") != "" {
		// get-pacts --consumer --branch --latest lists what it gets under pb:pacts.
		extra = obj{"pb:pacts": []Link{{Href: u.pactVersion(p.Consumer, p.Provider, p.ConsumerVersion),
			Title: "Pact between " + p.Consumer + " (" + p.ConsumerVersion + ") and " + p.Provider, Name: p.Consumer}}}
	}
	body, err := u.renderPact(p, c.Param("metadata"), extra)
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.Data(http.StatusOK, halJSON, body)
}

// putPact publishes one pact the legacy way (PUT), or merges interactions into it (PATCH).
func (s *Server) putPact(c *gin.Context) {
	if ct := c.GetHeader("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/json" && mt != "application/merge-patch+json") {
			_ = c.Error(statusError(http.StatusUnsupportedMediaType, "", "Unsupported content type %q: send application/json", ct))
			return
		}
	}
	content, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			_ = c.Error(statusError(http.StatusRequestEntityTooLarge, "", "The request body is larger than the limit of %d bytes", s.cfg.MaxBodyBytes))
			return
		}
		_ = c.Error(broker.Invalid("body", "could not be read: %v", err))
		return
	}
	p, created, err := s.store.PutPact(c.Request.Context(), c.Param("consumer"), c.Param("provider"), c.Param("version"), content, c.Request.Method == http.MethodPatch)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	body, err := u.renderPact(p, "", nil)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if created {
		c.Header("Location", u.pactVersion(p.Consumer, p.Provider, p.ConsumerVersion))
	}
	c.Data(createdOr(created), halJSON, body)
}

func (s *Server) deletePact(c *gin.Context) {
	if err := s.store.DeletePact(c.Request.Context(), c.Param("consumer"), c.Param("provider"), c.Param("version")); err != nil {
		_ = c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}

// renderPact is the stored document with createdAt and the links verifiers follow. metadata
// is the opaque segment of a for-verification URL; it is carried into the link the verifier
// publishes its results to.
func (u urls) renderPact(p broker.Pact, metadata string, extraLinks obj) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(p.Content))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	name := "Pact between " + p.Consumer + " (" + p.ConsumerVersion + ") and " + p.Provider
	self := u.pactVersion(p.Consumer, p.Provider, p.ConsumerVersion)
	bySHA := u.pactBySHA(p.Consumer, p.Provider, p.SHA)
	verifyAt := bySHA
	if metadata != "" {
		verifyAt += "/metadata/" + seg(metadata)
	}
	integration := u.integration(p.Consumer, p.Provider)
	doc["createdAt"] = timestamp(p.CreatedAt)
	doc["_links"] = obj{
		"self":                            Link{Href: self, Title: "Pact", Name: name},
		"pb:consumer":                     Link{Href: u.pacticipant(p.Consumer), Title: "Consumer", Name: p.Consumer},
		"pb:consumer-version":             Link{Href: u.version(p.Consumer, p.ConsumerVersion), Title: "Consumer version", Name: p.ConsumerVersion},
		"pb:provider":                     Link{Href: u.pacticipant(p.Provider), Title: "Provider", Name: p.Provider},
		"pb:pact-version":                 Link{Href: bySHA, Title: "Pact content version permalink", Name: p.SHA},
		"pb:latest-pact-version":          Link{Href: integration + "/latest", Title: "Latest version of this pact"},
		"pb:all-pact-versions":            Link{Href: integration + "/versions", Title: "All versions of this pact"},
		"pb:latest-tagged-pact-version":   Link{Href: integration + "/latest/{tag}", Title: "Latest tagged version of this pact", Templated: true},
		"pb:tag-version":                  Link{Href: u.version(p.Consumer, p.ConsumerVersion) + "/tags/{tag}", Title: "Tag consumer version", Templated: true},
		"pb:publish-verification-results": Link{Href: verifyAt + "/verification-results", Title: "Publish verification results"},
		"pb:latest-verification-results":  Link{Href: bySHA + "/verification-results/latest", Title: "Latest verification results"},
		"pb:matrix-for-consumer-version": Link{Href: u.path("matrix") + "?q[][pacticipant]=" + queryEscape(p.Consumer) + "&q[][version]=" + queryEscape(p.ConsumerVersion) + "&latestby=cvpv",
			Title: "View matrix rows for the consumer version to which this pact belongs"},
		"curies": []obj{{"name": "pb", "href": u.base + "/doc/{rel}?context=pact", "templated": true}},
	}
	for k, v := range extraLinks {
		doc["_links"].(obj)[k] = v
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(doc)
	return buf.Bytes(), err
}

func queryEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "%", "%25"), "&", "%26")
}

// providerPacts lists a provider's pacts as the route selects: all, latest, by tag, by
// branch or main branch, optionally of one consumer.
func (s *Server) providerPacts(c *gin.Context) {
	route := c.FullPath()
	provider := c.Param("provider")
	q := broker.ProviderPactsQuery{
		Latest:   strings.HasSuffix(route, "/latest") || strings.HasSuffix(route, "/latest/:tag"),
		Tag:      c.Param("tag"),
		Branch:   c.Param("branch"),
		Consumer: c.Param("consumer"),
	}
	q.MainBranch = q.Branch == "" && (strings.HasSuffix(route, "/branch") || strings.HasSuffix(route, "/branch/latest"))
	pacts, err := s.store.ProviderPacts(c.Request.Context(), provider, q)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if q.Consumer != "" && len(pacts) == 0 {
		if _, err := s.store.Pacticipant(c.Request.Context(), q.Consumer); err != nil {
			_ = c.Error(err)
			return
		}
	}
	u := s.urls(c)
	links := make([]Link, len(pacts))
	embedded := make([]obj, len(pacts))
	for i, p := range pacts {
		href := u.pactVersion(p.Consumer, p.Provider, p.ConsumerVersion)
		title := "Pact between " + p.Consumer + " (" + p.ConsumerVersion + ") and " + p.Provider
		links[i] = Link{Href: href, Title: title, Name: p.Consumer}
		embedded[i] = obj{"createdAt": timestamp(p.CreatedAt),
			"_embedded": obj{"consumerVersion": obj{"number": p.ConsumerVersion, "_links": obj{"self": Link{Href: u.version(p.Consumer, p.ConsumerVersion), Title: "Version", Name: p.ConsumerVersion}}}},
			"_links":    obj{"self": Link{Href: href, Title: title, Name: p.Consumer}}}
	}
	providerLink := Link{Href: u.pacticipant(provider), Title: "Provider", Name: provider}
	body := obj{
		"_embedded": obj{"pacts": embedded},
		"_links": obj{
			"self":        Link{Href: u.base + c.Request.URL.EscapedPath(), Title: describeProviderPacts(provider, q)},
			"pb:provider": providerLink,
			"provider":    providerLink,
			"pb:pacts":    links,
			"pacts":       links, // the Rust verifier's no-selector path iterates this one
		},
	}
	if q.Consumer != "" {
		body["_links"].(obj)["consumer"] = Link{Href: u.pacticipant(q.Consumer), Title: "Consumer", Name: q.Consumer}
	}
	render(c, http.StatusOK, body)
}

func describeProviderPacts(provider string, q broker.ProviderPactsQuery) string {
	what := "All pact versions"
	if q.Latest {
		what = "Latest pact versions"
	}
	switch {
	case q.Tag != "":
		what += " with consumer version tag " + q.Tag
	case q.Branch != "":
		what += " from consumer branch " + q.Branch
	case q.MainBranch:
		what += " from the consumers' main branches"
	}
	if q.Consumer != "" {
		what += " of " + q.Consumer
	}
	return what + " for the provider " + provider
}

func (s *Server) latestPacts(c *gin.Context) {
	pacts, err := s.store.LatestPacts(c.Request.Context())
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	items := make([]obj, len(pacts))
	links := make([]Link, len(pacts))
	for i, p := range pacts {
		latest := u.integration(p.Consumer, p.Provider) + "/latest"
		title := "Pact between " + p.Consumer + " (" + p.ConsumerVersion + ") and " + p.Provider
		items[i] = obj{
			"createdAt": timestamp(p.CreatedAt),
			"_links": obj{"self": []Link{
				{Href: latest, Title: "Latest pact between " + p.Consumer + " and " + p.Provider},
				{Href: u.pactVersion(p.Consumer, p.Provider, p.ConsumerVersion), Title: title},
			}},
			"_embedded": obj{
				"consumer": obj{"name": p.Consumer, "_links": obj{"self": Link{Href: u.pacticipant(p.Consumer)}},
					"_embedded": obj{"version": obj{"number": p.ConsumerVersion}}},
				"provider": obj{"name": p.Provider, "_links": obj{"self": Link{Href: u.pacticipant(p.Provider)}}},
			},
		}
		links[i] = Link{Href: latest, Title: title, Name: p.Consumer + "/" + p.Provider}
	}
	render(c, http.StatusOK, obj{"pacts": items, "_links": obj{
		"self":     Link{Href: u.path("pacts", "latest")},
		"pb:pacts": links,
		"pacts":    links,
	}})
}

// pactVersions lists every consumer version's pact of an integration, newest first.
func (s *Server) pactVersions(c *gin.Context) {
	consumer, provider := c.Param("consumer"), c.Param("provider")
	pacts, err := s.store.PactVersions(c.Request.Context(), consumer, provider)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	links := make([]Link, len(pacts))
	for i, p := range pacts {
		links[i] = Link{Href: u.pactVersion(consumer, provider, p.ConsumerVersion), Title: "Pact", Name: "Version " + p.ConsumerVersion}
	}
	render(c, http.StatusOK, obj{"_links": obj{
		"self":             Link{Href: u.integration(consumer, provider) + "/versions", Title: "All versions of the pact between " + consumer + " and " + provider},
		"pb:consumer":      Link{Href: u.pacticipant(consumer), Title: "Consumer", Name: consumer},
		"pb:provider":      Link{Href: u.pacticipant(provider), Title: "Provider", Name: provider},
		"pb:pact-versions": links,
	}})
}

func (s *Server) providerStates(c *gin.Context) {
	states, err := s.store.ProviderStates(c.Request.Context(), c.Param("provider"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	if states == nil {
		states = []broker.ProviderState{}
	}
	render(c, http.StatusOK, obj{"providerStates": states})
}

func (s *Server) integrations(c *gin.Context) {
	list, err := s.store.Integrations(c.Request.Context())
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	items := make([]obj, len(list))
	for i, in := range list {
		items[i] = obj{
			"consumer":              obj{"name": in.Consumer, "_links": obj{"self": Link{Href: u.pacticipant(in.Consumer)}}},
			"provider":              obj{"name": in.Provider, "_links": obj{"self": Link{Href: u.pacticipant(in.Provider)}}},
			"createdAt":             timestamp(in.CreatedAt),
			"contractDataUpdatedAt": timestamp(in.ContractDataUpdatedAt),
			"_links": obj{
				"self":                   Link{Href: u.path("integrations", "provider", seg(in.Provider), "consumer", seg(in.Consumer))},
				"pb:latest-pact-version": Link{Href: u.integration(in.Consumer, in.Provider) + "/latest"},
				"pb:pact-versions":       Link{Href: u.integration(in.Consumer, in.Provider) + "/versions"},
			},
		}
	}
	render(c, http.StatusOK, obj{"_embedded": obj{"integrations": items}, "_links": obj{"self": Link{Href: u.path("integrations")}}})
}

func (s *Server) deleteIntegration(c *gin.Context) {
	if err := s.store.DeleteIntegration(c.Request.Context(), c.Param("consumer"), c.Param("provider")); err != nil {
		_ = c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}
