package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/api"
)

// forVerification POSTs a for-verification request and returns the pacts.
func (h *harness) forVerification(provider string, body map[string]any) []any {
	h.t.Helper()
	res := h.must(200, http.MethodPost, "/pacts/provider/"+provider+"/for-verification", body)
	return get(res.JSON, "_embedded", "pacts").([]any)
}

func pendingOf(p any) any { return get(p, "verificationProperties", "pending") }
func wipOf(p any) any     { return get(p, "verificationProperties", "wip") }
func notices(p any) string {
	var b strings.Builder
	for _, n := range get(p, "verificationProperties", "notices").([]any) {
		b.WriteString(get(n, "when").(string) + ": " + get(n, "text").(string) + "\n")
	}
	return b.String()
}

func TestPactsForVerificationPending(t *testing.T) {
	// Scenario 19: pending until a successful verification from the provider's branch; a
	// branch created afterwards inherits that.
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		h.publishPact("Foo", "1", "Bar", 1, "main")
		body := func(branch string) map[string]any {
			return map[string]any{"consumerVersionSelectors": []any{map[string]any{"mainBranch": true}},
				"includePendingStatus": true, "providerVersionBranch": branch}
		}
		pacts := h.forVerification("Bar", body("main"))
		if len(pacts) != 1 || pendingOf(pacts[0]) != true {
			t.Fatalf("a new pact is pending: %v", pacts)
		}
		n := notices(pacts[0])
		for _, want := range []string{
			"before_verification: The pact at http://broker.test/pacts/provider/Bar/consumer/Foo/pact-version/",
			"is being verified because the pact content belongs to the consumer version matching the following criterion:\n    * latest version from the main branch (1)",
			"This pact is in pending state for this version of Bar because a successful verification result for a version of Bar from branch 'main' has not yet been published.",
			"after_verification:success_true_published_true: This pact is no longer in pending state",
		} {
			if !strings.Contains(n, want) {
				t.Fatalf("notices lack %q:\n%s", want, n)
			}
		}
		if get(pacts[0], "shortDescription") != "latest from main branch" {
			t.Fatalf("shortDescription = %v", get(pacts[0], "shortDescription"))
		}
		href := get(pacts[0], "_links", "self", "href").(string)

		// The pact document at the metadata URL carries the publish link with the metadata.
		doc := h.must(200, http.MethodGet, strings.TrimPrefix(href, "http://broker.test"), nil)
		publish := get(doc.JSON, "_links", "pb:publish-verification-results", "href").(string)
		if !strings.HasPrefix(publish, href) {
			t.Fatalf("publish link %s does not keep the metadata of %s", publish, href)
		}

		// A failure from a main-branch provider version keeps it pending.
		h.must(201, http.MethodPut, "/pacticipants/Bar/branches/main/versions/p1", map[string]any{})
		h.verifyAt(publish, "p1", false)
		if p := h.forVerification("Bar", body("main")); pendingOf(p[0]) != true {
			t.Fatal("still pending after a failed verification")
		}
		// A verification recorded as pending remembers it.
		res := h.must(200, http.MethodGet, "/pacts/provider/Bar/consumer/Foo/pact-version/"+shaOf(href)+"/verification-results/latest", nil)
		if res.JSON["pending"] != true {
			t.Fatalf("the verification should record that the pact was pending: %s", res.Raw)
		}
		h.must(201, http.MethodPut, "/pacticipants/Bar/branches/main/versions/p2", map[string]any{})
		h.verifyAt(publish, "p2", true)
		p := h.forVerification("Bar", body("main"))
		if pendingOf(p[0]) != false || !strings.Contains(notices(p[0]), "This pact has previously been successfully verified by a version of Bar from branch 'main'.") {
			t.Fatalf("no longer pending after a success on main: %s", notices(p[0]))
		}
		// A branch created after the success inherits it.
		if p := h.forVerification("Bar", body("feat-new")); pendingOf(p[0]) != false {
			t.Fatal("a new provider branch inherits what was verified before it existed")
		}
		// Without includePendingStatus there is no pending key at all.
		b := body("main")
		b["includePendingStatus"] = false
		if p := h.forVerification("Bar", b); pendingOf(p[0]) != nil {
			t.Fatal("pending must be absent when not asked for")
		}
	})
}

func shaOf(href string) string {
	_, rest, _ := strings.Cut(href, "/pact-version/")
	sha, _, _ := strings.Cut(rest, "/")
	return sha
}

func TestPactsForVerificationWIP(t *testing.T) {
	// Scenario 20.
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		h.publishPact("Foo", "1", "Bar", 1, "main")
		h.must(201, http.MethodPut, "/pacticipants/Bar/branches/main/versions/p0", map[string]any{})
		h.verify("Foo", "1", "Bar", "p0", true)
		h.publishPact("Foo", "2", "Bar", 2, "feat-x") // a feature branch pact no selector picks
		body := map[string]any{"consumerVersionSelectors": []any{map[string]any{"mainBranch": true}},
			"includePendingStatus": true, "providerVersionBranch": "main", "includeWipPactsSince": "2000-01-01"}
		pacts := h.forVerification("Bar", body)
		if len(pacts) != 2 {
			t.Fatalf("want the main pact and the WIP pact, got %d", len(pacts))
		}
		wip := pacts[1]
		if wipOf(wip) != true || pendingOf(wip) != true || get(wip, "shortDescription") != "WIP" {
			t.Fatalf("feature branch pact should be WIP and pending: %v", wip)
		}
		if wipOf(pacts[0]) != nil || pendingOf(pacts[0]) != false {
			t.Fatalf("the main pact is neither WIP nor pending: %v", pacts[0])
		}
		if !strings.Contains(notices(wip), "is being verified because it is a 'work in progress' pact (ie. it is the pact for the latest version of Foo from branch 'feat-x' and is still in pending state)") {
			t.Fatalf("WIP inclusion reason: %s", notices(wip))
		}
		wipHref := get(wip, "_links", "self", "href").(string)
		wipDoc := h.must(200, http.MethodGet, strings.TrimPrefix(wipHref, "http://broker.test"), nil)
		wipPublish := get(wipDoc.JSON, "_links", "pb:publish-verification-results", "href").(string)

		h.must(201, http.MethodPut, "/pacticipants/Bar/branches/main/versions/p1", map[string]any{})
		h.verifyAt(wipPublish, "p1", false)
		if p := h.forVerification("Bar", body); len(p) != 2 || wipOf(p[1]) != true {
			t.Fatal("a failed verification keeps it WIP")
		}
		// A success while WIP does not end WIP status.
		h.verifyAt(wipPublish, "p1", true)
		if p := h.forVerification("Bar", body); len(p) != 2 || wipOf(p[1]) != true {
			t.Fatal("a success as a WIP pact keeps it WIP")
		}
		// A brand-new provider branch gets it as WIP too (nobody verified it outside WIP).
		body2 := map[string]any{"consumerVersionSelectors": []any{map[string]any{"mainBranch": true}},
			"includePendingStatus": true, "providerVersionBranch": "brand-new", "includeWipPactsSince": "2000-01-01"}
		if p := h.forVerification("Bar", body2); len(p) != 2 {
			t.Fatal("a new provider branch should get unverified WIP pacts")
		}
		// Verified when explicitly selected: no longer WIP.
		h.verify("Foo", "2", "Bar", "p1", true)
		if p := h.forVerification("Bar", body); len(p) != 1 {
			t.Fatalf("after an explicit success it is no longer WIP; got %d pacts", len(p))
		}
		// WIP needs a provider branch or tags.
		delete(body, "providerVersionBranch")
		if p := h.forVerification("Bar", body); len(p) != 1 {
			t.Fatal("no WIP pacts without a provider branch or tags")
		}
	})
}

func TestPactsForVerificationSelectors(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		// Scenario 21: Consumer v0.0.1 untagged; Consumer 2 v4.5.6 tagged prod.
		h.publishPact("Consumer", "0.0.1", "Provider", 1, "")
		h.publishPact("Consumer 2", "4.5.6", "Provider", 2, "")
		h.tag("Consumer 2", "4.5.6", "prod")
		pacts := h.forVerification("Provider", map[string]any{"consumerVersionSelectors": []any{map[string]any{"tag": "prod", "latest": true}},
			"includePendingStatus": false, "providerVersionTags": []any{"main"}})
		if len(pacts) != 1 || get(pacts[0], "shortDescription") != "latest with tag prod" || pendingOf(pacts[0]) != nil {
			t.Fatalf("want Consumer 2's prod pact only: %v", pacts)
		}
		if !strings.Contains(notices(pacts[0]), "* latest version tagged 'prod' (4.5.6)") {
			t.Fatalf("inclusion reason: %s", notices(pacts[0]))
		}
		res404 := h.must(404, http.MethodPost, "/pacts/provider/Nobody/for-verification", map[string]any{"consumerVersionSelectors": []any{}})
		if res404.JSON["error"] != "No provider with name 'Nobody' found" {
			t.Fatalf("unknown provider: %s", res404.Raw)
		}

		// Scenario 22: two selectors picking identical content are one entry naming both.
		h.publishPact("Foo", "1", "Bar", 5, "main")
		h.publishPact("Foo", "2", "Bar", 5, "main")
		h.deploy("Foo", "1", "production", "")
		pacts = h.forVerification("Bar", map[string]any{"consumerVersionSelectors": []any{
			map[string]any{"mainBranch": true}, map[string]any{"deployedOrReleased": true}}, "includePendingStatus": true})
		if len(pacts) != 1 {
			t.Fatalf("identical content must be one entry, got %d", len(pacts))
		}
		if get(pacts[0], "shortDescription") != "latest from main branch, deployed to production" {
			t.Fatalf("shortDescription = %v", get(pacts[0], "shortDescription"))
		}
		n := notices(pacts[0])
		if !strings.Contains(n, "matching the following criteria:") || !strings.Contains(n, "latest version from the main branch (2)") ||
			!strings.Contains(n, "* consumer version(s) currently deployed to production (1)") {
			t.Fatalf("merged entry notices:\n%s", n)
		}
		if get(pacts[0], "_links", "self", "name") != "Pact between Foo (2) and Bar" {
			t.Fatalf("the entry names the latest consumer version: %v", get(pacts[0], "_links", "self"))
		}

		// Fallback tag: nothing tagged "feat" for Bar, so fall back to "prod".
		h.tag("Foo", "1", "prod")
		pacts = h.forVerification("Bar", map[string]any{"consumerVersionSelectors": []any{
			map[string]any{"tag": "feat", "fallbackTag": "prod", "latest": true}}})
		if len(pacts) != 1 || !strings.Contains(notices(pacts[0]), "fallback tag used as no pact was found with tag 'feat'") {
			t.Fatalf("fallback tag: %v", pacts)
		}
		// Default selectors: the main branch head (or the latest), plus what is deployed.
		pacts = h.forVerification("Bar", map[string]any{"consumerVersionSelectors": []any{}, "includePendingStatus": false})
		if len(pacts) != 1 {
			t.Fatalf("defaults: %d pacts", len(pacts))
		}
		// The GET the Rust verifier makes first is cheap and hands back the POST URL.
		res := h.must(200, http.MethodGet, "/pacts/provider/Bar/for-verification", nil)
		if get(res.JSON, "_links", "self", "href") != "http://broker.test/pacts/provider/Bar/for-verification" {
			t.Fatalf("GET for-verification: %s", res.Raw)
		}
	})
}

func TestPactsForVerificationRejectsBadSelectors(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		h.publishPact("Foo", "1", "Bar", 1, "main")
		h.environment("production")
		for _, tc := range []struct {
			selector map[string]any
			want     string
		}{
			{map[string]any{}, "must specify a value for environment or tag or branch"},
			{map[string]any{"mainBranch": true, "tag": "x"}, "cannot specify the field tag with mainBranch=true"},
			{map[string]any{"mainBranch": true, "latest": false}, "cannot specify mainBranch=true with latest=false"},
			{map[string]any{"matchingBranch": true}, "the providerVersionBranch must be specified when the selector matchingBranch=true is used"},
			{map[string]any{"tag": "a", "branch": "b"}, "cannot specify both a tag and a branch"},
			{map[string]any{"branch": "b", "deployed": true}, "cannot specify the field branch with the field deployed"},
			{map[string]any{"tag": "a", "fallbackTag": "b"}, "fallbackTag can only be set if latest is true"},
			{map[string]any{"branch": "b", "latest": false}, "cannot specify a branch with latest=false"},
			{map[string]any{"fallbackBranch": "b", "latest": true}, "fallbackBranch can only be set if branch is set"},
			{map[string]any{"deployed": true, "released": true}, "cannot specify more than one of deployed, released and deployedOrReleased"},
			{map[string]any{"deployed": false}, "deployed must be true"},
			{map[string]any{"tag": ""}, "tag must be a non-blank string"},
			{map[string]any{"environment": "nowhere"}, "environment with name 'nowhere' does not exist"},
		} {
			res := h.do(http.MethodPost, "/pacts/provider/Bar/for-verification", map[string]any{"consumerVersionSelectors": []any{tc.selector}})
			if res.Status != 400 || !strings.Contains(string(res.Raw), tc.want) {
				t.Errorf("%v: %d %s, want 400 mentioning %q", tc.selector, res.Status, res.Raw, tc.want)
			}
		}
		for _, body := range []any{
			map[string]any{"consumerVersionSelectors": "nope"},
			map[string]any{"includeWipPactsSince": "yesterday", "providerVersionBranch": "main"},
			map[string]any{"providerVersionBranch": " "},
		} {
			if res := h.do(http.MethodPost, "/pacts/provider/Bar/for-verification", body); res.Status != 400 {
				t.Errorf("%v: %d, want 400", body, res.Status)
			}
		}
	})
}
