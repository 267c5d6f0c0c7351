// Package promtest starts a real Prometheus for tests: Debian's prometheus package
// (/usr/bin/prometheus) on a free loopback port, scraping the given targets every second,
// with its storage in a temporary directory, stopped when the test ends.
package promtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Binary is where Debian's prometheus package installs the server.
const Binary = "/usr/bin/prometheus"

// Prometheus is a running server.
type Prometheus struct {
	// URL is its address, http://127.0.0.1:PORT.
	URL string
}

// Start starts Prometheus scraping targets (job name → host:port list) every second, and
// waits until it is ready. Without the binary it skips the test, unless CI is set: CI must
// run these tests (.ci/install-tools.sh installs it).
func Start(t testing.TB, targets map[string][]string) *Prometheus {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatalf("%s is missing: CI must run the Prometheus tests (.ci/install-tools.sh installs Debian's prometheus)", Binary)
		}
		t.Skipf("skipping: %s is not installed (apt-get install prometheus, or make setup as root)", Binary)
	}
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n")
	jobs := make([]string, 0, len(targets))
	for job := range targets {
		jobs = append(jobs, job)
	}
	sort.Strings(jobs)
	for _, job := range jobs {
		quoted := make([]string, len(targets[job]))
		for i, tg := range targets[job] {
			quoted[i] = strconv.Quote(tg)
		}
		fmt.Fprintf(&cfg, "  - job_name: %q\n    static_configs:\n      - targets: [%s]\n", job, strings.Join(quoted, ", "))
	}
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for range 3 { // a free port can be taken before Prometheus binds it
		p, err := start(t, dir, config)
		if err == nil {
			return p
		}
		lastErr = err
	}
	t.Fatalf("start %s: %v", Binary, lastErr)
	return nil
}

func start(t testing.TB, dir, config string) (*Prometheus, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	var logs syncBuffer
	cmd := exec.Command(Binary,
		"--config.file="+config,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
		// New targets are picked up at once rather than after the default 5s.
		"--scrape.discovery-reload-interval=100ms",
	)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("prometheus exited before it was ready (%v): %s", err, logs.String())
		default:
		}
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("prometheus on %s not ready within 15s: %s", addr, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", logs.String())
		}
	})
	return &Prometheus{URL: base}, nil
}

// WaitFor polls an instant query until it returns at least one sample, and returns the
// first sample's value: for tests that need scraped data before they measure.
func (p *Prometheus) WaitFor(ctx context.Context, query string, timeout time.Duration) (float64, error) {
	deadline := time.Now().Add(timeout)
	for {
		v, ok, err := p.query(ctx, query)
		if err == nil && ok {
			return v, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%q returned no data within %v (last error: %v)", query, timeout, err)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (p *Prometheus) query(ctx context.Context, q string) (float64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/query?query="+url.QueryEscape(q), nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, false, err
	}
	if body.Status != "success" {
		return 0, false, fmt.Errorf("query %q: %s", q, body.Error)
	}
	if len(body.Data.Result) == 0 {
		return 0, false, nil
	}
	s, _ := body.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil, err
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		b.buf.Reset()
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
