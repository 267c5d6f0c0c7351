package broker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Pacts for verification: which pacts a provider's build must verify, chosen by consumer
// version selectors, each with why it was chosen and whether it is pending (its failure must
// not fail the build) or work in progress. The rules follow the reference Pact Broker; one
// deliberate difference: fallbackBranch is honoured (the reference validates it but never
// uses it), so a feature branch without a pact falls back to the named branch.

// ConsumerVersionSelector selects consumer versions whose pacts the provider must verify.
// It is the normalised form: branch-like selectors have Latest set, deployedOrReleased is
// split in two, and matchingBranch has become a Branch.
type ConsumerVersionSelector struct {
	MainBranch     bool
	Branch         string
	AllBranches    bool // branch: true, the head of every branch
	MatchingBranch bool
	Latest         bool
	Tag            string
	FallbackTag    string
	FallbackBranch string
	Consumer       string
	Deployed       bool
	Released       bool
	Environment    string
}

// ForVerificationRequest is the body of POST /pacts/provider/{p}/for-verification.
type ForVerificationRequest struct {
	Provider              string
	ProviderVersionBranch string
	ProviderVersionTags   []string
	Selectors             []ConsumerVersionSelector
	IncludePendingStatus  bool
	IncludeWIPPactsSince  *time.Time
}

// VerifiableCandidate is a consumer version's pact that some selector or the WIP rule picked.
type VerifiableCandidate struct {
	Consumer        string
	ConsumerVersion VersionRef
	PactVersionID   int64
	SHA             string
	PublishedAt     time.Time
	// Environment is where the version runs, for deployed and released selectors.
	Environment string
	// HeadOf names the branches and tags whose head the version is, for WIP pacts.
	HeadOfBranches []string
	HeadOfTags     []string
}

// SelectedBy records one selector that picked a pact, with the consumer version it picked.
type SelectedBy struct {
	Selector        ConsumerVersionSelector
	ConsumerVersion string
	Fallback        bool   // picked through fallbackTag/fallbackBranch
	Environment     string // where the version runs, for deployed and released selectors
}

// VerifiablePact is one pact the provider must verify.
type VerifiablePact struct {
	Consumer        string
	Provider        string
	ConsumerVersion VersionRef // the latest consumer version with this content among those selected
	SHA             string
	Selectors       []SelectedBy
	Pending         bool
	WIP             bool
	PendingTags     []string // with provider tags: the tags for which the pact is pending
	NonPendingTags  []string
	// WIPBranches and WIPTags are the consumer branches and tags a WIP pact is the head of.
	WIPBranches []string
	WIPTags     []string
}

// VerifiedCriteria narrow the successful verifications that end a pact's pending state.
type VerifiedCriteria struct {
	Branch string     // by a provider version on this branch
	Tag    string     // by a provider version with this tag
	Before *time.Time // by any provider version, before this time
}

// ForVerificationData is what the selection reads from storage.
type ForVerificationData interface {
	MatrixPacticipant(ctx context.Context, name string) (PacticipantRef, error)
	MatrixEnvironment(ctx context.Context, name string) (Environment, error)
	// SelectPacts returns the pacts with the provider that a selector picks.
	SelectPacts(ctx context.Context, providerID int64, sel ConsumerVersionSelector, env *Environment) ([]VerifiableCandidate, error)
	// WIPCandidates are the pacts of every consumer branch head and tag head published after since.
	WIPCandidates(ctx context.Context, providerID int64, since time.Time) ([]VerifiableCandidate, error)
	// VerifiedContents says which of the contents were successfully verified (outside WIP).
	VerifiedContents(ctx context.Context, providerID int64, pactVersionIDs []int64, c VerifiedCriteria) (map[int64]bool, error)
	// ProviderBranchCreated and ProviderTagFirstUsed are nil when the branch or tag is new.
	ProviderBranchCreated(ctx context.Context, providerID int64, branch string) (*time.Time, error)
	ProviderTagFirstUsed(ctx context.Context, providerID int64, tag string) (*time.Time, error)
}

// Validate applies the reference broker's selector rules.
func (r *ForVerificationRequest) Validate(raw []map[string]any) error {
	v := &ValidationError{}
	if strings.TrimSpace(r.ProviderVersionBranch) == "" && r.ProviderVersionBranch != "" {
		v.Add("providerVersionBranch", "cannot be blank")
	}
	for i, sel := range raw {
		field := fmt.Sprintf("consumerVersionSelectors.%d", i)
		for _, msg := range selectorProblems(sel, r.ProviderVersionBranch) {
			v.Add(field, "%s", msg)
		}
	}
	return v.Err()
}

var (
	branchKeys      = []string{"branch", "fallbackBranch", "fallbackTag", "latest", "mainBranch", "matchingBranch", "tag"}
	environmentKeys = []string{"deployed", "deployedOrReleased", "environment", "released"}
	selectorKeys    = map[string]bool{"mainBranch": true, "branch": true, "matchingBranch": true, "latest": true, "tag": true,
		"fallbackTag": true, "fallbackBranch": true, "consumer": true, "deployed": true, "released": true,
		"deployedOrReleased": true, "environment": true}
)

// selectorProblems checks one selector as sent (before normalisation).
func selectorProblems(sel map[string]any, providerBranch string) []string {
	var out []string
	has := func(k string) bool { _, ok := sel[k]; return ok && sel[k] != nil }
	isTrue := func(k string) bool { b, ok := sel[k].(bool); return ok && b }
	isFalse := func(k string) bool { b, ok := sel[k].(bool); return ok && !b }
	str := func(k string) (string, bool) { s, ok := sel[k].(string); return s, ok }
	for k, val := range sel {
		if !selectorKeys[k] {
			continue // unknown keys are ignored, as the reference does
		}
		switch k {
		case "mainBranch", "matchingBranch", "deployed", "released", "deployedOrReleased":
			if b, ok := val.(bool); !ok || !b {
				out = append(out, fmt.Sprintf("%s must be true", k))
			}
		case "latest":
			if _, ok := val.(bool); !ok {
				out = append(out, "latest must be a boolean")
			}
		case "branch":
			if s, ok := val.(string); ok {
				if strings.TrimSpace(s) == "" {
					out = append(out, "branch cannot be blank")
				}
			} else if b, ok := val.(bool); !ok || !b {
				out = append(out, "branch must be a string or true")
			}
		default:
			if s, ok := val.(string); !ok || strings.TrimSpace(s) == "" {
				out = append(out, fmt.Sprintf("%s must be a non-blank string", k))
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	if !(has("environment") || has("tag") || has("branch") || isTrue("mainBranch") || isTrue("matchingBranch") ||
		isTrue("deployed") || isTrue("released") || isTrue("deployedOrReleased") || isTrue("latest")) {
		out = append(out, "must specify a value for environment or tag or branch, or specify mainBranch=true, matchingBranch=true, latest=true, deployed=true, released=true or deployedOrReleased=true")
	}
	if isTrue("mainBranch") {
		for k := range sel {
			if k != "mainBranch" && k != "consumer" && k != "latest" {
				out = append(out, "cannot specify the field "+k+" with mainBranch=true")
			}
		}
		if isFalse("latest") {
			out = append(out, "cannot specify mainBranch=true with latest=false")
		}
	}
	if isTrue("matchingBranch") {
		for k := range sel {
			if k != "matchingBranch" && k != "consumer" {
				out = append(out, "cannot specify the field "+k+" with matchingBranch=true")
			}
		}
		if providerBranch == "" {
			out = append(out, "the providerVersionBranch must be specified when the selector matchingBranch=true is used")
		}
	}
	if has("tag") && has("branch") {
		out = append(out, "cannot specify both a tag and a branch")
	}
	var branchy, envy []string
	for _, k := range branchKeys {
		if has(k) {
			branchy = append(branchy, k)
		}
	}
	for _, k := range environmentKeys {
		if has(k) {
			envy = append(envy, k)
		}
	}
	if len(branchy) > 0 && len(envy) > 0 {
		out = append(out, fmt.Sprintf("cannot specify the %s %s with the %s %s", plural("field", len(branchy)), strings.Join(branchy, "/"),
			plural("field", len(envy)), strings.Join(envy, "/")))
	}
	if has("fallbackTag") && !isTrue("latest") {
		out = append(out, "fallbackTag can only be set if latest is true")
	}
	if has("fallbackTag") && !has("tag") {
		out = append(out, "fallbackTag can only be set if tag is set")
	}
	if has("fallbackBranch") && !has("branch") {
		out = append(out, "fallbackBranch can only be set if branch is set")
	}
	if has("fallbackBranch") && isFalse("latest") {
		out = append(out, "fallbackBranch can not be set if latest is false")
	}
	if has("branch") && isFalse("latest") {
		out = append(out, "cannot specify a branch with latest=false")
	}
	n := 0
	for _, k := range []string{"deployed", "released", "deployedOrReleased"} {
		if has(k) {
			n++
		}
	}
	if n > 1 {
		out = append(out, "cannot specify more than one of deployed, released and deployedOrReleased")
	}
	if s, ok := str("environment"); ok && s == "" {
		out = append(out, "environment cannot be blank")
	}
	return out
}

func plural(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// NormaliseSelectors turns selectors as sent into their normalised form.
func NormaliseSelectors(raw []map[string]any, providerBranch string) []ConsumerVersionSelector {
	var out []ConsumerVersionSelector
	for _, m := range raw {
		s := ConsumerVersionSelector{}
		s.MainBranch, _ = m["mainBranch"].(bool)
		s.MatchingBranch, _ = m["matchingBranch"].(bool)
		s.Latest, _ = m["latest"].(bool)
		s.Tag, _ = m["tag"].(string)
		s.FallbackTag, _ = m["fallbackTag"].(string)
		s.FallbackBranch, _ = m["fallbackBranch"].(string)
		s.Consumer, _ = m["consumer"].(string)
		s.Environment, _ = m["environment"].(string)
		s.Deployed, _ = m["deployed"].(bool)
		s.Released, _ = m["released"].(bool)
		switch b := m["branch"].(type) {
		case string:
			s.Branch = b
		case bool:
			s.AllBranches = b
		}
		if s.MatchingBranch {
			s.Branch = providerBranch
		}
		if s.MainBranch || s.Branch != "" || s.AllBranches {
			s.Latest = true
		}
		if both, _ := m["deployedOrReleased"].(bool); both {
			d, r := s, s
			d.Deployed, r.Released = true, true
			out = append(out, d, r)
			continue
		}
		out = append(out, s)
	}
	return out
}

// PactsForVerification chooses the pacts a provider version must verify.
func PactsForVerification(ctx context.Context, data ForVerificationData, req ForVerificationRequest) ([]VerifiablePact, error) {
	provider, err := data.MatrixPacticipant(ctx, req.Provider)
	if errors.Is(err, ErrNotFound) {
		return nil, NotFoundMessage("No provider with name '%s' found", req.Provider)
	}
	if err != nil {
		return nil, err
	}
	selectors := req.Selectors
	if len(selectors) == 0 {
		selectors = []ConsumerVersionSelector{{MainBranch: true, Latest: true}, {Latest: true}, {Deployed: true}, {Released: true}}
	}
	type key struct{ consumer, sha string }
	merged := map[key]*VerifiablePact{}
	var order []key
	add := func(c VerifiableCandidate, by SelectedBy) {
		k := key{c.Consumer, c.SHA}
		vp := merged[k]
		if vp == nil {
			vp = &VerifiablePact{Consumer: c.Consumer, Provider: provider.Name, ConsumerVersion: c.ConsumerVersion, SHA: c.SHA}
			merged[k] = vp
			order = append(order, k)
		}
		if c.ConsumerVersion.ID > vp.ConsumerVersion.ID {
			vp.ConsumerVersion = c.ConsumerVersion
		}
		vp.Selectors = append(vp.Selectors, by)
	}
	pactVersions := map[key]int64{}
	defaultLatest := len(req.Selectors) == 0
	coveredByMain := map[string]bool{}
	for i, sel := range selectors {
		var env *Environment
		if sel.Environment != "" {
			e, err := data.MatrixEnvironment(ctx, sel.Environment)
			if errors.Is(err, ErrNotFound) {
				return nil, Invalid(fmt.Sprintf("consumerVersionSelectors.%d", i), "environment with name '%s' does not exist", sel.Environment)
			}
			if err != nil {
				return nil, err
			}
			env = &e
		}
		found, err := data.SelectPacts(ctx, provider.ID, sel, env)
		if err != nil {
			return nil, fmt.Errorf("select pacts for %s: %w", provider.Name, err)
		}
		fallback := false
		if len(found) == 0 && (sel.FallbackTag != "" || sel.FallbackBranch != "") {
			fb := sel
			if sel.FallbackTag != "" {
				fb.Tag = sel.FallbackTag
			} else {
				fb.Branch = sel.FallbackBranch
			}
			if found, err = data.SelectPacts(ctx, provider.ID, fb, env); err != nil {
				return nil, fmt.Errorf("select fallback pacts for %s: %w", provider.Name, err)
			}
			fallback = true
		}
		for _, c := range found {
			if defaultLatest && sel.Latest && !sel.MainBranch && coveredByMain[c.Consumer] {
				continue // the default is the main branch head, else the latest
			}
			if defaultLatest && sel.MainBranch {
				coveredByMain[c.Consumer] = true
			}
			add(c, SelectedBy{Selector: sel, ConsumerVersion: c.ConsumerVersion.Number, Fallback: fallback, Environment: c.Environment})
			pactVersions[key{c.Consumer, c.SHA}] = c.PactVersionID
		}
	}

	var wip []VerifiableCandidate
	if req.IncludeWIPPactsSince != nil && (req.ProviderVersionBranch != "" || len(req.ProviderVersionTags) > 0) {
		candidates, err := data.WIPCandidates(ctx, provider.ID, *req.IncludeWIPPactsSince)
		if err != nil {
			return nil, fmt.Errorf("find work-in-progress pacts for %s: %w", provider.Name, err)
		}
		seen := map[key]bool{}
		for _, c := range candidates {
			k := key{c.Consumer, c.SHA}
			if merged[k] != nil || seen[k] {
				continue
			}
			seen[k] = true
			wip = append(wip, c)
			pactVersions[k] = c.PactVersionID
		}
	}

	// Pending status (and WIP, which is "pending and not explicitly selected").
	var ids []int64
	for _, id := range pactVersions {
		ids = append(ids, id)
	}
	pending, pendingTags, err := pendingContents(ctx, data, provider.ID, ids, req)
	if err != nil {
		return nil, err
	}
	var out []VerifiablePact
	for _, k := range order {
		vp := merged[k]
		id := pactVersions[k]
		vp.Pending = pending[id]
		vp.PendingTags, vp.NonPendingTags = splitTags(req.ProviderVersionTags, pendingTags, id)
		out = append(out, *vp)
	}
	for _, c := range wip {
		id := pactVersions[key{c.Consumer, c.SHA}]
		if !pending[id] {
			continue
		}
		vp := VerifiablePact{Consumer: c.Consumer, Provider: provider.Name, ConsumerVersion: c.ConsumerVersion, SHA: c.SHA, Pending: true, WIP: true,
			WIPBranches: c.HeadOfBranches, WIPTags: c.HeadOfTags}
		vp.PendingTags, vp.NonPendingTags = splitTags(req.ProviderVersionTags, pendingTags, id)
		out = append(out, vp)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Consumer != out[j].Consumer {
			return out[i].Consumer < out[j].Consumer
		}
		return out[i].ConsumerVersion.ID < out[j].ConsumerVersion.ID
	})
	return out, nil
}

// pendingContents decides, per content, whether it is pending for the provider's branch
// (or its tags, or at all): not yet successfully verified there, nor by another branch or tag
// before this branch or tag existed, so a new branch inherits what was verified before it.
func pendingContents(ctx context.Context, data ForVerificationData, providerID int64, ids []int64, req ForVerificationRequest) (map[int64]bool, map[string]map[int64]bool, error) {
	pending := map[int64]bool{}
	if len(ids) == 0 {
		return pending, nil, nil
	}
	verifiedSince := func(created *time.Time) (map[int64]bool, error) {
		if created == nil {
			return data.VerifiedContents(ctx, providerID, ids, VerifiedCriteria{})
		}
		return data.VerifiedContents(ctx, providerID, ids, VerifiedCriteria{Before: created})
	}
	switch {
	case req.ProviderVersionBranch != "":
		onBranch, err := data.VerifiedContents(ctx, providerID, ids, VerifiedCriteria{Branch: req.ProviderVersionBranch})
		if err != nil {
			return nil, nil, err
		}
		created, err := data.ProviderBranchCreated(ctx, providerID, req.ProviderVersionBranch)
		if err != nil {
			return nil, nil, err
		}
		before, err := verifiedSince(created)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range ids {
			pending[id] = !onBranch[id] && !before[id]
		}
		return pending, nil, nil
	case len(req.ProviderVersionTags) > 0:
		byTag := map[string]map[int64]bool{}
		for _, tag := range req.ProviderVersionTags {
			withTag, err := data.VerifiedContents(ctx, providerID, ids, VerifiedCriteria{Tag: tag})
			if err != nil {
				return nil, nil, err
			}
			first, err := data.ProviderTagFirstUsed(ctx, providerID, tag)
			if err != nil {
				return nil, nil, err
			}
			before, err := verifiedSince(first)
			if err != nil {
				return nil, nil, err
			}
			byTag[tag] = map[int64]bool{}
			for _, id := range ids {
				if !withTag[id] && !before[id] {
					byTag[tag][id] = true
					pending[id] = true
				}
			}
		}
		return pending, byTag, nil
	}
	verified, err := data.VerifiedContents(ctx, providerID, ids, VerifiedCriteria{})
	if err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		pending[id] = !verified[id]
	}
	return pending, nil, nil
}

func splitTags(tags []string, pendingByTag map[string]map[int64]bool, id int64) (pendingTags, nonPending []string) {
	for _, t := range tags {
		if pendingByTag[t][id] {
			pendingTags = append(pendingTags, t)
		} else {
			nonPending = append(nonPending, t)
		}
	}
	return pendingTags, nonPending
}
