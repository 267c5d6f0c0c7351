package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// A small vocabulary for the reference broker's scenarios, each step one real HTTP request.

// publishPact publishes consumer version v's pact with provider; content picks one of several
// distinct pact contents, so scenarios can say "the same content" or "different content".
func (h *harness) publishPact(consumer, version, provider string, content int, branch string) {
	h.t.Helper()
	pact := pactJSON(consumer, provider, interaction(fmt.Sprintf("request %d", content), 200))
	h.must(200, http.MethodPost, "/contracts/publish", publishBody(consumer, version, branch, pact))
}

// verify publishes providerVersion's result for consumerVersion's pact with provider, through
// the pact's own pb:publish-verification-results link.
func (h *harness) verify(consumer, consumerVersion, provider, providerVersion string, success bool) {
	h.t.Helper()
	doc := h.must(200, http.MethodGet, "/pacts/provider/"+esc(provider)+"/consumer/"+esc(consumer)+"/version/"+esc(consumerVersion), nil)
	h.verifyAt(get(doc.JSON, "_links", "pb:publish-verification-results", "href").(string), providerVersion, success)
}

func (h *harness) verifyAt(href, providerVersion string, success bool) {
	h.t.Helper()
	h.must(201, http.MethodPost, strings.TrimPrefix(href, "http://broker.test"),
		map[string]any{"success": success, "providerApplicationVersion": providerVersion,
			"testResults": []any{map[string]any{"interactionId": "x", "success": success}}})
}

func (h *harness) environment(name string) string {
	h.t.Helper()
	res := h.do(http.MethodGet, "/environments?name="+name, nil)
	if list := get(res.JSON, "_embedded", "environments").([]any); len(list) > 0 {
		return get(list[0], "uuid").(string)
	}
	return h.must(201, http.MethodPost, "/environments", map[string]any{"name": name, "production": name == "production"}).JSON["uuid"].(string)
}

func (h *harness) version(pacticipant, version string) {
	h.t.Helper()
	h.must(200, http.MethodPatch, "/pacticipants/"+esc(pacticipant), map[string]any{}, "Content-Type", "application/merge-patch+json")
	h.do(http.MethodPut, "/pacticipants/"+esc(pacticipant)+"/versions/"+esc(version), map[string]any{})
}

func (h *harness) deploy(pacticipant, version, env, instance string) {
	h.t.Helper()
	h.version(pacticipant, version)
	body := map[string]any{}
	if instance != "" {
		body["applicationInstance"] = instance
	}
	h.must(201, http.MethodPost, "/pacticipants/"+esc(pacticipant)+"/versions/"+esc(version)+"/deployed-versions/environment/"+h.environment(env), body)
}

func (h *harness) release(pacticipant, version, env string) {
	h.t.Helper()
	h.version(pacticipant, version)
	h.must(201, http.MethodPost, "/pacticipants/"+esc(pacticipant)+"/versions/"+esc(version)+"/released-versions/environment/"+h.environment(env), map[string]any{})
}

func (h *harness) tag(pacticipant, version, tag string) {
	h.t.Helper()
	h.do(http.MethodPut, "/pacticipants/"+esc(pacticipant)+"/versions/"+esc(version)+"/tags/"+tag, map[string]any{})
}

// matrix asks GET /matrix with the query as the clients send it (raw brackets).
func (h *harness) matrix(query string) response {
	h.t.Helper()
	return h.must(200, http.MethodGet, "/matrix?"+query, nil)
}

type verdict struct {
	deployable any // true, false or nil
	rows       int // -1: not checked
	reason     string
	counts     []int // success, failed, unknown; nil: not checked
}

func (h *harness) expect(res response, want verdict) {
	h.t.Helper()
	summary := res.JSON["summary"].(map[string]any)
	if summary["deployable"] != want.deployable {
		h.t.Fatalf("deployable = %v, want %v; reason:\n%s", summary["deployable"], want.deployable, summary["reason"])
	}
	if n := len(res.JSON["matrix"].([]any)); want.rows >= 0 && n != want.rows {
		h.t.Fatalf("%d rows, want %d: %s", n, want.rows, res.Raw)
	}
	if !strings.Contains(summary["reason"].(string), want.reason) {
		h.t.Fatalf("reason %q lacks %q", summary["reason"], want.reason)
	}
	if want.counts != nil {
		got := []int{int(summary["success"].(float64)), int(summary["failed"].(float64)), int(summary["unknown"].(float64))}
		if fmt.Sprint(got) != fmt.Sprint(want.counts) {
			h.t.Fatalf("success/failed/unknown = %v, want %v", got, want.counts)
		}
	}
}

// cid is the query `pact broker can-i-deploy --pacticipant P --version V --to-environment E` sends.
func cid(p, v, env string) string {
	return "q[][pacticipant]=" + url.QueryEscape(p) + "&q[][version]=" + url.QueryEscape(v) + "&latestby=cvpv&environment=" + env
}

// cidTag is what `--to TAG` sends.
func cidTag(p, v, tag string) string {
	return "q[][pacticipant]=" + p + "&q[][version]=" + v + "&tag=" + tag + "&latestby=cvp&latest=true"
}

var esc = url.PathEscape
