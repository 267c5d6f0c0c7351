package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker/api"
)

// TestReferenceScenarios are the reference broker's can-i-deploy and matrix scenarios
// (pact-broker-api.md §11, 1–18), each through the real router on every database.
func TestReferenceScenarios(t *testing.T) {
	scenarios := []struct {
		name  string
		setup func(h *harness)
		query string
		want  verdict
	}{
		{"1 only deployed provider versions matter", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "2", true)
			h.deploy("Bar", "2", "test", "")
			h.verify("Foo", "1", "Bar", "3", false)
		}, cid("Foo", "1", "test"), verdict{true, 1, "All required verification results are published and successful", []int{1, 0, 0}}},

		{"2 the deployed provider version failed", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "2", false)
			h.deploy("Bar", "2", "test", "")
			h.verify("Foo", "1", "Bar", "3", true)
		}, cid("Foo", "1", "test"), verdict{false, 1, "The verification for the pact between version 1 of Foo and the version of Bar currently in test (2) failed", []int{0, 1, 0}}},

		{"3 a consumer needs its provider in the environment", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "2", true)
			h.environment("test")
		}, cid("Foo", "1", "test"), verdict{nil, 1, "There is no verified pact between version 1 of Foo and a version of Bar currently in test (no version is currently recorded as deployed/released in this environment)", []int{0, 0, 1}}},

		{"4 a provider does not need its consumers", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "2", true)
			h.environment("test")
		}, cid("Bar", "2", "test"), verdict{true, 0, "There are no missing dependencies", []int{0, 0, 0}}},

		{"5 every consumer version in the environment must be verified", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishPact("Foo", "2", "Bar", 2, "main")
			h.deploy("Foo", "1", "prod", "1")
			h.deploy("Foo", "2", "prod", "2")
			h.verify("Foo", "1", "Bar", "10", true)
		}, cid("Bar", "10", "prod"), verdict{nil, 2, "There is no verified pact between one of the versions of Foo currently in prod (2) and version 10 of Bar", []int{1, 0, 1}}},

		{"5b once both are verified the provider can go", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishPact("Foo", "2", "Bar", 2, "main")
			h.deploy("Foo", "1", "prod", "1")
			h.deploy("Foo", "2", "prod", "2")
			h.verify("Foo", "1", "Bar", "10", true)
			h.verify("Foo", "2", "Bar", "10", true)
		}, cid("Bar", "10", "prod"), verdict{true, 2, "All required verification results", []int{2, 0, 0}}},

		{"6 every released provider version is checked", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "10", false)
			h.verify("Foo", "1", "Bar", "11", true)
			h.release("Bar", "10", "production")
			h.release("Bar", "11", "production")
		}, cid("Foo", "1", "production"), verdict{false, 2, "failed", []int{1, 1, 0}}},

		{"6b both released provider versions succeeded", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "10", true)
			h.verify("Foo", "1", "Bar", "11", true)
			h.release("Bar", "10", "production")
			h.release("Bar", "11", "production")
		}, cid("Foo", "1", "production"), verdict{true, 2, "All required", []int{2, 0, 0}}},

		{"7 every application instance is checked", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "10", false)
			h.verify("Foo", "1", "Bar", "11", true)
			h.deploy("Bar", "10", "production", "instance-1")
			h.deploy("Bar", "11", "production", "instance-2")
		}, cid("Foo", "1", "production"), verdict{false, 2, "failed", []int{1, 1, 0}}},

		{"8 a deployment replaces the version on the same instance", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "10", false)
			h.verify("Foo", "1", "Bar", "11", true)
			h.deploy("Bar", "10", "production", "")
			h.deploy("Bar", "11", "production", "")
		}, cid("Foo", "1", "production"), verdict{true, 1, "All required", []int{1, 0, 0}}},

		{"8b reversed, the failed version replaces the good one", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "10", true)
			h.verify("Foo", "1", "Bar", "11", false)
			h.deploy("Bar", "10", "production", "")
			h.deploy("Bar", "11", "production", "")
		}, cid("Foo", "1", "production"), verdict{false, 1, "failed", []int{0, 1, 0}}},

		{"9 the same content from a new consumer version is already verified", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 7, "main")
			h.verify("Foo", "1", "Bar", "2", true)
			h.deploy("Bar", "2", "prod", "")
			h.publishPact("Foo", "2", "Bar", 7, "main")
		}, cid("Foo", "2", "prod"), verdict{true, 1, "All required", []int{1, 0, 0}}},

		{"10 the latest provider version verified other content", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "10", true)
			h.publishPact("Foo", "2", "Bar", 2, "main")
			h.verify("Foo", "2", "Bar", "20", false)
		}, "q[][pacticipant]=Foo&q[][version]=1&latestby=cvpv&latest=true",
			verdict{nil, 1, "WARN: It is recommended to specify the environment into which you are deploying. Without the environment, this result will not be reliable.\nThere is no verified pact between version 1 of Foo and the latest version of Bar (20)", []int{0, 0, 1}}},

		{"11 a specified version that does not exist", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.environment("prod")
		}, cid("Bar", "5", "prod"), verdict{false, 0, "No pacts or verifications have been published for version 5 of Bar", nil}},

		{"12 a consumer with an unverified second provider", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.publishPact("Foo", "1", "Baz", 1, "main")
			h.verify("Foo", "1", "Bar", "2", true)
			h.deploy("Bar", "2", "prod", "")
			h.deploy("Baz", "3", "prod", "")
		}, cid("Foo", "1", "prod"), verdict{nil, 2, "There is no verified pact between version 1 of Foo and the version of Baz currently in prod (3)", []int{1, 0, 1}}},

		{"13 integrations come from the version's own pacts", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "2", true)
			h.tag("Bar", "2", "prod")
			h.publishPact("Foo", "2", "Bar", 1, "main")
			h.publishPact("Foo", "2", "Wiffle", 1, "main")
		}, cidTag("Foo", "1", "prod"), verdict{true, 1, "All required", []int{1, 0, 0}}},

		{"14 mutual consumers specified explicitly", func(h *harness) {
			h.publishPact("A", "1", "B", 1, "main")
			h.publishPact("B", "100", "A", 1, "main")
			h.verify("A", "1", "B", "99", true)
			h.verify("B", "100", "A", "0", true)
		}, "q[][pacticipant]=A&q[][version]=1&q[][pacticipant]=B&q[][version]=100&latestby=cvpv",
			verdict{nil, 2, "There is no verified pact between version 1 of A and version 100 of B", []int{0, 0, 2}}},

		{"15 ignoring a failed provider", ignoreFixture, cidTag("Foo", "1", "prod") + "&ignore[][pacticipant]=Bar",
			verdict{true, 1, "[IGNORED] The verification for the pact between version 1 of Foo and the latest version of Bar with tag prod (2) failed", []int{0, 0, 0}}},
		{"15b ignoring the failed provider version", ignoreFixture, cidTag("Foo", "1", "prod") + "&ignore[][pacticipant]=Bar&ignore[][version]=2",
			verdict{true, 1, "[IGNORED]", []int{0, 0, 0}}},
		{"15c ignoring a version that does not exist", ignoreFixture, cidTag("Foo", "1", "prod") + "&ignore[][pacticipant]=Bar&ignore[][version]=999",
			verdict{false, 1, "WARNING: Cannot ignore version 999 of Bar (no such version exists)", []int{0, 1, 0}}},
		{"15d ignoring a pacticipant that does not exist", ignoreFixture, cidTag("Foo", "1", "prod") + "&ignore[]=NotBar",
			verdict{false, 1, "WARNING: Cannot ignore any version of NotBar (no such pacticipant exists)", []int{0, 1, 0}}},

		{"16 a consumer already in the target blocks the provider", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.tag("Foo", "1", "prod")
			h.version("Bar", "2")
		}, cidTag("Bar", "2", "prod"), verdict{nil, 1, "There is no verified pact between the latest version of Foo with tag prod (1) and version 2 of Bar", []int{0, 0, 1}}},
		{"16b ignoring that consumer", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.tag("Foo", "1", "prod")
			h.version("Bar", "2")
		}, cidTag("Bar", "2", "prod") + "&ignore[][pacticipant]=Foo", verdict{true, 1, "", []int{0, 0, 0}}},
		{"16c ignoring a wrong consumer version does not help", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.tag("Foo", "1", "prod")
			h.verify("Foo", "1", "Bar", "2", false)
		}, cidTag("Bar", "2", "prod") + "&ignore[][pacticipant]=Foo&ignore[][version]=wrong", verdict{false, 1, "failed", []int{0, 1, 0}}},

		{"17 no target: against the latest versions, with a warning", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "2", true)
		}, "q[][pacticipant]=Foo&q[][version]=1&latestby=cvp&latest=true",
			verdict{true, 1, "WARN: It is recommended to specify the environment into which you are deploying", []int{1, 0, 0}}},

		{"all versions of two pacticipants", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "main")
			h.verify("Foo", "1", "Bar", "10", true)
			h.publishPact("Foo", "2", "Bar", 2, "main")
			h.verify("Foo", "2", "Bar", "20", false)
			h.publishPact("Foo", "3", "Bar", 3, "main")
		}, "q[][pacticipant]=Foo&q[][pacticipant]=Bar&latestby=cvpv", verdict{nil, 3, "", []int{1, 1, 1}}},

		{"main branch target", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "feat")
			h.verify("Foo", "1", "Bar", "10", true)
			h.must(201, http.MethodPut, "/pacticipants/Bar/branches/main/versions/10", map[string]any{})
		}, "q[][pacticipant]=Foo&q[][version]=1&latestby=cvp&latest=true&mainBranch=true", verdict{true, 1, "All required", []int{1, 0, 0}}},

		{"branch selector", func(h *harness) {
			h.publishPact("Foo", "1", "Bar", 1, "feat/x")
			h.verify("Foo", "1", "Bar", "10", true)
			h.deploy("Bar", "10", "production", "")
		}, "q[][pacticipant]=Foo&q[][branch]=feat%2Fx&latestby=cvpv&environment=production",
			verdict{true, 1, "WARN: It is recommended to specify the version number", []int{1, 0, 0}}},
	}
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) {
				// Each scenario gets its own broker: a fresh store would be cleaner but slower; the
				// pacticipant names are reused, so clear them first.
				h.t = t
				h.reset()
				sc.setup(h)
				h.expect(h.matrix(sc.query), sc.want)
			})
		}
	})
}

// ignoreFixture: Foo v1's pact with Bar failed verification by Bar v2, the latest prod.
func ignoreFixture(h *harness) {
	h.publishPact("Foo", "1", "Bar", 1, "main")
	h.verify("Foo", "1", "Bar", "2", false)
	h.tag("Bar", "2", "prod")
}

// reset deletes every pacticipant and environment, leaving an empty broker.
func (h *harness) reset() {
	h.t.Helper()
	list := h.must(200, http.MethodGet, "/pacticipants", nil)
	for _, p := range get(list.JSON, "_embedded", "pacticipants").([]any) {
		h.must(204, http.MethodDelete, "/pacticipants/"+get(p, "name").(string), nil)
	}
	envs := h.must(200, http.MethodGet, "/environments", nil)
	for _, e := range get(envs.JSON, "_embedded", "environments").([]any) {
		h.must(204, http.MethodDelete, "/environments/"+get(e, "uuid").(string), nil)
	}
}

func TestMatrixQueryValidation(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		h.publishPact("Foo", "1", "Bar", 1, "main")
		for _, tc := range []struct{ query, want string }{
			{"", "Please provide 1 or more version selectors."},
			{"q[][pacticipant]=Wiffle&q[][version]=1", "Pacticipant Wiffle not found"},
			{"q[][version]=1", "Please specify the pacticipant name"},
			{"q[][pacticipant]=Foo&q[][version]=1&q[][latest]=true", "A version number and latest/tag/branch/environment cannot both be specified for Foo"},
			{"q[][pacticipant]=Foo&q[][version]=1&environment=nowhere", "Environment with name 'nowhere' does not exist"},
			{"q[][pacticipant]=Foo&q[][version]=1&environment=x&tag=y", "Cannot specify more than one of tag, branch, mainBranch and environment"},
			{"q[][pacticipant]=Foo&q[][version]=1&latestby=xyz", "latestby must be one of cvp, cvpv or cp"},
			{"q[][pacticipant]=Foo&q[][version]=1&limit=0", "limit must be a whole number of at least 1"},
			{"q[][pacticipant]=Foo&q[][latest]=maybe", "latest must be true or false"},
		} {
			res := h.must(400, http.MethodGet, "/matrix?"+tc.query, nil)
			errs, _ := res.JSON["errors"].([]any)
			found := false
			for _, e := range errs {
				found = found || strings.Contains(e.(string), tc.want)
			}
			if !found {
				t.Errorf("%q: errors %v lack %q", tc.query, errs, tc.want)
			}
		}
		h.must(400, http.MethodGet, "/can-i-deploy", nil)
		h.must(400, http.MethodGet, "/can-i-deploy?pacticipant=Foo&version=1", nil)
	})
}

func TestRowLimitNeverChangesTheVerdict(t *testing.T) {
	eachBackend(t, api.Config{}, func(t *testing.T, h *harness) {
		h.publishPact("Foo", "1", "Bar", 1, "main")
		for i, ok := range []bool{true, true, true, false} {
			v := string(rune('a' + i))
			h.verify("Foo", "1", "Bar", v, ok)
			h.release("Bar", v, "production")
		}
		full := h.matrix(cid("Foo", "1", "production"))
		h.expect(full, verdict{false, 4, "failed", []int{3, 1, 0}})
		limited := h.matrix(cid("Foo", "1", "production") + "&limit=1")
		h.expect(limited, verdict{false, 1, "failed", []int{3, 1, 0}})
		// The other endpoints give the same answer.
		res := h.must(200, http.MethodGet, "/can-i-deploy?pacticipant=Foo&version=1&environment=production", nil)
		h.expect(res, verdict{false, 4, "failed", nil})
	})
}
