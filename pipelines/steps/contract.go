package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/verifier"
)

func (d *Deps) contractTestStep() pipelines.Definition {
	return pipelines.Definition{
		Name:    "contract-test",
		Summary: "runs the consumer's contract tests, then publishes the pacts they wrote with the version and branch",
		Fact:    gates.ResultContractTests,
		Fields: []pipelines.Field{
			{Name: "run", Kind: pipelines.String, Required: true, Doc: "the consumer tests' command; it writes pacts to $PACT_OUTPUT_DIR"},
			{Name: "pacts", Kind: pipelines.String, Doc: "where the tests write their pacts (default: a fresh directory given to them as PACT_OUTPUT_DIR)"},
		},
		Run: d.runContractTest,
	}
}

func (d *Deps) runContractTest(ctx context.Context, sc *pipelines.StepContext) (pipelines.Result, error) {
	c, err := d.client()
	if err != nil {
		return pipelines.Result{}, err
	}
	dir := sc.Str("pacts")
	if dir == "" {
		if dir, err = os.MkdirTemp("", "treaty-pacts-"); err != nil {
			return pipelines.Result{}, err
		}
		defer os.RemoveAll(dir)
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(sc.Dir, dir)
	}
	if err := shell(ctx, sc, sc.Str("run"), nil, "PACT_OUTPUT_DIR="+dir); err != nil {
		return pipelines.Result{}, err
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		return pipelines.Result{}, pipelines.Permanentf("the contract tests passed but wrote no pact to %s", dir)
	}
	req := client.PublishRequest{Pacticipant: sc.Service, Version: sc.Version, Branch: sc.Branch}
	var names []string
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			return pipelines.Result{}, err
		}
		doc, err := broker.ParsePact(content)
		if err != nil {
			return pipelines.Result{}, pipelines.Permanentf("%s: %w", f, err)
		}
		if doc.ConsumerName() != sc.Service {
			return pipelines.Result{}, pipelines.Permanentf("%s is %s's pact, not %s's", f, doc.ConsumerName(), sc.Service)
		}
		req.Contracts = append(req.Contracts, client.Contract{Consumer: doc.ConsumerName(), Provider: doc.ProviderName(), Content: content})
		names = append(names, doc.ProviderName())
	}
	if _, err := c.Publish(ctx, req); err != nil {
		return pipelines.Result{}, err
	}
	msg := fmt.Sprintf("published %d pact(s) of %s %s (with %s)", len(names), sc.Service, sc.Version, strings.Join(names, ", "))
	if sc.Branch != "" {
		msg += " on branch " + sc.Branch
	}
	fmt.Fprintln(sc.Out, msg)
	return pipelines.Result{Message: msg}, nil
}

func (d *Deps) verifyStep() pipelines.Definition {
	return pipelines.Definition{
		Name:    "verify",
		Summary: "starts the provider, verifies it against the pacts the broker selects for it, and publishes the results",
		Fact:    "pact-verification",
		Fields: []pipelines.Field{
			{Name: "url", Kind: pipelines.String, Required: true, Doc: "where the provider answers, such as http://127.0.0.1:8081"},
			{Name: "start", Kind: pipelines.String, Doc: "the command that starts the provider for the step (stopped after it)"},
			{Name: "ready", Kind: pipelines.String, Doc: "the path answered once the provider is up (default /)"},
			{Name: "wait", Kind: pipelines.Duration, Doc: "how long to wait for the provider to come up (default 30s)"},
			{Name: "state-change-url", Kind: pipelines.String, Doc: "where provider states are set up"},
			{Name: "selectors", Kind: pipelines.StringList, Doc: "consumer version selectors as JSON (default: the main branch, and whatever is deployed or released)"},
			{Name: "pending", Kind: pipelines.Bool, Doc: "enable pending pacts (default true)"},
			{Name: "publish", Kind: pipelines.Bool, Doc: "publish the results (default true)"},
		},
		Run: d.runVerify,
	}
}

func (d *Deps) runVerify(ctx context.Context, sc *pipelines.StepContext) (pipelines.Result, error) {
	if d == nil || d.BrokerURL == "" {
		return pipelines.Result{}, pipelines.Permanentf("verify needs a broker")
	}
	if start := sc.Str("start"); start != "" {
		stop, err := background(sc, start)
		if err != nil {
			return pipelines.Result{}, err
		}
		defer stop()
	}
	wait := 30 * time.Second
	if w := sc.Str("wait"); w != "" {
		if d, err := time.ParseDuration(w); err == nil {
			wait = d
		}
	}
	base := strings.TrimRight(sc.Str("url"), "/")
	if err := waitReady(ctx, base+sc.Str("ready"), wait); err != nil {
		return pipelines.Result{}, err
	}
	selectors := sc.List("selectors")
	if len(selectors) == 0 {
		selectors = []string{`{"mainBranch":true}`, `{"deployedOrReleased":true}`}
	}
	opts := verifier.Options{Provider: sc.Service, ProviderBaseURL: base, BrokerURL: d.BrokerURL, BrokerToken: d.BrokerToken,
		BrokerUsername: d.BrokerUsername, BrokerPassword: d.BrokerPassword, StateChangeURL: sc.Str("state-change-url"),
		EnablePending: sc.Str("pending") != "false", Publish: sc.Str("publish") != "false", ProviderVersion: sc.Version, ProviderBranch: sc.Branch}
	for _, s := range selectors {
		opts.Selectors = append(opts.Selectors, json.RawMessage(s))
	}
	// One verification at a time in a process: the Pact engine prints to the process's
	// standard output, which the verifier silences by swapping file descriptor 1 for the
	// call, and two calls at once would leave it swapped for good.
	verifyMu.Lock()
	rep, err := verifier.Verify(ctx, opts, sc.Out)
	verifyMu.Unlock()
	if err != nil {
		return pipelines.Result{}, err
	}
	ok, failed, pending := rep.Counts()
	msg := fmt.Sprintf("%d interaction(s) verified, %d failed, %d pending", ok, failed, pending)
	if !rep.Success {
		rep.WriteText(sc.Out)
		return pipelines.Result{Message: msg}, pipelines.Permanentf("verification failed: %s", msg)
	}
	return pipelines.Result{Message: msg}, nil
}

var verifyMu sync.Mutex

// waitReady polls url until it answers (any status below 500) or wait passes.
func waitReady(ctx context.Context, url string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	hc := &http.Client{Timeout: 2 * time.Second}
	var last error
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return pipelines.Permanentf("bad url %q: %w", url, err)
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
			err = fmt.Errorf("answered %s", resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the provider did not come up at %s within %s: %v", url, wait, last)
}

func (d *Deps) canIDeployStep() pipelines.Definition {
	return pipelines.Definition{
		Name:    "can-i-deploy",
		Summary: "asks the broker whether the version can be deployed to an environment (the matrix of verification results)",
		Fields: []pipelines.Field{
			{Name: "to", Kind: pipelines.String, Required: true, Doc: "the environment"},
			{Name: "retry-while-unknown", Kind: pipelines.Int, Doc: "how many more times to ask while a result is unknown"},
			{Name: "retry-interval", Kind: pipelines.Duration, Doc: "the wait between two questions (default 10s)"},
		},
		Run: d.runCanIDeploy,
	}
}

func (d *Deps) runCanIDeploy(ctx context.Context, sc *pipelines.StepContext) (pipelines.Result, error) {
	c, err := d.client()
	if err != nil {
		return pipelines.Result{}, err
	}
	retries := 0
	fmt.Sscan(sc.Str("retry-while-unknown"), &retries)
	interval := 10 * time.Second
	if s := sc.Str("retry-interval"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			interval = d
		}
	}
	to := sc.Str("to")
	q := client.CanIDeployQuery([]client.MatrixSelector{{Pacticipant: sc.Service, Version: sc.Version}}, nil, client.DeployTarget{Environment: to})
	for attempt := 0; ; attempt++ {
		m, err := c.Matrix(ctx, q)
		if err != nil {
			return pipelines.Result{}, err
		}
		s := m.Summary
		switch {
		case s.Deployable != nil && *s.Deployable:
			return pipelines.Result{Message: fmt.Sprintf("can deploy to %s: %s", to, s.Reason)}, nil
		case s.Deployable != nil:
			return pipelines.Result{}, pipelines.Permanentf("cannot deploy to %s: %s", to, s.Reason)
		case attempt >= retries:
			return pipelines.Result{}, pipelines.Permanentf("cannot tell whether it can deploy to %s: %s", to, s.Reason)
		}
		fmt.Fprintf(sc.Out, "unknown (%s); asking again in %s\n", s.Reason, interval)
		select {
		case <-ctx.Done():
			return pipelines.Result{}, ctx.Err()
		case <-time.After(interval):
		}
	}
}
