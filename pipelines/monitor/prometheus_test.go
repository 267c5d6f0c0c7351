package monitor_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/pipelines/deploy"
	"github.com/treaty-dev/treaty/pipelines/monitor"
	"github.com/treaty-dev/treaty/pipelines/monitor/promtest"
)

// paymentService builds the example payment-service into the test's directory.
func paymentService(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "payment-service")
	cmd := exec.Command("go", "build", "-o", bin, "./examples/payment-service")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/payment-service: %v\n%s", err, out)
	}
	return bin
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// runService starts the binary with args on a free loopback port and returns its URL; it
// is stopped when the test ends.
func runService(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--listen", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case <-time.After(10 * time.Second):
		t.Fatal("payment-service did not say where it listens")
	}
	return ""
}

// load charges through each URL about every 10ms until the test ends.
func load(t *testing.T, urls ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	client := &http.Client{Timeout: 2 * time.Second}
	for _, u := range urls {
		wg.Go(func() {
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u+"/charge",
					strings.NewReader(`{"order_id": "o-1", "amount": 100, "card_token": "tok_visa"}`))
				req.Header.Set("Content-Type", "application/json")
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
				}
				select {
				case <-ctx.Done():
				case <-time.After(10 * time.Millisecond):
				}
			}
		})
	}
}

func hostOf(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// errorRateQuery is the share of 5xx answers. "or vector(0)" matters: a service that never
// failed has no 5xx series at all, and without it the ratio has no data — which this
// package calls inconclusive, not healthy.
func errorRateQuery(job string) string {
	return fmt.Sprintf(`(sum(rate(http_requests_total{job=%q,code=~"5.."}[10s])) or vector(0)) / sum(rate(http_requests_total{job=%[1]q}[10s]))`, job)
}

// A real Prometheus scraping two real payment-services: the healthy one passes, the one
// failing half its charges fails, and the query as commonly written (without "or
// vector(0)") is inconclusive on the healthy one instead of passing it.
func TestPrometheusAnalysis(t *testing.T) {
	t.Parallel()
	bin := paymentService(t)
	healthy := runService(t, bin)
	failing := runService(t, bin, "--error-rate", "0.5")
	load(t, healthy, failing)
	prom := promtest.Start(t, map[string][]string{"healthy": {hostOf(t, healthy)}, "failing": {hostOf(t, failing)}})
	ctx := context.Background()
	for _, job := range []string{"healthy", "failing"} {
		if _, err := prom.WaitFor(ctx, fmt.Sprintf(`sum(rate(http_requests_total{job=%q}[10s])) > 0`, job), 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	src, err := monitor.NewPrometheus(prom.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	analysis := func(query string) monitor.Analysis {
		return monitor.Analysis{
			Name:             "error-rate",
			Query:            query,
			SuccessCondition: "result < 0.05",
			FailureCondition: "result >= 0.05",
			Window:           4 * time.Second,
			Interval:         time.Second,
			MinSamples:       &monitor.SampleFloor{Query: `sum(increase(http_requests_total[10s]))`, Min: 10},
		}
	}
	cases := []struct {
		name    string
		query   string
		outcome monitor.Outcome
		reason  string
	}{
		{"healthy", errorRateQuery("healthy"), monitor.Passed, "5 of 5 measurements successful"},
		{"failing", errorRateQuery("failing"), monitor.Failed, "result >= 0.05"},
		{"no 5xx series", `sum(rate(http_requests_total{job="healthy",code=~"5.."}[10s])) / sum(rate(http_requests_total{job="healthy"}[10s]))`,
			monitor.Inconclusive, "no data"},
	}
	results := make([]monitor.Result, len(cases))
	errs := make([]error, len(cases))
	var wg sync.WaitGroup
	for i, tc := range cases {
		wg.Go(func() { results[i], errs[i] = (&monitor.Monitor{Source: src}).Run(ctx, analysis(tc.query)) })
	}
	wg.Wait()
	for i, tc := range cases {
		res := results[i]
		if errs[i] != nil {
			t.Errorf("%s: %v", tc.name, errs[i])
			continue
		}
		if res.Outcome != tc.outcome || !strings.Contains(res.Reason, tc.reason) {
			t.Errorf("%s: %s (%s), want %s (%s)", tc.name, res.Outcome, res.Reason, tc.outcome, tc.reason)
		}
		for _, m := range res.Measurements {
			if m.Samples == nil || *m.Samples < 10 {
				t.Errorf("%s: measurement without its sample count: %+v", tc.name, m)
			}
		}
		t.Logf("%s: %s after %v: %s", tc.name, res.Outcome, res.Finished.Sub(res.Started).Round(time.Millisecond), res.Reason)
	}
	if res := results[1]; len(res.Measurements) > 0 {
		if v := res.Measurements[len(res.Measurements)-1].Value; v == nil || *v < 0.3 || *v > 0.7 {
			t.Errorf("failing service's error rate %v, want about 0.5", v)
		}
	}

	// The shapes of answers Prometheus gives, as the source reads them.
	for _, tc := range []struct {
		query string
		want  int // values
		err   string
	}{
		{`scalar(vector(0.25))`, 1, ""},
		{`vector(1) == 2`, 0, ""},
		{`up`, 2, ""},
		{`up[3s]`, -1, ""}, // a matrix: every value of both series
		{`"a string"`, 0, `unexpected value type "string"`},
		{`sum(rate(`, 0, "rejected the query"},
	} {
		s, err := src.Query(ctx, tc.query, time.Now())
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want an error saying %q", tc.query, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.query, err)
		case tc.want >= 0 && len(s.Values) != tc.want, tc.want < 0 && len(s.Values) < 3:
			t.Errorf("%s: values %v", tc.query, s.Values)
		}
	}
}

// An unreachable Prometheus is never a pass: the errors end the watch inconclusive.
func TestPrometheusUnreachable(t *testing.T) {
	src, err := monitor.NewPrometheus("http://"+closedAddr(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &monitor.Monitor{Source: src, Clock: &stepClock{now: t0}}
	res, err := m.Run(context.Background(), errorRateAnalysis(func(a *monitor.Analysis) { a.Query = errorRateQuery("x") }))
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != monitor.Inconclusive || res.Errored != 5 || !strings.Contains(res.Reason, "is unreachable") {
		t.Errorf("%s with %d errors: %s", res.Outcome, res.Errored, res.Reason)
	}
}

func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// The seed's story in small: payment-service runs locally behind a proxy, a release that
// fails half its charges goes out, Prometheus sees its error rate rise, and the guard rolls
// it back to the previous version through the same deployer — all real processes.
func TestGuardRollsBackABadRelease(t *testing.T) {
	t.Parallel()
	bin := paymentService(t)
	local := &deploy.Local{Replicas: 1, Resolve: func(_ context.Context, req deploy.Request) (deploy.Release, error) {
		args := []string{"--listen", "{addr}"}
		if req.Version == "v2" {
			args = append(args, "--error-rate", "0.5")
		}
		return deploy.Release{Binary: bin, Args: args}, nil
	}}
	t.Cleanup(func() { _ = local.Close() })
	ctx := context.Background()
	req := func(v string) deploy.Request {
		return deploy.Request{Service: "payment-service", Environment: "production", Version: v, Image: "payment-service:" + v}
	}
	if _, err := local.Apply(ctx, deploy.Plan{Request: req("v1")}); err != nil {
		t.Fatal(err)
	}
	proxy, _ := local.URL("payment-service", "production")
	load(t, proxy)
	prom := promtest.Start(t, map[string][]string{"payment": {hostOf(t, proxy)}})
	if _, err := prom.WaitFor(ctx, `sum(rate(http_requests_total{job="payment"}[10s])) > 0`, 20*time.Second); err != nil {
		t.Fatal(err)
	}

	plan, err := local.Plan(ctx, req("v2"))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := local.Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	src, err := monitor.NewPrometheus(prom.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := &monitor.Guard{Monitor: &monitor.Monitor{Source: src}, Deployer: local}
	start := time.Now()
	verdict, err := g.Watch(ctx, bad, monitor.Analysis{
		Name:             "error-rate",
		Query:            errorRateQuery("payment"),
		SuccessCondition: "result < 0.05",
		FailureCondition: "result >= 0.05",
		Window:           15 * time.Second,
		Interval:         time.Second,
		FailureLimit:     1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s after %v: %s", verdict.Result.Outcome, time.Since(start).Round(time.Millisecond), verdict.Result.Reason)
	if verdict.Result.Outcome != monitor.Failed || verdict.Rollback == nil || verdict.Rollback.Request.Version != "v1" {
		t.Fatalf("verdict %s, rollback %+v", verdict.Result.Outcome, verdict.Rollback)
	}
	st, err := local.Status(ctx, *verdict.Rollback)
	if err != nil || st.Health != deploy.Healthy {
		t.Errorf("after the rollback: %+v, %v", st, err)
	}
}
