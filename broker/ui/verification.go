package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/treaty-dev/treaty/broker"
)

type verificationData struct {
	ID               int64
	Consumer         string
	Provider         string
	ConsumerVersion  string
	ProviderVersion  string
	ProviderBranches []string
	ProviderTags     []string
	Result           string
	Pending          bool
	WIP              bool
	BuildURL         string
	Executed         stamp
	VerifiedBy       string
	SHA              string
	PactURL          string
	MatrixURL        string
	JSONURL          string
	ConsumerURL      string
	ProviderURL      string
	CanIDeployURL    string
	Tests            []testView
	Passed, Failed   int
	Count            int
	Raw              string
}

type testView struct {
	testResult
	URL string // the interaction on the contract page
}

// verification shows one verification result with the mismatches the verifier reported.
func (p *Pages) verification(r *http.Request, idText string) (*page, error) {
	ctx := r.Context()
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id < 1 {
		return nil, badRequest("%q is not a verification number: it must be a whole number from 1.", truncate(idText, 40))
	}
	v, err := p.store.VerificationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	d := verificationData{ID: v.ID, Consumer: v.Consumer, Provider: v.Provider, ConsumerVersion: v.ConsumerVersion, ProviderVersion: v.ProviderVersion,
		Result: verificationResult(&v), Pending: v.Pending, WIP: v.WIP, BuildURL: v.BuildURL, Executed: p.stamp(v.ExecutionDate), SHA: v.PactSHA,
		MatrixURL: p.links.IntegrationMatrix(v.Consumer, v.Provider), JSONURL: p.links.VerificationJSON(v),
		ConsumerURL: p.links.PacticipantMatrix(v.Consumer), ProviderURL: p.links.VersionMatrix(v.Provider, v.ProviderVersion)}
	if d.ConsumerVersion != "" {
		d.PactURL = p.links.ContractVersion(v.Consumer, v.Provider, v.ConsumerVersion)
	}
	if pv, err := p.store.Version(ctx, v.Provider, v.ProviderVersion); err == nil {
		for _, b := range pv.Branches {
			d.ProviderBranches = append(d.ProviderBranches, b.Branch)
		}
		for _, t := range pv.Tags {
			d.ProviderTags = append(d.ProviderTags, t.Name)
		}
	}
	d.VerifiedBy = verifiedBy(v.VerifiedBy)

	// Link each test to its interaction, by the id the verifier echoes or by description.
	anchors := map[string]string{}
	if pact, err := p.store.Pact(ctx, broker.PactQuery{Consumer: v.Consumer, Provider: v.Provider, SHA: v.PactSHA}); err == nil {
		if doc, err := broker.ParsePact(pact.Content); err == nil {
			for _, it := range doc.Interactions() {
				a := anchorOf(it)
				anchors["id:"+strings.TrimPrefix(a, "i-")] = a
				if desc, _ := it["description"].(string); desc != "" {
					if _, dup := anchors["d:"+desc]; !dup {
						anchors["d:"+desc] = a
					}
				}
			}
		}
	}
	sum := parseTestResults(v.TestResults)
	d.Raw, d.Count = sum.Raw, sum.Count
	for _, t := range sum.Tests {
		tv := testView{testResult: t}
		a := anchors["id:"+t.InteractionID]
		if a == "" {
			a = anchors["d:"+t.Description]
		}
		if a != "" && d.PactURL != "" {
			tv.URL = d.PactURL + "#" + a
		}
		if tv.Description == "" && t.InteractionID != "" {
			tv.Description = "Interaction " + truncate(t.InteractionID, 12)
		}
		switch {
		case t.Status == resultFailed || len(t.Mismatches) > 0 || t.Error != "":
			if t.Status == "" {
				tv.Status = resultFailed
			}
			d.Failed++
		case t.Status == resultSuccess:
			d.Passed++
		}
		d.Tests = append(d.Tests, tv)
	}
	sort.SliceStable(d.Tests, func(i, j int) bool {
		return d.Tests[i].Status == resultFailed && d.Tests[j].Status != resultFailed
	})
	if !sum.HasCount {
		d.Count = len(d.Tests)
	}
	if len(sum.Tests) == 0 {
		d.Failed = sum.Failures
	}
	d.CanIDeployURL = p.links.CanIDeploy(v.Provider, v.ProviderVersion, "", "")
	return &page{template: "verification", title: fmt.Sprintf("Verification %d: %s → %s", v.ID, v.Consumer, v.Provider), nav: "overview", data: d}, nil
}

// verifiedBy names the tool that verified: "pact_verifier 1.2.3 (pact-go 2.4.2)".
func verifiedBy(raw json.RawMessage) string {
	var by map[string]any
	if json.Unmarshal(raw, &by) != nil || by == nil {
		return ""
	}
	out := strings.TrimSpace(str(by["implementation"]) + " " + str(by["version"]))
	if cl, ok := by["clientLanguage"].(map[string]any); ok {
		client := strings.TrimSpace(str(cl["name"]) + " " + str(cl["version"]))
		if client != "" {
			out += " (" + client + ")"
		}
	}
	return strings.TrimSpace(out)
}

// truncate shortens s for messages that quote user input.
func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
