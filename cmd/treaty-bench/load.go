package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/store/storebench"
)

type loadOptions struct {
	baseURL  string
	manifest string
	scenario string
	out      string
	clients  int
	requests int
	duration time.Duration
	warmup   time.Duration
	timeout  time.Duration
	seed     uint64
}

// scenarios maps a scenario's name to the request each client sends next, and to the
// statuses that count as success.
var scenarios = map[string]struct {
	ok   []int
	next func(w *storebench.Workload, r *rand.Rand, run int64, client, n int) storebench.Request
}{
	"can-i-deploy": {[]int{200}, func(w *storebench.Workload, r *rand.Rand, _ int64, _, _ int) storebench.Request {
		return w.CanIDeploy(r)
	}},
	"matrix": {[]int{200}, func(w *storebench.Workload, r *rand.Rand, _ int64, _, _ int) storebench.Request {
		return w.CanIDeployMatrix(r)
	}},
	"matrix-integration": {[]int{200}, func(w *storebench.Workload, r *rand.Rand, _ int64, _, _ int) storebench.Request {
		return w.IntegrationMatrix(r)
	}},
	"for-verification": {[]int{200}, func(w *storebench.Workload, r *rand.Rand, _ int64, _, _ int) storebench.Request {
		return w.ForVerification(r)
	}},
	"publish": {[]int{200, 201}, func(w *storebench.Workload, r *rand.Rand, run int64, client, n int) storebench.Request {
		return w.Publish(r, storebench.VersionNumber(run, client, n))
	}},
}

func scenarioNames() string {
	names := make([]string, 0, len(scenarios))
	for name := range scenarios {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func newLoadCmd() *cobra.Command {
	o := loadOptions{}
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Drive a running treaty serve with concurrent clients and report latency",
		Long: `Drive a running treaty serve (on a loopback address only) with concurrent keep-alive clients
for a fixed time or number of requests, picking realistic targets from the seed manifest, and
report requests, errors, throughput and latency percentiles.

Scenarios: ` + scenarioNames() + `.
  can-i-deploy        GET /can-i-deploy?pacticipant=P&version=V&environment=E
  matrix              the pact-broker CLI's form: GET /matrix?q[][pacticipant]=P&q[][version]=V&latestby=cvpv&environment=E
  matrix-integration  the UI's matrix of one integration, 100 rows
  for-verification    POST /pacts/provider/P/for-verification (mainBranch + deployedOrReleased, pending status)
  publish             POST /contracts/publish of a new consumer main version with all its pacts`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&o.baseURL, "base-url", envOr("TREATY_BENCH_BASE_URL", ""), "the broker, on a loopback address: http://127.0.0.1:PORT (TREATY_BENCH_BASE_URL)")
	f.StringVar(&o.manifest, "manifest", envOr("TREATY_BENCH_MANIFEST", ""), "the manifest seed wrote (TREATY_BENCH_MANIFEST)")
	f.StringVar(&o.scenario, "scenario", "can-i-deploy", "what the clients ask: "+scenarioNames())
	f.StringVar(&o.out, "out", "", "also write the result as JSON to this file (for report)")
	f.IntVar(&o.clients, "clients", envInt("TREATY_BENCH_CLIENTS", 16), "concurrent clients (TREATY_BENCH_CLIENTS)")
	f.IntVar(&o.requests, "requests", 0, "stop after this many requests, warm-up included (0: only the duration bounds the run)")
	f.DurationVar(&o.duration, "duration", 30*time.Second, "how long to measure, after the warm-up")
	f.DurationVar(&o.warmup, "warmup", 2*time.Second, "how long to send requests before measuring")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "per-request timeout")
	f.Uint64Var(&o.seed, "seed", 1, "random seed for the targets")
	return cmd
}

// loadResult is what a run measured; report reads it back.
type loadResult struct {
	Kind          string         `json:"kind"` // "load"
	Backend       string         `json:"backend"`
	Label         string         `json:"label,omitempty"`
	Verifications int            `json:"verifications"`
	Versions      int            `json:"versions"`
	Scenario      string         `json:"scenario"`
	Clients       int            `json:"clients"`
	Seconds       float64        `json:"seconds"`
	Requests      int            `json:"requests"`
	Errors        int            `json:"errors"`
	Statuses      map[string]int `json:"statuses"`
	FirstError    string         `json:"firstError,omitempty"`
	Throughput    float64        `json:"throughput"` // successful requests per second
	P50           float64        `json:"p50Ms"`
	P90           float64        `json:"p90Ms"`
	P99           float64        `json:"p99Ms"`
	Max           float64        `json:"maxMs"`
	Mean          float64        `json:"meanMs"`
	Answers       map[string]int `json:"answers,omitempty"` // from a sample of the responses
}

func (o *loadOptions) run(ctx context.Context, cmd *cobra.Command) error {
	sc, ok := scenarios[o.scenario]
	switch {
	case !ok:
		return usageError{fmt.Errorf("--scenario %q is not one of %s", o.scenario, scenarioNames())}
	case o.manifest == "":
		return usageError{errors.New("--manifest is required")}
	case o.clients < 1 || o.clients > 1024:
		return usageError{errors.New("--clients must be between 1 and 1024")}
	case o.duration <= 0 || o.duration > time.Hour:
		return usageError{errors.New("--duration must be positive and at most an hour")}
	case o.warmup < 0 || o.requests < 0:
		return usageError{errors.New("--warmup and --requests cannot be negative")}
	}
	base, err := loopbackURL(o.baseURL)
	if err != nil {
		return usageError{err}
	}
	m, err := storebench.ReadManifest(o.manifest)
	if err != nil {
		return err
	}
	w, err := storebench.NewWorkload(m)
	if err != nil {
		return err
	}
	client := loopbackClient(o.clients, o.timeout)
	defer client.CloseIdleConnections()

	res := loadResult{Kind: "load", Backend: m.Backend, Label: m.Label, Verifications: m.Rows["verifications"], Versions: m.Rows["versions"],
		Scenario: o.scenario, Clients: o.clients, Statuses: map[string]int{}, Answers: map[string]int{}}
	run := time.Now().UnixNano()
	start := time.Now()
	measureFrom, deadline := start.Add(o.warmup), start.Add(o.warmup+o.duration)
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(o.timeout))
	defer cancel()
	var issued atomic.Int64
	var mu sync.Mutex
	var samples []time.Duration
	var firstError string
	var wg sync.WaitGroup
	for c := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(o.seed, uint64(c)))
			var mine []time.Duration
			statuses, answers := map[string]int{}, map[string]int{}
			var body bytes.Buffer
			for n := 0; ctx.Err() == nil && time.Now().Before(deadline); n++ {
				if o.requests > 0 && issued.Add(1) > int64(o.requests) {
					break
				}
				req := sc.next(w, r, run, c, n)
				t0 := time.Now()
				status, err := send(ctx, client, base, req, &body)
				d := time.Since(t0)
				if t0.Before(measureFrom) {
					continue
				}
				good := err == nil && slices.Contains(sc.ok, status) && isJSONObject(body.Bytes())
				key := strconv.Itoa(status)
				switch {
				case err != nil:
					key = "transport error"
				case !good && slices.Contains(sc.ok, status):
					key += " (not a JSON object)"
				}
				statuses[key]++
				if !good {
					mu.Lock()
					if firstError == "" {
						firstError = fmt.Sprintf("%s %s → %s: %s", req.Method, req.Path, key, truncate(errText(err, body.Bytes()), 300))
					}
					mu.Unlock()
					continue
				}
				mine = append(mine, d)
				if n%10 == 0 {
					sampleAnswer(o.scenario, body.Bytes(), answers)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			samples = append(samples, mine...)
			for k, v := range statuses {
				res.Statuses[k] += v
			}
			for k, v := range answers {
				res.Answers[k] += v
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(measureFrom)
	if elapsed > o.duration {
		elapsed = o.duration
	}
	res.Seconds = elapsed.Seconds()
	res.FirstError = firstError
	for _, n := range res.Statuses {
		res.Requests += n
	}
	res.Errors = res.Requests - len(samples)
	summarise(&res, samples)
	printResult(cmd.OutOrStdout(), res)
	if o.out != "" {
		data, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(o.out, append(data, '\n'), 0o644); err != nil {
			return err
		}
	}
	if ctx.Err() != nil && time.Now().Before(deadline) {
		return ctx.Err() // interrupted
	}
	return nil
}

// loopbackURL accepts only a broker on this machine.
func loopbackURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("--base-url is required")
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil {
		return nil, fmt.Errorf("--base-url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("--base-url must be http:// or https:// (got %q)", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		u.Host = strings.Replace(u.Host, "localhost", "127.0.0.1", 1)
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("--base-url must be a loopback address such as http://127.0.0.1:9292 (got %q)", raw)
	}
	return u, nil
}

// loopbackClient keeps one connection per client alive, uses no proxy, follows no redirect
// and refuses to dial anything but a loopback address.
func loopbackClient(clients int, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy: nil,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, _, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, err
				}
				if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
					return nil, fmt.Errorf("refusing to dial %s: not a loopback address", addr)
				}
				return dialer.DialContext(ctx, network, addr)
			},
			MaxIdleConns:        2 * clients,
			MaxIdleConnsPerHost: 2 * clients,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func send(ctx context.Context, client *http.Client, base *url.URL, r storebench.Request, body *bytes.Buffer) (int, error) {
	body.Reset()
	var rd io.Reader
	if r.Body != nil {
		rd = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, base.String()+r.Path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/hal+json, application/json")
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = body.ReadFrom(resp.Body)
	return resp.StatusCode, err
}

func isJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 1 && b[0] == '{'
}

func errText(err error, body []byte) string {
	if err != nil {
		return err.Error()
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return "(empty body)"
	}
	return string(body)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// sampleAnswer tallies what a response said, to show that the targets are realistic: the
// deployable verdicts, or the number of pacts to verify.
func sampleAnswer(scenario string, body []byte, answers map[string]int) {
	switch scenario {
	case "can-i-deploy", "matrix", "matrix-integration":
		var v struct {
			Summary struct {
				Deployable *bool `json:"deployable"`
			} `json:"summary"`
		}
		if json.Unmarshal(body, &v) != nil {
			return
		}
		switch d := v.Summary.Deployable; {
		case d == nil:
			answers["deployable: unknown"]++
		case *d:
			answers["deployable: yes"]++
		default:
			answers["deployable: no"]++
		}
	case "for-verification":
		var v struct {
			Embedded struct {
				Pacts []struct {
					VerificationProperties struct {
						Pending bool `json:"pending"`
					} `json:"verificationProperties"`
				} `json:"pacts"`
			} `json:"_embedded"`
		}
		if json.Unmarshal(body, &v) != nil {
			return
		}
		answers["responses"]++
		answers["pacts"] += len(v.Embedded.Pacts)
		for _, p := range v.Embedded.Pacts {
			if p.VerificationProperties.Pending {
				answers["pending pacts"]++
			}
		}
	}
}

// summarise computes the percentiles by nearest rank over the sorted samples.
func summarise(res *loadResult, samples []time.Duration) {
	if res.Seconds > 0 {
		res.Throughput = float64(len(samples)) / res.Seconds
	}
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rank := func(p float64) time.Duration {
		i := int(float64(len(samples))*p+0.999999) - 1
		return samples[min(max(i, 0), len(samples)-1)]
	}
	var total time.Duration
	for _, d := range samples {
		total += d
	}
	res.P50, res.P90, res.P99, res.Max = ms(rank(0.50)), ms(rank(0.90)), ms(rank(0.99)), ms(samples[len(samples)-1])
	res.Mean = ms(total / time.Duration(len(samples)))
}

func printResult(w io.Writer, r loadResult) {
	size := r.Label
	if size == "" {
		size = fmt.Sprintf("%d verifications", r.Verifications)
	}
	fmt.Fprintf(w, "%s on %s (%s, %d verifications): %d clients for %.1fs\n", r.Scenario, r.Backend, size, r.Verifications, r.Clients, r.Seconds)
	fmt.Fprintf(w, "  requests %d, errors %d, throughput %.1f req/s\n", r.Requests, r.Errors, r.Throughput)
	fmt.Fprintf(w, "  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  mean %.2f\n", r.P50, r.P90, r.P99, r.Max, r.Mean)
	keys := make([]string, 0, len(r.Statuses))
	for k := range r.Statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, r.Statuses[k])
	}
	fmt.Fprintf(w, "  statuses: %s\n", strings.Join(parts, ", "))
	if len(r.Answers) > 0 {
		keys = keys[:0]
		for k := range r.Answers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts = parts[:0]
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.Answers[k]))
		}
		fmt.Fprintf(w, "  sampled answers: %s\n", strings.Join(parts, ", "))
	}
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
	}
}
