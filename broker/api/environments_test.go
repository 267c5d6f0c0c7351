package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/api"
)

func TestEnvironments(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		created := h.must(201, http.MethodPost, "/environments", map[string]any{"name": "production", "displayName": "Production",
			"production": true, "contacts": []any{map[string]any{"name": "Team A", "details": map[string]any{"emailAddress": "a@example.org"}}}})
		id := created.JSON["uuid"].(string)
		if created.Header.Get("Location") != "http://broker.test/environments/"+id {
			t.Fatalf("Location = %q", created.Header.Get("Location"))
		}
		if get(created.JSON, "contacts", 0, "details", "emailAddress") != "a@example.org" {
			t.Fatalf("contacts lost: %s", created.Raw)
		}
		staging := h.must(201, http.MethodPost, "/environments", map[string]any{"name": "pre-production", "production": false})
		if staging.JSON["displayName"] != "Pre Production" {
			t.Fatalf("default display name = %v", staging.JSON["displayName"])
		}

		for _, tc := range []struct {
			name string
			body any
			want string
		}{
			{"duplicate name", map[string]any{"name": "production", "production": true}, "name 'production' is already used by an existing environment."},
			{"missing production flag", map[string]any{"name": "qa"}, `"production":["is missing"]`},
			{"name with spaces", map[string]any{"name": "my env", "production": false}, "cannot contain spaces"},
			{"production not a boolean", map[string]any{"name": "qa", "production": "yes"}, "field production must be a boolean"},
			{"contact without a name", map[string]any{"name": "qa", "production": false, "contacts": []any{map[string]any{"details": map[string]any{}}}}, "contact 0: name cannot be blank"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h.t = t
				res := h.must(400, http.MethodPost, "/environments", tc.body)
				if !strings.Contains(string(res.Raw), tc.want) {
					t.Fatalf("body %s lacks %q", res.Raw, tc.want)
				}
			})
		}
		h.t = t

		list := h.must(200, http.MethodGet, "/environments?", nil)
		if n := len(get(list.JSON, "_embedded", "environments").([]any)); n != 2 {
			t.Fatalf("%d environments listed, want 2", n)
		}
		byName := h.must(200, http.MethodGet, "/environments?name=production", nil)
		if get(byName.JSON, "_embedded", "environments", 0, "uuid") != id {
			t.Fatalf("list by name: %s", byName.Raw)
		}
		h.must(200, http.MethodGet, "/environments/"+id+"?", nil)
		updated := h.must(200, http.MethodPut, "/environments/"+id, map[string]any{"name": "prod", "displayName": "Prod", "production": true})
		if updated.JSON["name"] != "prod" || updated.JSON["updatedAt"] == nil {
			t.Fatalf("update: %s", updated.Raw)
		}
		h.must(400, http.MethodPut, "/environments/"+id, map[string]any{"name": "pre-production", "production": true})
		h.must(404, http.MethodPut, "/environments/00000000-0000-0000-0000-000000000000", map[string]any{"name": "x", "production": true})
		h.must(204, http.MethodDelete, "/environments/"+id, nil)
		h.must(404, http.MethodGet, "/environments/"+id, nil)
		h.must(404, http.MethodDelete, "/environments/"+id, nil)
	})
}

// deploymentFixture creates Foo versions 1 and 2 and the environments test and production.
func deploymentFixture(h *harness) (test, prod string) {
	for _, v := range []string{"1", "2"} {
		h.must(201, http.MethodPut, "/pacticipants/Foo/branches/main/versions/"+v, map[string]any{})
	}
	test = h.must(201, http.MethodPost, "/environments", map[string]any{"name": "test", "production": false}).JSON["uuid"].(string)
	prod = h.must(201, http.MethodPost, "/environments", map[string]any{"name": "production", "production": true}).JSON["uuid"].(string)
	return test, prod
}

func TestDeployments(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		test, _ := deploymentFixture(h)
		version := h.must(200, http.MethodGet, "/pacticipants/Foo/versions/1", nil)
		var recordHref string
		for _, l := range get(version.JSON, "_links", "pb:record-deployment").([]any) {
			if l.(map[string]any)["name"] == "test" {
				recordHref = l.(map[string]any)["href"].(string)
			}
		}
		if recordHref == "" {
			t.Fatalf("no pb:record-deployment link named test: %s", version.Raw)
		}
		path := strings.TrimPrefix(recordHref, "http://broker.test")
		d1 := h.must(201, http.MethodPost, path, map[string]any{})
		if d1.JSON["currentlyDeployed"] != true || get(d1.JSON, "_embedded", "version", "number") != "1" {
			t.Fatalf("deployment: %s", d1.Raw)
		}
		// Recording the same deployment again changes nothing.
		again := h.must(201, http.MethodPost, path, map[string]any{})
		if again.JSON["uuid"] != d1.JSON["uuid"] {
			t.Fatal("re-recording a current deployment must return the same deployed version")
		}
		blue := h.must(201, http.MethodPost, "/pacticipants/Foo/versions/2/deployed-versions/environment/"+test,
			map[string]any{"applicationInstance": "blue", "target": "blue"})
		if blue.JSON["applicationInstance"] != "blue" {
			t.Fatalf("instance: %s", blue.Raw)
		}
		current := h.must(200, http.MethodGet, "/environments/"+test+"/deployed-versions/currently-deployed?pacticipant=Foo", nil)
		if n := len(get(current.JSON, "_embedded", "deployedVersions").([]any)); n != 2 {
			t.Fatalf("%d currently deployed, want 2 (no instance and blue)", n)
		}
		noInstance := h.must(200, http.MethodGet, "/environments/"+test+"/deployed-versions/currently-deployed?applicationInstance=", nil)
		if n := len(get(noInstance.JSON, "_embedded", "deployedVersions").([]any)); n != 1 {
			t.Fatalf("empty applicationInstance must select deployments without one; got %d", n)
		}
		// Version 2 without an instance replaces version 1.
		h.must(201, http.MethodPost, "/pacticipants/Foo/versions/2/deployed-versions/environment/"+test, map[string]any{})
		old := h.must(200, http.MethodGet, "/deployed-versions/"+d1.JSON["uuid"].(string), nil)
		if old.JSON["currentlyDeployed"] != false || old.JSON["undeployedAt"] == nil {
			t.Fatalf("replaced deployment still current: %s", old.Raw)
		}

		id := blue.JSON["uuid"].(string)
		h.must(415, http.MethodPatch, "/deployed-versions/"+id, map[string]any{"currentlyDeployed": false})
		undeployed := h.must(200, http.MethodPatch, "/deployed-versions/"+id, map[string]any{"currentlyDeployed": false}, "Content-Type", "application/merge-patch+json")
		if undeployed.JSON["currentlyDeployed"] != false {
			t.Fatalf("undeploy: %s", undeployed.Raw)
		}
		h.must(422, http.MethodPatch, "/deployed-versions/"+id, map[string]any{"currentlyDeployed": true}, "Content-Type", "application/merge-patch+json")
		h.must(404, http.MethodPatch, "/deployed-versions/nope", map[string]any{"currentlyDeployed": false}, "Content-Type", "application/merge-patch+json")
		h.must(404, http.MethodPost, "/pacticipants/Foo/versions/9/deployed-versions/environment/"+test, map[string]any{})
		h.must(404, http.MethodPost, "/pacticipants/Foo/versions/1/deployed-versions/environment/unknown", map[string]any{})
	})
}

func TestReleases(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		_, prod := deploymentFixture(h)
		path := "/pacticipants/Foo/versions/1/released-versions/environment/" + prod
		r1 := h.must(201, http.MethodPost, path, map[string]any{})
		h.must(200, http.MethodPost, path, map[string]any{})
		h.must(201, http.MethodPost, "/pacticipants/Foo/versions/2/released-versions/environment/"+prod, map[string]any{})
		supported := h.must(200, http.MethodGet, "/environments/"+prod+"/released-versions/currently-supported?pacticipant=Foo", nil)
		if n := len(get(supported.JSON, "_embedded", "releasedVersions").([]any)); n != 2 {
			t.Fatalf("%d supported releases, want 2: releases accumulate", n)
		}
		if get(supported.JSON, "_embedded", "releasedVersions", 0, "_embedded", "version", "number") == nil {
			t.Fatal("the CLI needs _embedded.version.number on each released version")
		}
		ended := h.must(200, http.MethodPatch, "/released-versions/"+r1.JSON["uuid"].(string), map[string]any{"currentlySupported": false}, "Content-Type", "application/merge-patch+json")
		if ended.JSON["currentlySupported"] != false || ended.JSON["supportEndedAt"] == nil {
			t.Fatalf("support ended: %s", ended.Raw)
		}
		supported = h.must(200, http.MethodGet, "/environments/"+prod+"/released-versions/currently-supported?pacticipant=Foo&version=1", nil)
		if n := len(get(supported.JSON, "_embedded", "releasedVersions").([]any)); n != 0 {
			t.Fatal("a version whose support ended is not currently supported")
		}
		// Releasing again re-supports it.
		h.must(200, http.MethodPost, path, map[string]any{})
		v := h.must(200, http.MethodGet, "/pacticipants/Foo/versions/1", nil)
		if get(v.JSON, "_links", "pb:released-environments", 0, "name") != "production" {
			t.Fatalf("pb:released-environments: %s", v.Raw)
		}
	})
}
