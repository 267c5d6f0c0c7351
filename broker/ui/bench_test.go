package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storebench"
	"github.com/treaty-dev/treaty/broker/store/storetest"
)

// benchConfig is a moderate broker, the API benchmark's: ten thousand versions, a hundred
// thousand verification results.
var benchConfig = storebench.Config{Pacticipants: 50, Integrations: 100, Versions: 10_000, Verifications: 100_000, Environments: 4, RandSeed: 1}

// benchDatabaseVariable names a broker seeded by `treaty-bench seed` (a SQLite file, whose
// manifest is beside it, or a postgres:// URL with TREATY_UI_BENCH_MANIFEST): the pages are
// then measured there instead, at the full size.
const benchDatabaseVariable = "TREATY_UI_BENCH_DATABASE"

type benchBroker struct {
	name     string
	store    *store.Store
	manifest *storebench.Manifest
}

func benchBrokers(b *testing.B) []benchBroker {
	if db := os.Getenv(benchDatabaseVariable); db != "" {
		st, err := store.Open(context.Background(), db, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		path := os.Getenv("TREATY_UI_BENCH_MANIFEST")
		if path == "" {
			path = db + ".manifest.json"
		}
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		var m storebench.Manifest
		if err := json.Unmarshal(data, &m); err != nil {
			b.Fatal(err)
		}
		return []benchBroker{{name: "seeded", store: st, manifest: &m}}
	}
	var out []benchBroker
	for _, be := range storetest.Open(b, storetest.Options{}) {
		m, err := storebench.Seed(context.Background(), be.Store, benchConfig)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, benchBroker{name: be.Name, store: be.Store, manifest: m})
	}
	return out
}

// benchPages are the pages to measure, each with a few addresses about different names.
func benchPages(m *storebench.Manifest) []struct {
	name  string
	paths []string
} {
	var pairs, latest, versions, cid, contracts, networks []string
	env := m.Environments[0]
	for _, p := range m.Pacticipants {
		networks = append(networks, "/ui/network?pacticipant="+url.QueryEscape(p.Name))
		if len(p.RecentVersions) == 0 {
			continue
		}
		v := p.RecentVersions[0]
		latest = append(latest, "/ui/matrix"+q("q[][pacticipant]", p.Name, "q[][latest]", "true"))
		versions = append(versions, "/ui/matrix"+q("q[][pacticipant]", p.Name, "q[][version]", v))
		for _, e := range m.Environments {
			cid = append(cid, "/ui/can-i-deploy"+q("pacticipant", p.Name, "version", v, "environment", e))
		}
		for _, c := range p.Providers {
			pairs = append(pairs, "/ui/matrix"+q("q[][pacticipant]", p.Name, "q[][pacticipant]", c.Provider))
			contracts = append(contracts, "/ui/contracts/"+url.PathEscape(p.Name)+"/"+url.PathEscape(c.Provider))
		}
	}
	var verifications []string
	n := max(m.Rows["verifications"], 1)
	for i := range 50 {
		verifications = append(verifications, "/ui/verifications/"+strconv.Itoa(1+(i*7919)%n))
	}
	return []struct {
		name  string
		paths []string
	}{
		{"overview", []string{"/ui"}},
		{"overview-filtered", []string{"/ui?status=failed&environment=" + url.QueryEscape(env), "/ui?q=a&status=success"}},
		{"overview-page-2", []string{"/ui?page=2"}},
		{"network", []string{"/ui/network"}},
		{"network-of-one", networks},
		{"matrix-integration", suffix(pairs, "&recent=20")}, // as the links open it
		{"matrix-integration-every-version", pairs},
		{"matrix-latest-version", latest},
		{"matrix-version", versions},
		{"can-i-deploy", cid},
		{"contract", contracts},
		{"verification", verifications},
		{"environments", []string{"/ui/environments"}},
		{"environment", []string{"/ui/environments/" + url.PathEscape(env)}},
		{"environment-history-page-5", []string{"/ui/environments?page=5"}},
		{"releases", []string{"/ui/releases"}},
	}
}

// BenchmarkPages renders each page through the real router over a seeded broker, on every
// available database.
func BenchmarkPages(b *testing.B) {
	for _, be := range benchBrokers(b) {
		b.Run(be.name, func(b *testing.B) {
			srv := api.New(be.store, nil, api.Config{})
			for _, pg := range benchPages(be.manifest) {
				b.Run(pg.name, func(b *testing.B) {
					if len(pg.paths) == 0 {
						b.Skip("no such names in this broker")
					}
					i := 0
					for b.Loop() {
						path := pg.paths[i%len(pg.paths)]
						i++
						req := httptest.NewRequest(http.MethodGet, path, nil)
						req.Header.Set("Accept", browserAccept)
						rec := httptest.NewRecorder()
						srv.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Fatalf("GET %s: status %d: %.300s", path, rec.Code, rec.Body.String())
						}
					}
				})
			}
		})
	}
}

func suffix(list []string, s string) []string {
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = x + s
	}
	return out
}
