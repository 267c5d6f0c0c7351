package api

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

// forVerificationLink answers the GET the Rust verifier makes before it POSTs: cheap, it only
// hands back the URL to POST to.
func (s *Server) forVerificationLink(c *gin.Context) {
	provider := c.Param("provider")
	if _, err := s.store.Pacticipant(c.Request.Context(), provider); err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	render(c, http.StatusOK, obj{"_embedded": obj{"pacts": []obj{}}, "_links": obj{
		"self": Link{Href: u.path("pacts", "provider", seg(provider), "for-verification"), Title: "Pacts to be verified"}}})
}

type forVerificationBody struct {
	ProviderVersionBranch    *string          `json:"providerVersionBranch"`
	ProviderVersionTags      []string         `json:"providerVersionTags"`
	ConsumerVersionSelectors []map[string]any `json:"consumerVersionSelectors"`
	IncludePendingStatus     *bool            `json:"includePendingStatus"`
	IncludeWIPPactsSince     *string          `json:"includeWipPactsSince"`
}

func (b forVerificationBody) request(provider string) (broker.ForVerificationRequest, error) {
	req := broker.ForVerificationRequest{Provider: provider, ProviderVersionTags: b.ProviderVersionTags, IncludePendingStatus: true}
	if b.IncludePendingStatus != nil {
		req.IncludePendingStatus = *b.IncludePendingStatus
	}
	v := &broker.ValidationError{}
	if b.ProviderVersionBranch != nil {
		req.ProviderVersionBranch = *b.ProviderVersionBranch
		if strings.TrimSpace(*b.ProviderVersionBranch) == "" && (*b.ProviderVersionBranch != "" ||
			(len(b.ProviderVersionTags) == 0 && (req.IncludePendingStatus || b.IncludeWIPPactsSince != nil))) {
			v.Add("providerVersionBranch", "cannot be blank")
		}
	}
	for i, t := range b.ProviderVersionTags {
		if strings.TrimSpace(t) == "" {
			v.Add(fmt.Sprintf("providerVersionTags.%d", i), "cannot be blank")
		}
	}
	if b.IncludeWIPPactsSince != nil {
		since, err := parseDateOrTime(*b.IncludeWIPPactsSince)
		if err != nil {
			v.Add("includeWipPactsSince", "must be a date (YYYY-MM-DD) or a date and time (RFC 3339)")
		} else {
			req.IncludeWIPPactsSince = &since
		}
	}
	if err := v.Err(); err != nil {
		return req, err
	}
	if err := req.Validate(b.ConsumerVersionSelectors); err != nil {
		return req, err
	}
	req.Selectors = broker.NormaliseSelectors(b.ConsumerVersionSelectors, req.ProviderVersionBranch)
	return req, nil
}

func parseDateOrTime(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

func (s *Server) pactsForVerification(c *gin.Context) {
	var body forVerificationBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	provider := c.Param("provider")
	req, err := body.request(provider)
	if err != nil {
		_ = c.Error(err)
		return
	}
	pacts, err := broker.PactsForVerification(c.Request.Context(), s.store, req)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	items := make([]obj, len(pacts))
	for i, p := range pacts {
		items[i] = u.renderVerifiablePact(p, req)
	}
	render(c, http.StatusOK, obj{"_embedded": obj{"pacts": items}, "_links": obj{
		"self": Link{Href: u.path("pacts", "provider", seg(provider), "for-verification"), Title: "Pacts to be verified"}}})
}

// renderVerifiablePact follows the Rust verifier's parsing rules: every link is an object,
// every notice value a string, shortDescription always present.
func (u urls) renderVerifiablePact(p broker.VerifiablePact, req broker.ForVerificationRequest) obj {
	meta := broker.PactMetadata{Pending: p.Pending, WIP: p.WIP}
	for _, s := range p.Selectors {
		meta.ConsumerVersions = append(meta.ConsumerVersions, s.ConsumerVersion)
	}
	href := u.pactBySHA(p.Consumer, p.Provider, p.SHA) + "/metadata/" + meta.Encode()
	m := verifiableMessages{p: p, req: req, url: href}
	notices := []map[string]string{{"when": "before_verification", "text": m.inclusionReason()}}
	props := obj{}
	if req.IncludePendingStatus {
		props["pending"] = p.Pending
		notices = append(notices, map[string]string{"when": "before_verification", "text": m.pendingReason()})
		if p.Pending {
			notices = append(notices,
				map[string]string{"when": "after_verification:success_true_published_false", "text": m.stillPending("the successful verification results %shave not yet been published.")},
				map[string]string{"when": "after_verification:success_false_published_false", "text": m.stillPending("a successful verification result %shas not yet been published")},
				map[string]string{"when": "after_verification:success_true_published_true", "text": m.noLongerPending()},
				map[string]string{"when": "after_verification:success_false_published_true", "text": m.stillPending("a successful verification result %shas not yet been published")},
			)
		}
	}
	if p.WIP {
		props["wip"] = true
	}
	props["notices"] = notices
	return obj{
		"shortDescription":       m.shortDescription(),
		"verificationProperties": props,
		"_links":                 obj{"self": Link{Href: href, Name: "Pact between " + p.Consumer + " (" + p.ConsumerVersion.Number + ") and " + p.Provider}},
	}
}

const (
	readMorePending = "Read more at https://docs.pact.io/go/pending"
	readMoreWIP     = "Read more at https://docs.pact.io/go/wip"
)

// verifiableMessages words the notices the verifiers print, as the reference broker does.
type verifiableMessages struct {
	p   broker.VerifiablePact
	req broker.ForVerificationRequest
	url string
}

func (m verifiableMessages) shortDescription() string {
	if m.p.WIP {
		return "WIP"
	}
	var parts []string
	for _, s := range m.p.Selectors {
		sel := s.Selector
		branch, tag := sel.Branch, sel.Tag
		if s.Fallback && sel.FallbackBranch != "" {
			branch = sel.FallbackBranch
		}
		if s.Fallback && sel.FallbackTag != "" {
			tag = sel.FallbackTag
		}
		var d string
		switch {
		case sel.MainBranch:
			d = "latest from main branch"
		case sel.AllBranches:
			d = "latest from a branch"
		case branch != "":
			d = "latest from branch " + branch
		case tag != "" && sel.Latest:
			d = "latest with tag " + tag
		case tag != "" && sel.Consumer != "":
			d = "one of " + sel.Consumer + " " + tag
		case tag != "":
			d = "one of " + tag
		case sel.Deployed:
			d = "deployed to " + orDefault(s.Environment, sel.Environment)
		case sel.Released:
			d = "released in " + orDefault(s.Environment, sel.Environment)
		case sel.Environment != "":
			d = "in " + orDefault(s.Environment, sel.Environment)
		default:
			d = "latest"
		}
		if !contains(parts, d) {
			parts = append(parts, d)
		}
	}
	return strings.Join(parts, ", ")
}

func (m verifiableMessages) inclusionReason() string {
	p := m.p
	if p.WIP {
		var parts []string
		if n := len(p.WIPBranches); n > 0 {
			parts = append(parts, fmt.Sprintf("from %s %s", plural("branch", "branches", n), quotedList(p.WIPBranches)))
		}
		if len(p.WIPTags) > 0 {
			parts = append(parts, "tagged with "+quotedList(p.WIPTags))
		}
		version := "versions"
		if len(p.WIPBranches) == 1 || len(p.WIPTags) == 1 {
			version = "version"
		}
		return fmt.Sprintf("The pact at %s is being verified because it is a 'work in progress' pact (ie. it is the pact for the latest %s of %s %s and is still in pending state). %s",
			m.url, version, p.Consumer, strings.Join(parts, " and "), readMoreWIP)
	}
	var lines []string
	runs := map[string][]string{} // "consumer version(s) currently deployed to" → "staging (1)"
	var runOrder []string
	for _, s := range p.Selectors {
		sel := s.Selector
		if sel.Deployed || sel.Released {
			label := "consumer version(s)"
			if sel.Consumer != "" {
				label = "version(s) of " + sel.Consumer
			}
			if sel.Deployed {
				label += " currently deployed to"
			} else {
				label += " released and supported in"
			}
			if _, ok := runs[label]; !ok {
				runOrder = append(runOrder, label)
			}
			entry := fmt.Sprintf("%s (%s)", orDefault(s.Environment, sel.Environment), s.ConsumerVersion)
			if !contains(runs[label], entry) {
				runs[label] = append(runs[label], entry)
			}
			continue
		}
		line := "    * " + describeConsumerSelector(s, p.Provider)
		if !contains(lines, line) {
			lines = append(lines, line)
		}
	}
	for _, label := range runOrder {
		lines = append(lines, "    * "+label+" "+joinAnd(runs[label]))
	}
	sort.Strings(lines)
	criteria, versions := "criterion", "the consumer version"
	if len(lines) > 1 {
		criteria, versions = "criteria", "the consumer versions"
	}
	return fmt.Sprintf("The pact at %s is being verified because the pact content belongs to %s matching the following %s:\n%s",
		m.url, versions, criteria, strings.Join(lines, "\n"))
}

func describeConsumerSelector(s broker.SelectedBy, provider string) string {
	sel := s.Selector
	versionLabel := "version"
	consumerLabel := "a consumer"
	if sel.Consumer != "" {
		versionLabel = "version of " + sel.Consumer
		consumerLabel = sel.Consumer
	}
	var d string
	switch {
	case sel.MainBranch:
		d = fmt.Sprintf("latest %s from the main branch", versionLabel)
	case sel.AllBranches:
		d = fmt.Sprintf("latest %s from one of the branches", versionLabel)
	case sel.Branch != "" && s.Fallback && sel.FallbackBranch != "":
		d = fmt.Sprintf("latest %s from branch '%s' (fallback branch used as no pact was found from branch '%s')", versionLabel, sel.FallbackBranch, sel.Branch)
	case sel.Branch != "":
		d = fmt.Sprintf("latest %s from branch '%s'", versionLabel, sel.Branch)
	case sel.Tag != "" && sel.Latest && s.Fallback:
		d = fmt.Sprintf("latest %s tagged '%s' (fallback tag used as no pact was found with tag '%s')", versionLabel, sel.FallbackTag, sel.Tag)
	case sel.Tag != "" && sel.Latest:
		d = fmt.Sprintf("latest %s tagged '%s'", versionLabel, sel.Tag)
	case sel.Tag != "" && sel.Consumer != "":
		d = fmt.Sprintf("all %s versions tagged '%s'", sel.Consumer, sel.Tag)
	case sel.Tag != "":
		d = fmt.Sprintf("all consumer versions tagged '%s'", sel.Tag)
	case sel.Environment != "":
		d = fmt.Sprintf("%s version in environment %s", consumerLabel, sel.Environment)
	default:
		d = fmt.Sprintf("latest version of %s that has a pact with %s", consumerLabel, provider)
	}
	return fmt.Sprintf("%s (%s)", d, s.ConsumerVersion)
}

func (m verifiableMessages) pendingReason() string {
	if m.p.Pending {
		return fmt.Sprintf("This pact is in pending state for this version of %s because a successful verification result for %s has not yet been published. If this verification fails, it will not cause the overall build to fail. %s",
			m.p.Provider, m.pendingDescription("a"), readMorePending)
	}
	return fmt.Sprintf("This pact has previously been successfully verified by %s. If this verification fails, it will fail the build. %s",
		m.nonPendingDescription(), readMorePending)
}

func (m verifiableMessages) stillPending(format string) string {
	return fmt.Sprintf("This pact is still in pending state for %s as "+format, m.pendingDescription("any"), m.withTheseTags())
}

func (m verifiableMessages) noLongerPending() string {
	return fmt.Sprintf("This pact is no longer in pending state for %s, as a successful verification result %shas been published. If a verification for a version of %s %sfails in the future, it will fail the build. %s",
		m.pendingDescription("any"), m.withTheseTags(), m.p.Provider, m.withTheseTags(), readMorePending)
}

func (m verifiableMessages) pendingDescription(anyOrA string) string {
	provider := m.p.Provider
	switch {
	case m.req.ProviderVersionBranch != "":
		return fmt.Sprintf("%s version of %s from branch '%s'", anyOrA, provider, m.req.ProviderVersionBranch)
	case len(m.p.PendingTags) == 1:
		return fmt.Sprintf("%s version of %s with tag '%s'", anyOrA, provider, m.p.PendingTags[0])
	case len(m.p.PendingTags) > 1:
		return fmt.Sprintf("%s versions of %s with tag %s", anyOrA, provider, quotedList(m.p.PendingTags))
	}
	return provider
}

func (m verifiableMessages) nonPendingDescription() string {
	provider := m.p.Provider
	switch {
	case m.req.ProviderVersionBranch != "":
		return fmt.Sprintf("a version of %s from branch '%s'", provider, m.req.ProviderVersionBranch)
	case len(m.p.NonPendingTags) == 1:
		return fmt.Sprintf("a version of %s with tag '%s'", provider, m.p.NonPendingTags[0])
	case len(m.p.NonPendingTags) > 1:
		return fmt.Sprintf("a version of %s with tag %s", provider, quotedList(m.p.NonPendingTags))
	}
	return provider
}

func (m verifiableMessages) withTheseTags() string {
	switch len(m.p.PendingTags) {
	case 0:
		return ""
	case 1:
		return "with this tag "
	}
	return "with these tags "
}

func plural(one, many string, n int) string {
	if n == 1 {
		return one
	}
	return many
}

// joinAnd joins a list as a person would: "a", "a and b", "a, b and c".
func joinAnd(list []string) string {
	if len(list) <= 2 {
		return strings.Join(list, " and ")
	}
	return strings.Join(list[:len(list)-2], ", ") + ", " + list[len(list)-2] + " and " + list[len(list)-1]
}

func quotedList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = "'" + s + "'"
	}
	return joinAnd(q)
}
