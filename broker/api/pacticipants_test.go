package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/api"
)

func TestPacticipantsVersionsBranchesTags(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		h.must(404, http.MethodGet, "/pacticipants/Foo", nil)
		created := h.must(201, http.MethodPost, "/pacticipants", map[string]any{"name": "Foo", "mainBranch": "trunk"})
		if created.JSON["mainBranch"] != "trunk" || created.JSON["displayName"] != "Foo" {
			t.Fatalf("created: %s", created.Raw)
		}
		h.must(400, http.MethodPost, "/pacticipants", map[string]any{"name": "Foo"})
		h.must(400, http.MethodPost, "/pacticipants", map[string]any{})
		patched := h.must(200, http.MethodPatch, "/pacticipants/Foo", map[string]any{"displayName": "Foo App", "repositoryUrl": "https://git/foo"},
			"Content-Type", "application/merge-patch+json")
		if patched.JSON["displayName"] != "Foo App" || patched.JSON["mainBranch"] != "trunk" {
			t.Fatalf("merge patch must keep unset fields: %s", patched.Raw)
		}
		h.must(201, http.MethodPatch, "/pacticipants/New", map[string]any{"mainBranch": "main"}, "Content-Type", "application/merge-patch+json")
		h.must(404, http.MethodPut, "/pacticipants/Nobody", map[string]any{"displayName": "x"})
		put := h.must(200, http.MethodPut, "/pacticipants/Foo", map[string]any{"displayName": "Foo"})
		if put.JSON["repositoryUrl"] != nil {
			t.Fatal("PUT replaces: fields it omits are cleared")
		}

		// Branches: the version added last is the head; names with "/" are one segment.
		for _, v := range []string{"1", "2", "3"} {
			h.must(201, http.MethodPut, "/pacticipants/Foo/branches/feat%2Fx/versions/"+v, map[string]any{})
		}
		h.must(200, http.MethodPut, "/pacticipants/Foo/branches/feat%2Fx/versions/2", map[string]any{})
		branch := h.must(200, http.MethodGet, "/pacticipants/Foo/branches/feat%2Fx", nil)
		if get(branch.JSON, "_embedded", "latestVersion", "number") != "3" || branch.JSON["name"] != "feat/x" {
			t.Fatalf("branch: %s", branch.Raw)
		}
		bv := h.must(200, http.MethodGet, "/pacticipants/Foo/branches/feat%2Fx/versions/2", nil)
		if bv.JSON["latest"] != false {
			t.Fatal("version 2 is not the head of feat/x")
		}
		latest := h.must(200, http.MethodGet, "/pacticipants/Foo/branches/feat%2Fx/latest-version", nil)
		if latest.JSON["number"] != "3" {
			t.Fatalf("branch latest version = %v", latest.JSON["number"])
		}
		// Removing the head moves it back.
		h.must(204, http.MethodDelete, "/pacticipants/Foo/branches/feat%2Fx/versions/3", nil)
		branch = h.must(200, http.MethodGet, "/pacticipants/Foo/branches/feat%2Fx", nil)
		if get(branch.JSON, "_embedded", "latestVersion", "number") != "2" {
			t.Fatalf("head after removing 3: %s", branch.Raw)
		}
		// The Rust CLI sends the branch unencoded in create-or-update-version.
		h.must(201, http.MethodPut, "/pacticipants/Foo/branches/fix/y/z/versions/4", map[string]any{"name": "fix/y/z"})
		h.must(200, http.MethodGet, "/pacticipants/Foo/branches/fix%2Fy%2Fz", nil)
		branches := h.must(200, http.MethodGet, "/pacticipants/Foo/branches", nil)
		if n := len(get(branches.JSON, "_embedded", "branches").([]any)); n != 2 {
			t.Fatalf("%d branches, want 2", n)
		}
		h.must(204, http.MethodDelete, "/pacticipants/Foo/branches/feat%2Fx", nil)
		h.must(404, http.MethodGet, "/pacticipants/Foo/branches/feat%2Fx", nil)
		h.must(200, http.MethodGet, "/pacticipants/Foo/versions/2", nil) // versions stay

		// Tags: 201 new, 200 existing; the tag creates the version when missing.
		h.must(201, http.MethodPut, "/pacticipants/Foo/versions/2/tags/prod", map[string]any{})
		h.must(200, http.MethodPut, "/pacticipants/Foo/versions/2/tags/prod", map[string]any{"name": "prod"})
		h.must(201, http.MethodPut, "/pacticipants/Bar/versions/9/tags/prod", nil)
		tagged := h.must(200, http.MethodGet, "/pacticipants/Foo/latest-version/prod", nil)
		if tagged.JSON["number"] != "2" {
			t.Fatalf("latest prod = %v", tagged.JSON["number"])
		}
		h.must(404, http.MethodGet, "/pacticipants/Foo/latest-version/none", nil)
		h.must(204, http.MethodDelete, "/pacticipants/Foo/versions/2/tags/prod", nil)
		h.must(404, http.MethodGet, "/pacticipants/Foo/versions/2/tags/prod", nil)

		// Versions are ordered by creation.
		h.must(201, http.MethodPut, "/pacticipants/Foo/versions/0.0.1", map[string]any{"buildUrl": "https://ci/7", "tags": []any{map[string]any{"name": "old"}}})
		latestOverall := h.must(200, http.MethodGet, "/pacticipants/Foo/latest-version", nil)
		if latestOverall.JSON["number"] != "0.0.1" || latestOverall.JSON["buildUrl"] != "https://ci/7" {
			t.Fatalf("latest version is the one created last: %s", latestOverall.Raw)
		}
		versions := h.must(200, http.MethodGet, "/pacticipants/Foo/versions?page=1&size=2", nil)
		if n := len(get(versions.JSON, "_embedded", "versions").([]any)); n != 2 || get(versions.JSON, "page", "totalElements") != 5.0 {
			t.Fatalf("paged versions: %s", versions.Raw)
		}
		h.must(400, http.MethodGet, "/pacticipants/Foo/versions?size=0", nil)
		h.must(204, http.MethodDelete, "/pacticipants/Foo/versions/0.0.1", nil)
		h.must(404, http.MethodGet, "/pacticipants/Foo/versions/0.0.1", nil)

		list := h.must(200, http.MethodGet, "/pacticipants", nil)
		if n := len(list.JSON["pacticipants"].([]any)); n != 3 {
			t.Fatalf("the deprecated top-level pacticipants list has %d entries, want 3", n)
		}
		search := h.must(200, http.MethodGet, "/pacticipants?q=FO", nil)
		if n := len(get(search.JSON, "_embedded", "pacticipants").([]any)); n != 1 {
			t.Fatalf("search for 'fo' found %d", n)
		}
		h.must(204, http.MethodDelete, "/pacticipants/Foo", nil)
		h.must(404, http.MethodGet, "/pacticipants/Foo/versions/2", nil)
	})
}

func TestBadInputNeverCauses500(t *testing.T) {
	long := strings.Repeat("x", 5000)
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		for _, r := range []struct{ method, path, body string }{
			{"GET", "/pacticipants/" + long, ""},
			{"PUT", "/pacticipants/Foo/versions/" + long + "/tags/x", "{}"},
			{"PUT", "/pacticipants/Foo/branches/%0A/versions/1", "{}"},
			{"PUT", "/pacticipants/%20/versions/1/tags/x", "{}"},
			{"POST", "/pacticipants", `{"name": 5}`},
			{"POST", "/pacticipants", `[]`},
			{"POST", "/environments", `{"name": "` + long + `", "production": true}`},
			{"POST", "/contracts/publish", `{"contracts": [null]}`},
			{"POST", "/contracts/publish", `{"contracts": "x"}`},
			{"POST", "/contracts/publish", `null`},
			{"PUT", "/pacts/provider/Bar/consumer/Foo/version/1", `{"consumer": "Foo"}`},
			{"PUT", "/pacts/provider/Bar/consumer/Foo/version/1", `{"consumer": {"name": "Foo"}, "provider": {"name": "Bar"}, "interactions": "nope"}`},
			{"GET", "/pacts/provider/Bar/consumer/Foo/pact-version/%00", ""},
			{"GET", "/pacticipants?page=abc", ""},
			{"PATCH", "/released-versions/x", `{"currentlySupported": "no"}`},
			{"DELETE", "/integrations/provider/A/consumer/B", ""},
			{"POST", "/nowhere", "{}"},
			{"TRACE", "/pacticipants", ""},
		} {
			res := h.do(r.method, r.path, nilIfEmpty(r.body))
			if res.Status < 400 && !(r.method == "PUT" && res.Status < 300) {
				t.Errorf("%s %s: status %d for bad input", r.method, r.path, res.Status)
			}
		}
	})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
