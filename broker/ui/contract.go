package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/treaty-dev/treaty/broker"
)

// historyLimit bounds the consumer versions a contract page lists.
const historyLimit = 20

type contractData struct {
	Consumer      string
	Provider      string
	Version       string
	IsLatest      bool
	Published     stamp
	Spec          string
	SHA           string
	Revision      int
	Interactions  []interactionView
	History       []historyRow
	HistoryTotal  int
	Diff          *diffView
	Verifications []contractVerification
	Comparisons   []contractComparison
	// FindingsAgainst is the newest comparison with an OpenAPI document, whose findings
	// the interactions show.
	FindingsAgainst *contractComparison
	JSONURL         string
	MatrixURL       string
	LatestURL       string
	ConsumerURL     string
	ProviderURL     string
	Latest          *contractVerification
}

type historyRow struct {
	Version         string
	URL             string
	Published       stamp
	SHA             string
	ContentChanged  bool // differs from the next older version's content
	Current         bool
	Result          string
	VerificationURL string
}

type contractVerification struct {
	ProviderVersion string
	Result          string
	When            stamp
	URL             string
	Pending         bool
}

// contractComparison is the content's comparison with a provider version's OpenAPI document.
type contractComparison struct {
	ProviderVersion string
	ContractURL     string
	Outcome         outcome
	Errors          int
	Warnings        int
	When            stamp
	URL             string
}

type diffView struct {
	Against    string
	AgainstURL string
	pactDiff
	Explicit bool // the URL chose the version compared against
}

// interactionView is one interaction as people read it.
type interactionView struct {
	ID          string
	Anchor      string
	Description string
	Kind        string
	States      []stateView
	Request     *httpPart
	Response    *httpPart
	Message     *httpPart // a message's contents and metadata
	Replies     []httpPart
	Rules       []ruleView
	Pending     bool
	Comments    []string
	// OpenAPI is what the newest comparison with the provider's OpenAPI document found
	// about this interaction.
	OpenAPI *interactionFindings
}

type stateView struct {
	Name   string
	Params string
}

// httpPart is a request, a response or a message.
type httpPart struct {
	Method   string
	Path     string
	Query    string
	Status   string
	Headers  [][2]string
	Body     string
	BodyType string
	HasBody  bool
}

type ruleView struct {
	Part     string
	Path     string
	Matchers string
}

// contract renders a consumer version's pact (the latest when version is ""), its versions,
// the verifications of its content and how it differs from the previous distinct content.
func (p *Pages) contract(r *http.Request, consumer, provider, version string) (*page, error) {
	ctx := r.Context()
	if err := checkNames("consumer", consumer, "provider", provider); err != nil {
		return nil, err
	}
	if version != "" {
		if err := checkNames("version", version); err != nil {
			return nil, err
		}
	}
	in := readParams(r)
	against := in.name("against")
	if err := in.err(); err != nil {
		return nil, err
	}
	q := broker.PactQuery{Consumer: consumer, Provider: provider, Version: version, Latest: version == ""}
	pact, err := p.store.Pact(ctx, q)
	if err != nil {
		return nil, err
	}
	doc, err := broker.ParsePact(pact.Content)
	if err != nil {
		return nil, fmt.Errorf("stored pact %s→%s %s: %w", consumer, provider, pact.ConsumerVersion, err)
	}
	d := contractData{Consumer: pact.Consumer, Provider: pact.Provider, Version: pact.ConsumerVersion, Published: p.stamp(pact.CreatedAt),
		Spec: doc.SpecificationVersion(), SHA: pact.SHA, Revision: pact.Revision,
		JSONURL: p.links.PactJSON(pact.Consumer, pact.Provider, pact.ConsumerVersion), MatrixURL: p.links.IntegrationMatrix(pact.Consumer, pact.Provider),
		LatestURL: p.links.Contract(pact.Consumer, pact.Provider), ConsumerURL: p.links.PacticipantMatrix(pact.Consumer),
		ProviderURL: p.links.PacticipantMatrix(pact.Provider)}
	for _, it := range doc.Interactions() {
		d.Interactions = append(d.Interactions, interactionOf(it))
	}

	history, total, err := p.store.PactHistory(ctx, pact.Consumer, pact.Provider, historyLimit)
	if err != nil {
		return nil, err
	}
	d.HistoryTotal = total
	d.IsLatest = len(history) > 0 && history[0].Pact.ConsumerVersion == pact.ConsumerVersion
	for i, h := range history {
		row := historyRow{Version: h.Pact.ConsumerVersion, URL: p.links.ContractVersion(pact.Consumer, pact.Provider, h.Pact.ConsumerVersion),
			Published: p.stamp(h.Pact.CreatedAt), SHA: h.Pact.SHA, Current: h.Pact.ConsumerVersion == pact.ConsumerVersion,
			Result: verificationResult(h.Verification)}
		if i+1 < len(history) {
			row.ContentChanged = history[i+1].Pact.SHA != h.Pact.SHA
		}
		if h.Verification != nil {
			row.VerificationURL = p.links.Verification(h.Verification.ID)
		}
		d.History = append(d.History, row)
	}

	var before broker.Pact
	switch {
	case against != "":
		before, err = p.store.Pact(ctx, broker.PactQuery{Consumer: pact.Consumer, Provider: pact.Provider, Version: against})
		if err != nil {
			return nil, err
		}
	default:
		before, err = p.store.PreviousDistinctPact(ctx, pact.Consumer, pact.Provider, pact.ConsumerVersion, pact.SHA)
		if errors.Is(err, broker.ErrNotFound) {
			err = nil
		}
		if err != nil {
			return nil, err
		}
	}
	if before.Content != nil {
		beforeDoc, err := broker.ParsePact(before.Content)
		if err != nil {
			return nil, fmt.Errorf("stored pact %s→%s %s: %w", consumer, provider, before.ConsumerVersion, err)
		}
		d.Diff = &diffView{Against: before.ConsumerVersion, AgainstURL: p.links.ContractVersion(pact.Consumer, pact.Provider, before.ConsumerVersion),
			pactDiff: diffPacts(beforeDoc, doc), Explicit: against != ""}
		for i, c := range d.Diff.Interactions {
			if c.Kind == changeRemoved {
				d.Diff.Interactions[i].Anchor = d.Diff.AgainstURL + "#" + c.Anchor
			} else {
				d.Diff.Interactions[i].Anchor = "#" + c.Anchor
			}
		}
	}

	verifications, err := p.store.PactVerifications(ctx, pact.Consumer, pact.Provider, pact.SHA, historyLimit)
	if err != nil {
		return nil, err
	}
	for _, v := range verifications {
		d.Verifications = append(d.Verifications, contractVerification{ProviderVersion: v.ProviderVersion, Result: verificationResult(&v),
			When: p.stamp(v.CreatedAt), URL: p.links.Verification(v.ID), Pending: v.Pending})
	}
	if len(d.Verifications) > 0 {
		d.Latest = &d.Verifications[0]
	}
	comparisons, err := p.store.PactComparisons(ctx, pact.Consumer, pact.Provider, pact.SHA, historyLimit)
	if err != nil {
		return nil, err
	}
	for _, c := range comparisons {
		cc := contractComparison{ProviderVersion: c.ProviderVersion, ContractURL: p.links.ProviderContract(c.Provider, c.ProviderVersion),
			Outcome: outcome{Result: resultSuccess, Text: "Compatible"}, Errors: c.Errors, Warnings: c.Warnings, When: p.stamp(c.CreatedAt),
			URL: p.links.Comparison(c.Provider, c.ProviderVersion, c.ID, pact.ConsumerVersion)}
		if !c.Compatible {
			cc.Outcome = outcome{Result: resultFailed, Text: "Incompatible"}
		}
		d.Comparisons = append(d.Comparisons, cc)
	}
	if len(comparisons) > 0 {
		if err := p.showFindings(ctx, &d, comparisons[0]); err != nil {
			return nil, err
		}
	}
	return &page{template: "contract", title: fmt.Sprintf("Pact %s → %s (%s)", pact.Consumer, pact.Provider, pact.ConsumerVersion),
		nav: "overview", data: d}, nil
}

// showFindings puts what a comparison with an OpenAPI document found next to the
// interactions it concerns.
func (p *Pages) showFindings(ctx context.Context, d *contractData, c broker.Comparison) error {
	d.FindingsAgainst = &d.Comparisons[0]
	if c.Errors+c.Warnings == 0 {
		return nil
	}
	detail, err := p.store.ProviderContractComparison(ctx, c.Provider, c.ProviderVersion, c.ID)
	if errors.Is(err, broker.ErrNotFound) {
		return nil // the provider version was deleted meanwhile
	}
	if err != nil {
		return err
	}
	report, err := readReport(detail.Comparison.Results)
	if err != nil {
		return err
	}
	contractURL := p.links.ProviderContract(c.Provider, c.ProviderVersion)
	for _, g := range groupFindings(report.Findings, nil, "", maxInteractionFindings) {
		if g.Index < 0 || g.Index >= len(d.Interactions) {
			continue
		}
		g.ComparisonURL = d.FindingsAgainst.URL
		if g.Operation != "" {
			method, path, _ := strings.Cut(g.Operation, " ")
			g.OperationURL = contractURL + "#" + operationAnchor(method, path)
		}
		d.Interactions[g.Index].OpenAPI = &g
	}
	return nil
}

// anchorOf is the id of an interaction's element: "i-" and its _id.
func anchorOf(it map[string]any) string {
	id, _ := it["_id"].(string)
	if id == "" {
		id = broker.InteractionID(it)
	}
	return "i-" + id
}

// interactionOf reads an interaction of any Pact specification: V2 and V3 HTTP, V3 messages,
// and V4's synchronous HTTP, asynchronous and synchronous messages.
func interactionOf(it map[string]any) interactionView {
	v := interactionView{Anchor: anchorOf(it), Kind: "HTTP"}
	v.ID = strings.TrimPrefix(v.Anchor, "i-")
	v.Description, _ = it["description"].(string)
	if s, ok := it["providerState"].(string); ok && s != "" {
		v.States = append(v.States, stateView{Name: s})
	}
	states, _ := it["providerStates"].([]any)
	for _, st := range states {
		m, _ := st.(map[string]any)
		name, _ := m["name"].(string)
		sv := stateView{Name: name}
		if params, ok := m["params"]; ok && params != nil {
			sv.Params = compactJSON(params)
		}
		v.States = append(v.States, sv)
	}
	v.Pending, _ = it["pending"].(bool)
	if c, ok := it["comments"].(map[string]any); ok {
		if texts, ok := c["text"].([]any); ok {
			for _, t := range texts {
				if s, ok := t.(string); ok {
					v.Comments = append(v.Comments, s)
				}
			}
		}
	}
	typ, _ := it["type"].(string)
	switch {
	case typ == "Synchronous/Messages":
		v.Kind = "Synchronous message"
		if req, ok := it["request"].(map[string]any); ok {
			m := messagePart(req)
			v.Message = &m
			v.Rules = append(v.Rules, rulesOf("request", req["matchingRules"])...)
		}
		replies, _ := it["response"].([]any)
		for i, rep := range replies {
			if m, ok := rep.(map[string]any); ok {
				v.Replies = append(v.Replies, messagePart(m))
				v.Rules = append(v.Rules, rulesOf(fmt.Sprintf("reply %d", i+1), m["matchingRules"])...)
			}
		}
	case typ == "Asynchronous/Messages" || (it["request"] == nil && (it["contents"] != nil || it["metadata"] != nil)):
		v.Kind = "Message"
		m := messagePart(it)
		v.Message = &m
		v.Rules = append(v.Rules, rulesOf("message", it["matchingRules"])...)
	default:
		if req, ok := it["request"].(map[string]any); ok {
			part := httpPartOf(req)
			v.Request = &part
			v.Rules = append(v.Rules, rulesOf("request", req["matchingRules"])...)
		}
		if res, ok := it["response"].(map[string]any); ok {
			part := httpPartOf(res)
			v.Response = &part
			v.Rules = append(v.Rules, rulesOf("response", res["matchingRules"])...)
		}
	}
	return v
}

func httpPartOf(m map[string]any) httpPart {
	h := httpPart{}
	h.Method, _ = m["method"].(string)
	h.Method = strings.ToUpper(h.Method)
	h.Path, _ = m["path"].(string)
	h.Query = queryText(m["query"])
	if s, ok := m["status"]; ok && s != nil {
		h.Status = strings.Trim(compactJSON(s), `"`)
	}
	h.Headers = headerList(m["headers"])
	if body, ok := m["body"]; ok {
		h.HasBody = true
		h.Body, h.BodyType = bodyText(body)
	}
	return h
}

func messagePart(m map[string]any) httpPart {
	h := httpPart{Headers: headerList(m["metadata"])}
	if body, ok := m["contents"]; ok {
		h.HasBody = true
		h.Body, h.BodyType = bodyText(body)
	}
	return h
}

// bodyText shows a body: V4 bodies are {content, contentType, encoded}; JSON is indented.
func bodyText(body any) (text, contentType string) {
	if m, ok := body.(map[string]any); ok {
		if content, has := m["content"]; has {
			if _, typed := m["contentType"]; typed || m["encoded"] != nil {
				contentType, _ = m["contentType"].(string)
				if enc, _ := m["encoded"].(string); enc == "base64" {
					s, _ := content.(string)
					return s, contentType + " (base64)"
				}
				body = content
			}
		}
	}
	if s, ok := body.(string); ok {
		return s, contentType
	}
	return prettyJSON(body), contentType
}

func queryText(q any) string {
	switch v := q.(type) {
	case string:
		return v
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			switch vals := v[k].(type) {
			case []any:
				for _, x := range vals {
					parts = append(parts, k+"="+strings.Trim(compactJSON(x), `"`))
				}
			default:
				parts = append(parts, k+"="+strings.Trim(compactJSON(vals), `"`))
			}
		}
		return strings.Join(parts, "&")
	}
	return ""
}

func headerList(h any) [][2]string {
	m, ok := h.(map[string]any)
	if !ok {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, 0, len(keys))
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			out = append(out, [2]string{k, v})
		case []any:
			var vals []string
			for _, x := range v {
				vals = append(vals, strings.Trim(compactJSON(x), `"`))
			}
			out = append(out, [2]string{k, strings.Join(vals, ", ")})
		default:
			out = append(out, [2]string{k, compactJSON(v)})
		}
	}
	return out
}

// rulesOf lists matching rules in both shapes: V2's flat {"$.body.x": {"match": "type"}} and
// V3/V4's {"body": {"$.x": {"matchers": [...], "combine": "AND"}}, "path": {"matchers": [...]}}.
func rulesOf(part string, rules any) []ruleView {
	m, ok := rules.(map[string]any)
	if !ok {
		return nil
	}
	var out []ruleView
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val, _ := m[k].(map[string]any)
		if strings.HasPrefix(k, "$") {
			out = append(out, ruleView{Part: part, Path: k, Matchers: describeMatchers(val)})
			continue
		}
		category := part + " " + k
		if _, direct := val["matchers"]; direct {
			out = append(out, ruleView{Part: category, Matchers: describeMatchers(val)})
			continue
		}
		paths := make([]string, 0, len(val))
		for pth := range val {
			paths = append(paths, pth)
		}
		sort.Strings(paths)
		for _, pth := range paths {
			rule, _ := val[pth].(map[string]any)
			out = append(out, ruleView{Part: category, Path: pth, Matchers: describeMatchers(rule)})
		}
	}
	return out
}

// describeMatchers turns {"matchers": [{"match": "regex", "regex": "\\d+"}], "combine": "OR"}
// (or a single V2 matcher) into `regex \d+`.
func describeMatchers(rule map[string]any) string {
	var list []any
	if ms, ok := rule["matchers"].([]any); ok {
		list = ms
	} else if rule != nil {
		list = []any{rule}
	}
	var parts []string
	for _, x := range list {
		m, _ := x.(map[string]any)
		kind, _ := m["match"].(string)
		var extra []string
		keys := make([]string, 0, len(m))
		for k := range m {
			if k != "match" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			extra = append(extra, k+" "+strings.Trim(compactJSON(m[k]), `"`))
		}
		s := kind
		if len(extra) > 0 {
			s += " (" + strings.Join(extra, ", ") + ")"
		}
		parts = append(parts, strings.TrimSpace(s))
	}
	sep := " and "
	if c, _ := rule["combine"].(string); strings.EqualFold(c, "OR") {
		sep = " or "
	}
	return strings.Join(parts, sep)
}
