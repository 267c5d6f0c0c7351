package api_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/store/storebench"
	"github.com/treaty-dev/treaty/broker/store/storetest"
)

// benchConfig is a moderate broker: ten thousand versions, a hundred thousand verification
// results. cmd/treaty-bench measures the full size from another process.
var benchConfig = storebench.Config{Pacticipants: 50, Integrations: 100, Versions: 10_000, Verifications: 100_000, Environments: 4, RandSeed: 1}

type benchScenario struct {
	name string
	ok   []int
	next func(w *storebench.Workload, r *rand.Rand, n int) storebench.Request
}

// benchScenarios are the requests of cmd/treaty-bench's load scenarios; publish comes last as
// it adds versions.
var benchScenarios = []benchScenario{
	{"can-i-deploy", []int{200}, func(w *storebench.Workload, r *rand.Rand, _ int) storebench.Request { return w.CanIDeploy(r) }},
	{"matrix", []int{200}, func(w *storebench.Workload, r *rand.Rand, _ int) storebench.Request { return w.CanIDeployMatrix(r) }},
	{"matrix-integration", []int{200}, func(w *storebench.Workload, r *rand.Rand, _ int) storebench.Request { return w.IntegrationMatrix(r) }},
	{"for-verification", []int{200}, func(w *storebench.Workload, r *rand.Rand, _ int) storebench.Request { return w.ForVerification(r) }},
	{"publish", []int{200, 201}, func(w *storebench.Workload, r *rand.Rand, n int) storebench.Request {
		return w.Publish(r, storebench.VersionNumber(0, 0, n))
	}},
}

// BenchmarkBroker measures each request through the real router on a seeded store, on every
// available database.
func BenchmarkBroker(b *testing.B) {
	for _, be := range storetest.Open(b, storetest.Options{}) {
		b.Run(be.Name, func(b *testing.B) {
			m, err := storebench.Seed(context.Background(), be.Store, benchConfig)
			if err != nil {
				b.Fatal(err)
			}
			w, err := storebench.NewWorkload(m)
			if err != nil {
				b.Fatal(err)
			}
			srv := api.New(be.Store, nil, api.Config{})
			for _, sc := range benchScenarios {
				b.Run(sc.name, func(b *testing.B) {
					r := rand.New(rand.NewPCG(1, 2))
					n := 0
					for b.Loop() {
						req := sc.next(w, r, n)
						n++
						if status, body := serveBench(srv, req); !okStatus(sc.ok, status) {
							b.Fatalf("%s %s: status %d: %.300s", req.Method, req.Path, status, body)
						}
					}
				})
			}
		})
	}
}

// TestBenchWorkload checks that every benchmark request is one the broker answers.
func TestBenchWorkload(t *testing.T) {
	cfg := storebench.Config{Pacticipants: 10, Integrations: 15, Versions: 400, Verifications: 2000, Environments: 2, RandSeed: 3}
	for _, be := range storetest.Open(t, storetest.Options{}) {
		t.Run(be.Name, func(t *testing.T) {
			m, err := storebench.Seed(context.Background(), be.Store, cfg)
			if err != nil {
				t.Fatal(err)
			}
			w, err := storebench.NewWorkload(m)
			if err != nil {
				t.Fatal(err)
			}
			srv := api.New(be.Store, nil, api.Config{})
			r := rand.New(rand.NewPCG(1, 2))
			for _, sc := range benchScenarios {
				for n := range 5 {
					req := sc.next(w, r, n)
					if status, body := serveBench(srv, req); !okStatus(sc.ok, status) {
						t.Errorf("%s: %s %s: status %d: %.300s", sc.name, req.Method, req.Path, status, body)
					}
				}
			}
		})
	}
}

func serveBench(srv http.Handler, r storebench.Request) (int, []byte) {
	req := httptest.NewRequest(r.Method, r.Path, bytes.NewReader(r.Body))
	req.Header.Set("Accept", "application/hal+json, application/json")
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func okStatus(ok []int, status int) bool {
	for _, s := range ok {
		if s == status {
			return true
		}
	}
	return false
}
