package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

// Provider contracts (bi-directional contract testing) on PactFlow's wire: publishing an
// OpenAPI document with its self-verification (the pact CLI's `pactflow
// publish-provider-contract`, and the older PUT the Ruby client falls back to), and reading
// the document, its self-verification and its comparisons with the consumers' pacts.

func (s *Server) providerContractRoutes() {
	e := s.engine
	e.POST("/provider-contracts/provider/:provider/publish", s.publishProviderContract)
	e.PUT("/contracts/provider/:provider/version/:version", s.putProviderContract)
	e.GET("/contracts/provider/:provider/version/:version/consumer/:consumer/pact-version/:sha/verification-results", s.bidirectionalResult)

	bi := e.Group("/contracts/bi-directional/provider/:provider")
	bi.GET("/latest/provider-contract", s.getProviderContract)
	bi.GET("/version/:version/provider-contract", s.getProviderContract)
	bi.GET("/version/:version/provider-contract-verification-results", s.getSelfVerification)
	bi.GET("/version/:version/cross-contract-verification-results", s.getComparisons)
	pair := bi.Group("/version/:version/consumer/:consumer/version/:consumerVersion")
	pair.GET("/provider-contract", s.getProviderContract)
	pair.GET("/provider-contract-verification-results", s.getSelfVerification)
	pair.GET("/cross-contract-verification-results", s.getComparisons)
}

func (u urls) bidirectional(provider, version string) string {
	return u.path("contracts", "bi-directional", "provider", seg(provider), "version", seg(version))
}
func (u urls) providerContract(provider, version string) string {
	return u.bidirectional(provider, version) + "/provider-contract"
}
func (u urls) selfVerification(provider, version string) string {
	return u.bidirectional(provider, version) + "/provider-contract-verification-results"
}
func (u urls) comparisons(provider, version string) string {
	return u.bidirectional(provider, version) + "/cross-contract-verification-results"
}

// bidirectionalResult is the link of a matrix row that is a comparison.
func (u urls) bidirectionalResult(consumer, provider, providerVersion, sha string) string {
	return u.path("contracts", "provider", seg(provider), "version", seg(providerVersion), "consumer", seg(consumer),
		"pact-version", seg(sha), "verification-results")
}

// providerContractBody is the wire form of POST /provider-contracts/provider/{p}/publish.
type providerContractBody struct {
	PacticipantVersionNumber string                `json:"pacticipantVersionNumber"`
	Branch                   *string               `json:"branch"`
	Tags                     []string              `json:"tags"`
	BuildURL                 string                `json:"buildUrl"`
	Contract                 *providerContractWire `json:"contract"`
}

type providerContractWire struct {
	Content                 string          `json:"content"`
	ContentType             string          `json:"contentType"`
	Specification           string          `json:"specification"`
	SelfVerificationResults json.RawMessage `json:"selfVerificationResults"`
}

// legacyContractBody is the wire form of PUT /contracts/provider/{p}/version/{v}.
type legacyContractBody struct {
	Content             string          `json:"content"`
	ContractType        string          `json:"contractType"`
	ContentType         string          `json:"contentType"`
	VerificationResults json.RawMessage `json:"verificationResults"`
}

// decodeContent reads base64 content, saying which field is wrong. Problems are reported
// under field, naming the member: the pact CLI prints one level of field names.
func decodeContent(v *broker.ValidationError, field, member, content string) []byte {
	if content == "" {
		v.Add(field, "%s is missing", member)
		return nil
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(content))
	if err != nil {
		v.Add(field, "%s is not valid base64: %v", member, err)
	}
	return data
}

// decodeSelfVerification reads self-verification results, keeping the object as sent.
func decodeSelfVerification(v *broker.ValidationError, field, member string, raw json.RawMessage) *broker.SelfVerification {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var wire struct {
		Success         *bool  `json:"success"`
		Content         string `json:"content"`
		ContentType     string `json:"contentType"`
		Format          string `json:"format"`
		Verifier        string `json:"verifier"`
		VerifierVersion string `json:"verifierVersion"`
	}
	if err := json.Unmarshal(raw, &wire); err != nil {
		v.Add(field, "%s %s", member, describeJSONError(err))
		return nil
	}
	if wire.Success == nil {
		v.Add(field, "%s.success is missing (true or false)", member)
		return nil
	}
	if wire.Content != "" {
		if _, err := base64.StdEncoding.DecodeString(wire.Content); err != nil {
			v.Add(field, "%s.content is not valid base64: %v", member, err)
		}
	}
	return &broker.SelfVerification{Success: *wire.Success, Content: wire.Content, ContentType: wire.ContentType,
		Format: wire.Format, Verifier: wire.Verifier, VerifierVersion: wire.VerifierVersion, Raw: json.RawMessage(raw)}
}

func (s *Server) publishProviderContract(c *gin.Context) {
	var body providerContractBody
	if err := s.decodeJSON(c, &body, "application/json", "application/hal+json"); err != nil {
		_ = c.Error(err)
		return
	}
	req := broker.ProviderContractRequest{Provider: c.Param("provider"), Version: body.PacticipantVersionNumber,
		Tags: body.Tags, BuildURL: body.BuildURL}
	v := &broker.ValidationError{}
	if body.Branch != nil {
		if strings.TrimSpace(*body.Branch) == "" {
			v.Add("branch", "cannot be blank")
		}
		req.Branch = *body.Branch
	}
	if body.Contract == nil {
		v.Add("contract", "is missing")
	} else {
		req.Content = decodeContent(v, "contract", "content", body.Contract.Content)
		req.ContentType, req.Specification = body.Contract.ContentType, body.Contract.Specification
		req.SelfVerification = decodeSelfVerification(v, "contract", "selfVerificationResults", body.Contract.SelfVerificationResults)
	}
	if err := v.Err(); err != nil {
		_ = c.Error(err)
		return
	}
	s.answerProviderContract(c, req, http.StatusOK)
}

// putProviderContract is the older API: the Ruby client creates the version, its branch and
// tags first, then PUTs the contract.
func (s *Server) putProviderContract(c *gin.Context) {
	var body legacyContractBody
	if err := s.decodeJSON(c, &body, "application/json", "application/hal+json"); err != nil {
		_ = c.Error(err)
		return
	}
	v := &broker.ValidationError{}
	req := broker.ProviderContractRequest{Provider: c.Param("provider"), Version: c.Param("version"),
		ContentType: body.ContentType, Specification: body.ContractType}
	req.Content = decodeContent(v, "content", "content", body.Content)
	req.SelfVerification = decodeSelfVerification(v, "verificationResults", "verificationResults", body.VerificationResults)
	if req.Specification == "" {
		v.Add("contractType", "is missing (oas)")
	}
	if err := v.Err(); err != nil {
		_ = c.Error(err)
		return
	}
	s.answerProviderContract(c, req, 0)
}

// answerProviderContract publishes and answers as PactFlow does: notices, the version, and
// the links the pact CLI reads. status 0 means 201 for a new contract, else 200.
func (s *Server) answerProviderContract(c *gin.Context, req broker.ProviderContractRequest, status int) {
	res, err := s.store.PublishProviderContract(c.Request.Context(), req)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if status == 0 {
		status = http.StatusOK
		if res.Created {
			status = http.StatusCreated
		}
	}
	u := s.urls(c)
	p, version := res.Contract.Provider, res.Contract.ProviderVersion
	tags := make([]Link, len(req.Tags))
	for i, t := range req.Tags {
		tags[i] = Link{Href: u.tag(p, version, t), Title: "Tag", Name: t}
	}
	links := obj{
		"self":                        Link{Href: u.providerContract(p, version), Title: "Provider contract"},
		"pb:pacticipant":              Link{Href: u.pacticipant(p), Title: "Pacticipant", Name: p},
		"pb:pacticipant-version":      Link{Href: u.version(p, version), Title: "Pacticipant version", Name: version},
		"pb:pacticipant-version-tags": tags,
		"pf:provider-contract":        Link{Href: u.providerContract(p, version), Title: "Provider contract"},
		"pf:provider-contract-verification-results": Link{Href: u.selfVerification(p, version), Title: "Self-verification results"},
		"pf:cross-contract-verification-results":    Link{Href: u.comparisons(p, version), Title: "Comparisons with the consumers' pacts"},
	}
	if req.Branch != "" {
		links["pb:branch-version"] = Link{Href: u.branchVersion(p, req.Branch, version), Title: "Branch version", Name: req.Branch}
	}
	body := renderProviderContract(u, res.Contract)
	delete(body, "content") // the client has it; a large document need not come back
	body["notices"] = providerContractNotices(u, req, res)
	body["_embedded"] = obj{"version": obj{"number": version, "_links": obj{"self": Link{Href: u.version(p, version), Name: version}}}}
	body["_links"] = links
	render(c, status, body)
}

// maxWarningNotices and maxComparisonNotices bound the document's problems and the
// comparisons listed in a publication's answer.
const (
	maxWarningNotices    = 10
	maxComparisonNotices = 20
)

func providerContractNotices(u urls, req broker.ProviderContractRequest, res broker.ProviderContractResult) []broker.Notice {
	p, version := res.Contract.Provider, res.Contract.ProviderVersion
	action := "Updated"
	if res.VersionCreated {
		action = "Created"
	}
	text := fmt.Sprintf("%s %s version %s", action, p, version)
	switch {
	case req.Branch != "" && len(req.Tags) > 0:
		text += fmt.Sprintf(" with branch %s and tags %s", req.Branch, strings.Join(req.Tags, ", "))
	case req.Branch != "":
		text += " with branch " + req.Branch
	case len(req.Tags) > 0:
		text += " with tags " + strings.Join(req.Tags, ", ")
	}
	notices := []broker.Notice{{Type: broker.NoticeDebug, Text: text}}
	switch {
	case res.Created:
		notices = append(notices, broker.Notice{Type: broker.NoticeSuccess, Text: fmt.Sprintf("Successfully published provider contract for %s version %s", p, version)})
	case req.SelfVerification != nil:
		notices = append(notices, broker.Notice{Type: broker.NoticeSuccess, Text: fmt.Sprintf("Provider contract for %s version %s republished with no content changes; its self-verification results were replaced", p, version)})
	default:
		notices = append(notices, broker.Notice{Type: broker.NoticeSuccess, Text: fmt.Sprintf("Provider contract for %s version %s republished with no content changes", p, version)})
	}
	notices = append(notices, broker.Notice{Type: broker.NoticeInfo, Text: "View the uploaded contract at " + u.providerContract(p, version)})
	for i, w := range res.Warnings {
		if i == maxWarningNotices {
			notices = append(notices, broker.Notice{Type: broker.NoticeWarning, Text: fmt.Sprintf("… and %d more problems with the OpenAPI document", len(res.Warnings)-i)})
			break
		}
		notices = append(notices, broker.Notice{Type: broker.NoticeWarning, Text: "The OpenAPI document was accepted, but " + w})
	}
	switch sv := res.Contract.SelfVerification; {
	case sv == nil:
		notices = append(notices, broker.Notice{Type: broker.NoticeWarning, Text: "No self-verification results were published: can-i-deploy counts this contract only once they are (publish them with --verification-results and --verifier, or with treaty verify --openapi --publish)"})
	case !sv.Success:
		notices = append(notices, broker.Notice{Type: broker.NoticeWarning, Text: "The self-verification failed: can-i-deploy counts this contract only once it succeeds"})
	}
	for i, cmp := range res.Comparisons {
		if i == maxComparisonNotices {
			notices = append(notices, broker.Notice{Type: broker.NoticeInfo, Text: fmt.Sprintf("… and %d more comparisons: see %s",
				len(res.Comparisons)-i, u.comparisons(p, version))})
			break
		}
		who := fmt.Sprintf("the pact of %s version %s", cmp.Consumer, cmp.ConsumerVersion)
		if cmp.Compatible {
			notices = append(notices, broker.Notice{Type: broker.NoticeInfo, Text: "Compatible with " + who})
		} else {
			notices = append(notices, broker.Notice{Type: broker.NoticeWarning, Text: "Not compatible with " + who + ": " + cmp.Summary})
		}
	}
	return notices
}

// renderProviderContract is the provider contract resource: the document as text, and its
// self-verification as it was sent.
func renderProviderContract(u urls, pc broker.ProviderContract) obj {
	p, v := pc.Provider, pc.ProviderVersion
	out := obj{
		"provider":        obj{"name": p},
		"providerVersion": obj{"number": v},
		"content":         string(pc.Content),
		"contentType":     pc.ContentType,
		"specification":   pc.Specification,
		"sha":             pc.SHA,
		"_links": obj{
			"self":                   Link{Href: u.providerContract(p, v), Title: "Provider contract"},
			"pb:pacticipant":         Link{Href: u.pacticipant(p), Title: "Pacticipant", Name: p},
			"pb:pacticipant-version": Link{Href: u.version(p, v), Title: "Pacticipant version", Name: v},
			"pf:provider-contract-verification-results": Link{Href: u.selfVerification(p, v), Title: "Self-verification results"},
			"pf:cross-contract-verification-results":    Link{Href: u.comparisons(p, v), Title: "Comparisons with the consumers' pacts"},
		},
	}
	if sv := pc.SelfVerification; sv != nil {
		out["selfVerificationResults"] = sv.Raw
	}
	timestamps(out, pc.CreatedAt, pc.UpdatedAt)
	return out
}

// contractVersion is the provider version a read resource names ("" under /latest).
func contractVersion(c *gin.Context) string { return c.Param("version") }

func (s *Server) getProviderContract(c *gin.Context) {
	pc, err := s.store.ProviderContract(c.Request.Context(), c.Param("provider"), contractVersion(c))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, renderProviderContract(s.urls(c), pc))
}

func (s *Server) getSelfVerification(c *gin.Context) {
	pc, err := s.store.ProviderContract(c.Request.Context(), c.Param("provider"), contractVersion(c))
	if err != nil {
		_ = c.Error(err)
		return
	}
	if pc.SelfVerification == nil {
		_ = c.Error(broker.NotFoundMessage("No self-verification results were published for the provider contract of %s version %s", pc.Provider, pc.ProviderVersion))
		return
	}
	render(c, http.StatusOK, renderSelfVerification(s.urls(c), pc))
}

func renderSelfVerification(u urls, pc broker.ProviderContract) obj {
	out := obj{}
	_ = json.Unmarshal(pc.SelfVerification.Raw, &out) // stored as sent, after it was checked
	out["success"] = pc.SelfVerification.Success
	out["_links"] = obj{
		"self":                 Link{Href: u.selfVerification(pc.Provider, pc.ProviderVersion), Title: "Self-verification results"},
		"pf:provider-contract": Link{Href: u.providerContract(pc.Provider, pc.ProviderVersion), Title: "Provider contract"},
	}
	return out
}

func (s *Server) getComparisons(c *gin.Context) {
	q := broker.ComparisonQuery{Provider: c.Param("provider"), ProviderVersion: c.Param("version"),
		Consumer: c.Param("consumer"), ConsumerVersion: c.Param("consumerVersion")}
	found, err := s.store.ContractComparisons(c.Request.Context(), q)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	items := make([]obj, len(found))
	compatible := 0
	for i, cmp := range found {
		items[i] = renderComparison(u, cmp)
		if cmp.Compatible {
			compatible++
		}
	}
	render(c, http.StatusOK, obj{
		"summary":   obj{"compatible": compatible, "incompatible": len(found) - compatible},
		"_embedded": obj{"crossContractVerificationResults": items},
		"_links": obj{
			"self":                 Link{Href: u.base + c.Request.URL.EscapedPath()},
			"pf:provider-contract": Link{Href: u.providerContract(q.Provider, q.ProviderVersion), Title: "Provider contract"},
		},
	})
}

// renderComparison shapes a comparison as PactFlow's cross-contract verification results, the
// findings split into errors and warnings.
func renderComparison(u urls, cmp broker.Comparison) obj {
	var report struct {
		Results []map[string]any `json:"results"`
		Notices []string         `json:"notices"`
	}
	_ = json.Unmarshal(cmp.Results, &report) // written by the store from the comparator's result
	errs, warnings := []map[string]any{}, []map[string]any{}
	for _, f := range report.Results {
		if f["type"] == "error" {
			errs = append(errs, f)
		} else {
			warnings = append(warnings, f)
		}
	}
	results := obj{"errors": errs, "warnings": warnings}
	if !cmp.Compatible {
		results["failureReason"] = fmt.Sprintf("The pact of %s is not compatible with the OpenAPI document of %s version %s: %s",
			cmp.Consumer, cmp.Provider, cmp.ProviderVersion, cmp.Summary)
	}
	out := obj{
		"consumer":         obj{"name": cmp.Consumer, "version": obj{"number": cmp.ConsumerVersion}},
		"provider":         obj{"name": cmp.Provider, "version": obj{"number": cmp.ProviderVersion}},
		"pactSha":          cmp.PactSHA,
		"contractSha":      cmp.ContractSHA,
		"success":          cmp.Compatible,
		"results":          results,
		"verificationDate": timestamp(cmp.CreatedAt),
		"verifier":         "treaty",
		"profile":          cmp.Profile,
		"_links": obj{
			"self":            Link{Href: u.bidirectionalResult(cmp.Consumer, cmp.Provider, cmp.ProviderVersion, cmp.PactSHA), Title: "Verification results"},
			"pb:pact-version": Link{Href: u.pactBySHA(cmp.Consumer, cmp.Provider, cmp.PactSHA), Title: "Pact"},
		},
	}
	if len(report.Notices) > 0 {
		out["notices"] = report.Notices
	}
	return out
}

// bidirectionalResult is what a bidirectional matrix row links to: the comparison, the
// self-verification, and their conjunction.
func (s *Server) bidirectionalResult(c *gin.Context) {
	ctx := c.Request.Context()
	q := broker.ComparisonQuery{Provider: c.Param("provider"), ProviderVersion: c.Param("version"),
		Consumer: c.Param("consumer"), PactSHA: c.Param("sha")}
	found, err := s.store.ContractComparisons(ctx, q)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if len(found) == 0 {
		_ = c.Error(broker.NotFound("comparison of the pact %s with the provider contract of %s version %s", q.PactSHA, q.Provider, q.ProviderVersion))
		return
	}
	pc, err := s.store.ProviderContract(ctx, q.Provider, q.ProviderVersion)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	cmp := found[0]
	success := cmp.Compatible && pc.SelfVerification != nil && pc.SelfVerification.Success
	out := obj{
		"summary":                          obj{"success": success},
		"crossContractVerificationResults": renderComparison(u, cmp),
		"_links": obj{
			"self":                 Link{Href: u.bidirectionalResult(cmp.Consumer, cmp.Provider, cmp.ProviderVersion, cmp.PactSHA)},
			"pf:provider-contract": Link{Href: u.providerContract(pc.Provider, pc.ProviderVersion), Title: "Provider contract"},
		},
	}
	if pc.SelfVerification != nil {
		out["providerContractVerificationResults"] = renderSelfVerification(u, pc)
	} else {
		out["providerContractVerificationResults"] = nil
	}
	render(c, http.StatusOK, out)
}
