package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

type verificationBody struct {
	Success                    *bool           `json:"success"`
	ProviderApplicationVersion string          `json:"providerApplicationVersion"`
	BuildURL                   string          `json:"buildUrl"`
	TestResults                json.RawMessage `json:"testResults"`
	VerifiedBy                 json.RawMessage `json:"verifiedBy"`
}

// publishVerification records a verifier's result for the pact content at this URL.
func (s *Server) publishVerification(c *gin.Context) {
	var body verificationBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	meta := broker.DecodePactMetadata(c.Param("metadata"))
	v, err := s.store.PublishVerification(c.Request.Context(), broker.VerificationRequest{
		Consumer: c.Param("consumer"), Provider: c.Param("provider"), SHA: c.Param("sha"),
		ProviderVersion: body.ProviderApplicationVersion, Success: body.Success, BuildURL: body.BuildURL,
		TestResults: body.TestResults, VerifiedBy: body.VerifiedBy, WIP: meta.WIP, Pending: meta.Pending,
	})
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	out := u.renderVerification(v)
	c.Header("Location", out["_links"].(obj)["self"].(Link).Href)
	render(c, http.StatusCreated, out)
}

func (s *Server) getVerification(c *gin.Context) {
	var id int64
	if n := c.Param("number"); n != "" {
		var err error
		if id, err = strconv.ParseInt(n, 10, 64); err != nil || id < 1 {
			_ = c.Error(broker.NotFound("verification result %q", n))
			return
		}
	}
	v, err := s.store.Verification(c.Request.Context(), c.Param("consumer"), c.Param("provider"), c.Param("sha"), id)
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderVerification(v))
}

// latestVerificationsForConsumerVersion answers
// /verification-results/consumer/{c}/version/{v}/latest: the latest result per provider.
func (s *Server) latestVerificationsForConsumerVersion(c *gin.Context) {
	list, err := s.store.LatestVerificationsForConsumerVersion(c.Request.Context(), c.Param("consumer"), c.Param("version"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	items := make([]obj, len(list))
	success := len(list) > 0
	for i, v := range list {
		items[i] = u.renderVerification(v)
		success = success && v.Success
	}
	render(c, http.StatusOK, obj{"success": success, "_embedded": obj{"verificationResults": items},
		"_links": obj{"self": Link{Href: u.base + c.Request.URL.EscapedPath()}}})
}

func (u urls) renderVerification(v broker.Verification) obj {
	base := u.pactBySHA(v.Consumer, v.Provider, v.PactSHA)
	var verifiedBy map[string]any
	_ = json.Unmarshal(v.VerifiedBy, &verifiedBy)
	by := obj{}
	if verifiedBy != nil {
		by["implementation"] = verifiedBy["implementation"]
		by["version"] = verifiedBy["version"]
		if cl, ok := verifiedBy["clientLanguage"].(map[string]any); ok {
			by["client_implementation"] = cl["name"]
			by["client_test_framework"] = cl["testFramework"]
			by["client_version"] = cl["version"]
		}
	}
	testResults := json.RawMessage("null")
	if len(v.TestResults) > 0 {
		testResults = v.TestResults
	}
	o := obj{
		"providerName":               v.Provider,
		"providerApplicationVersion": v.ProviderVersion,
		"success":                    v.Success,
		"verificationDate":           timestamp(v.ExecutionDate),
		"buildUrl":                   nilIfEmpty(v.BuildURL),
		"testResults":                testResults,
		"verifiedBy":                 by,
		"wip":                        v.WIP,
		"pending":                    v.Pending,
	}
	links := obj{
		"self": Link{Href: base + "/verification-results/" + strconv.FormatInt(v.ID, 10), Title: "Verification result",
			Name: "Verification result " + strconv.FormatInt(v.ID, 10) + " for Pact between " + v.Consumer + " and " + v.Provider},
		"pb:pact-version":     Link{Href: base, Title: "Pact", Name: "Pact between " + v.Consumer + " and " + v.Provider},
		"pb:provider-version": Link{Href: u.version(v.Provider, v.ProviderVersion), Title: "Provider version", Name: v.ProviderVersion},
		"pb:triggered-webhooks": Link{Href: base + "/verification-results/" + strconv.FormatInt(v.ID, 10) + "/triggered-webhooks",
			Title: "Webhooks triggered by the publication of this verification result"},
	}
	if v.ConsumerVersion != "" {
		links["pb:consumer-version"] = Link{Href: u.version(v.Consumer, v.ConsumerVersion), Title: "Consumer version", Name: v.ConsumerVersion}
	}
	o["_links"] = links
	return o
}
