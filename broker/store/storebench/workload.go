package storebench

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
)

// Workload picks realistic requests against a seeded broker: can-i-deploy for a recent main
// build, the provider's pacts for verification, a consumer's publication. It is read-only once
// built, so concurrent clients share it, each with its own random source.
type Workload struct {
	m         *Manifest
	deployers []int // pacticipants with recent versions
	providers []int // pacticipants with consumers
	consumers []int // pacticipants with providers
	pairs     [][2]int
	// content holds each consumer's current main pacts, base64-encoded, by provider.
	content map[string]string
}

// Request is one HTTP request to send: a path with its query, and a JSON body or nil.
type Request struct {
	Method string
	Path   string
	Body   []byte
}

// NewWorkload prepares requests for the broker m describes.
func NewWorkload(m *Manifest) (*Workload, error) {
	w := &Workload{m: m, content: map[string]string{}}
	index := map[string]int{}
	for i, p := range m.Pacticipants {
		index[p.Name] = i
	}
	for i, p := range m.Pacticipants {
		if len(p.RecentVersions) > 0 {
			w.deployers = append(w.deployers, i)
		}
		if len(p.Consumers) > 0 {
			w.providers = append(w.providers, i)
		}
		if len(p.Providers) > 0 && len(p.RecentVersions) > 0 {
			w.consumers = append(w.consumers, i)
		}
		for _, c := range p.Providers {
			w.pairs = append(w.pairs, [2]int{i, index[c.Provider]})
			w.content[p.Name+"→"+c.Provider] = base64.StdEncoding.EncodeToString(PactContent(p.Name, c.Provider, c.Serial))
		}
	}
	if len(w.deployers) == 0 || len(m.Environments) == 0 || len(w.providers) == 0 || len(w.consumers) == 0 {
		return nil, fmt.Errorf("the seeded broker has no versions, environments or integrations to send requests about")
	}
	return w, nil
}

// recent is one of a pacticipant's newest main builds: what a pipeline is about to deploy.
func (w *Workload) recent(r *rand.Rand) (PacticipantInfo, string) {
	p := w.m.Pacticipants[w.deployers[r.IntN(len(w.deployers))]]
	return p, p.RecentVersions[r.IntN(min(3, len(p.RecentVersions)))]
}

func (w *Workload) environment(r *rand.Rand) string {
	return w.m.Environments[r.IntN(len(w.m.Environments))]
}

// CanIDeploy is GET /can-i-deploy?pacticipant=P&version=V&environment=E.
func (w *Workload) CanIDeploy(r *rand.Rand) Request {
	p, v := w.recent(r)
	q := url.Values{"pacticipant": {p.Name}, "version": {v}, "environment": {w.environment(r)}}
	return Request{Method: "GET", Path: "/can-i-deploy?" + q.Encode()}
}

// CanIDeployMatrix is the same question in the form the pact-broker CLI asks it:
// GET /matrix?q[][pacticipant]=P&q[][version]=V&latestby=cvpv&environment=E.
func (w *Workload) CanIDeployMatrix(r *rand.Rand) Request {
	p, v := w.recent(r)
	return Request{Method: "GET", Path: "/matrix?" + rackQuery(
		"q[][pacticipant]", p.Name, "q[][version]", v, "latestby", "cvpv", "environment", w.environment(r))}
}

// IntegrationMatrix is the matrix page of one integration, as the UI asks for it: every row
// of a consumer with a provider, the latest result per pair of versions, 100 rows shown.
func (w *Workload) IntegrationMatrix(r *rand.Rand) Request {
	pair := w.pairs[r.IntN(len(w.pairs))]
	c, p := w.m.Pacticipants[pair[0]], w.m.Pacticipants[pair[1]]
	return Request{Method: "GET", Path: "/matrix?" + rackQuery(
		"q[][pacticipant]", c.Name, "q[][pacticipant]", p.Name, "latestby", "cvpv", "limit", "100")}
}

// ForVerification is a provider main build asking which pacts to verify, as pact verifiers do.
func (w *Workload) ForVerification(r *rand.Rand) Request {
	p := w.m.Pacticipants[w.providers[r.IntN(len(w.providers))]]
	body, _ := json.Marshal(map[string]any{
		"consumerVersionSelectors": []any{map[string]any{"mainBranch": true}, map[string]any{"deployedOrReleased": true}},
		"includePendingStatus":     true,
		"providerVersionBranch":    p.MainBranch,
	})
	return Request{Method: "POST", Path: "/pacts/provider/" + url.PathEscape(p.Name) + "/for-verification", Body: body}
}

// Publish is a consumer main build publishing its pacts with every provider as version
// number: unchanged content mostly, a changed pact one time in ten.
func (w *Workload) Publish(r *rand.Rand, number string) Request {
	c := w.m.Pacticipants[w.consumers[r.IntN(len(w.consumers))]]
	contracts := make([]any, len(c.Providers))
	for i, p := range c.Providers {
		content := w.content[c.Name+"→"+p.Provider]
		if r.IntN(10) == 0 {
			content = base64.StdEncoding.EncodeToString(PactContent(c.Name, p.Provider, 1_000_000+r.IntN(1_000_000_000)))
		}
		contracts[i] = map[string]any{"consumerName": c.Name, "providerName": p.Provider, "specification": "pact",
			"contentType": "application/json", "content": content}
	}
	body, _ := json.Marshal(map[string]any{"pacticipantName": c.Name, "pacticipantVersionNumber": number,
		"branch": c.MainBranch, "buildUrl": "https://ci.example.com/" + c.Name + "/builds/bench",
		"contracts": contracts})
	return Request{Method: "POST", Path: "/contracts/publish", Body: body}
}

// VersionNumber is a git-SHA-like version number unique to (run, client, n).
func VersionNumber(run int64, client, n int) string {
	sum := sha1.Sum(fmt.Appendf(nil, "bench/%d/%d/%d", run, client, n))
	return hex.EncodeToString(sum[:])
}

// rackQuery encodes key/value pairs in order, as the Ruby clients do (url.Values would sort
// the keys and break the q[][…] grouping).
func rackQuery(kv ...string) string {
	parts := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, url.QueryEscape(kv[i])+"="+url.QueryEscape(kv[i+1]))
	}
	return strings.Join(parts, "&")
}
