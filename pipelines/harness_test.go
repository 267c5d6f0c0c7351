package pipelines_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/deploy"
	"github.com/treaty-dev/treaty/pipelines/steps"
)

// harness is a real broker (the API over a real store, on loopback) with staging and
// production, a registry of Treaty's steps plus two of the test's own, and a deployer that
// writes what runs where into files.
type harness struct {
	t        *testing.T
	store    *store.Store
	url      string
	client   *client.Client
	broker   steps.Broker
	reg      *pipelines.Registry
	deployer *dirDeployer
	out      *syncBuffer
}

func newHarness(t *testing.T, policy string) *harness {
	t.Helper()
	s := storetest.Open(t, storetest.Options{})[0].Store
	srv := httptest.NewServer(api.New(s, nil, api.Config{}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, env := range []client.EnvironmentRequest{{Name: "staging"}, {Name: "production", Production: true}} {
		if _, err := c.CreateEnvironment(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	if policy != "" {
		if _, _, err := c.ApplyPolicy(ctx, client.PolicyRequest{Document: policy, AppliedBy: "test"}); err != nil {
			t.Fatalf("apply policy: %v", err)
		}
	}
	h := &harness{t: t, store: s, url: srv.URL, client: c, broker: steps.Broker{Client: c}, out: &syncBuffer{},
		deployer: &dirDeployer{dir: t.TempDir()}}
	h.reg = steps.Registry(&steps.Deps{Client: c, BrokerURL: srv.URL})
	h.reg.ReplaceDeployer(pipelines.DeployerDefinition{Name: "dir", Summary: "test: files", New: func(pipelines.DeployConfig) (deploy.Deployer, error) {
		return h.deployer, nil
	}})
	// record-image stands for image-push: it records an image by digest as the candidate's
	// artifact, without a registry.
	h.reg.Register(pipelines.Definition{Name: "record-image", Run: func(ctx context.Context, sc *pipelines.StepContext) (pipelines.Result, error) {
		ref := fmt.Sprintf("registry.test/%s:%s@sha256:%064x", sc.Service, sc.Version, len(sc.Version)+len(sc.Service))
		if _, err := c.RecordArtifact(ctx, sc.Service, sc.Version, client.ArtifactRequest{Image: ref, Author: "dana"}); err != nil {
			return pipelines.Result{}, err
		}
		return pipelines.Result{Outputs: map[string]string{"image_ref": ref}}, nil
	}})
	return h
}

func (h *harness) parse(spec string) *pipelines.Spec {
	h.t.Helper()
	dir := h.t.TempDir()
	path := filepath.Join(dir, "treaty.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		h.t.Fatal(err)
	}
	s, err := pipelines.ParseFile(path, h.reg)
	if err != nil {
		h.t.Fatalf("spec:\n%v", err)
	}
	return s
}

func (h *harness) runner(w pipelines.Watcher) *pipelines.Runner {
	return &pipelines.Runner{Registry: h.reg, Broker: h.broker, Watcher: w, Out: h.out, LockTTL: 2 * time.Second}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// dirDeployer deploys by writing DIR/ENV/SERVICE: the version and image that run there, one
// line per deploy, newest last. It counts the deploys in flight per (service, environment).
type dirDeployer struct {
	dir   string
	delay time.Duration

	mu       sync.Mutex
	inFlight map[string]int
	maxSeen  int
	applied  int
}

func (d *dirDeployer) file(req deploy.Request) string {
	return filepath.Join(d.dir, req.Environment, req.Service)
}

// current is the version running in env ("" when none).
func (d *dirDeployer) current(env, service string) string {
	data, err := os.ReadFile(filepath.Join(d.dir, env, service))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	version, _, _ := strings.Cut(lines[len(lines)-1], " ")
	return version
}

func (d *dirDeployer) Plan(ctx context.Context, req deploy.Request) (deploy.Plan, error) {
	prev := d.current(req.Environment, req.Service)
	return deploy.Plan{Request: req, Previous: prev, NoOp: prev == req.Version,
		Changes: []string{fmt.Sprintf("%s: %q -> %q", d.file(req), prev, req.Version)}}, nil
}

func (d *dirDeployer) Apply(ctx context.Context, p deploy.Plan) (deploy.Deployment, error) {
	key := p.Request.Service + "/" + p.Request.Environment
	d.mu.Lock()
	if d.inFlight == nil {
		d.inFlight = map[string]int{}
	}
	d.inFlight[key]++
	d.maxSeen = max(d.maxSeen, d.inFlight[key])
	d.applied++
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.inFlight[key]--
		d.mu.Unlock()
	}()
	select {
	case <-ctx.Done():
		return deploy.Deployment{}, ctx.Err()
	case <-time.After(d.delay):
	}
	if err := d.write(p.Request, p.Request.Version); err != nil {
		return deploy.Deployment{}, err
	}
	return deploy.Deployment{Request: p.Request, Previous: p.Previous, Ref: "file " + d.file(p.Request), AppliedAt: time.Now()}, nil
}

func (d *dirDeployer) write(req deploy.Request, version string) error {
	if err := os.MkdirAll(filepath.Dir(d.file(req)), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(d.file(req), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s %s\n", version, req.Image)
	return err
}

func (d *dirDeployer) Status(ctx context.Context, dep deploy.Deployment) (deploy.Status, error) {
	return deploy.Status{Health: deploy.Healthy}, nil
}

func (d *dirDeployer) Rollback(ctx context.Context, dep deploy.Deployment, reason string) (deploy.Deployment, error) {
	if dep.Previous == "" {
		return deploy.Deployment{}, errors.New("nothing to roll back to")
	}
	if err := d.write(dep.Request, dep.Previous); err != nil {
		return deploy.Deployment{}, err
	}
	back := dep.Request
	back.Version = dep.Previous
	return deploy.Deployment{Request: back, Previous: dep.Request.Version, Ref: "rollback " + d.file(dep.Request), AppliedAt: time.Now()}, nil
}

// watcherFunc is a Watcher from a function.
type watcherFunc func(ctx context.Context, req pipelines.WatchRequest) (pipelines.WatchResult, error)

func (f watcherFunc) Watch(ctx context.Context, req pipelines.WatchRequest) (pipelines.WatchResult, error) {
	return f(ctx, req)
}

// receiver is a webhook receiver on loopback that keeps what it is sent.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, _ := io.ReadAll(req.Body)
		var body map[string]any
		if err := json.Unmarshal(data, &body); err != nil || req.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want JSON", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.bodies...)
}
