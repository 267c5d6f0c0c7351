package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/pipelines/deploy"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "treaty-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// paymentService is the example payment-service, built once for these tests.
var paymentService = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "payment-service")
	cmd := exec.Command("go", "build", "-o", bin, "./examples/payment-service")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./examples/payment-service: %v\n%s", err, out)
	}
	return bin, nil
})

// paymentReleases runs payment-service versions: v1 as intended, v2 the careless release
// that answers txn_id (still 200s: a version a client can tell apart), "broken" one that
// exits at once (a bad flag), "slow" one that never listens where it should.
func paymentReleases(t *testing.T) func(context.Context, deploy.Request) (deploy.Release, error) {
	bin, err := paymentService()
	if err != nil {
		t.Fatal(err)
	}
	return func(ctx context.Context, req deploy.Request) (deploy.Release, error) {
		switch req.Version {
		case "v1", "v3":
			return deploy.Release{Binary: bin, Args: []string{"--listen", "{addr}"}}, nil
		case "v2":
			return deploy.Release{Binary: bin, Args: []string{"--breaking"}, Env: []string{"PAYMENT_LISTEN={addr}"}}, nil
		case "broken":
			return deploy.Release{Binary: bin, Args: []string{"--listen", "{addr}", "--error-rate", "7"}}, nil
		case "deaf":
			return deploy.Release{Binary: bin, Args: []string{"--listen", "127.0.0.1:0"}}, nil
		}
		return deploy.Release{}, fmt.Errorf("no release %q", req.Version)
	}
}

func newLocal(t *testing.T) *deploy.Local {
	t.Helper()
	l := &deploy.Local{Resolve: paymentReleases(t), Replicas: 3, StartTimeout: 3 * time.Second}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return l
}

func localRequest(version string) deploy.Request {
	return deploy.Request{Service: "payment-service", Environment: "demo", Version: version,
		Image: "127.0.0.1:5000/payment-service:" + version, Why: "test"}
}

func deployLocal(t *testing.T, l *deploy.Local, version string) deploy.Deployment {
	t.Helper()
	ctx := context.Background()
	plan, err := l.Plan(ctx, localRequest(version))
	if err != nil {
		t.Fatal(err)
	}
	d, err := l.Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// hammer keeps charging through the proxy until stopped, counting what answers.
type hammer struct {
	ok, failed   atomic.Int64
	intended     atomic.Int64 // transaction_id: v1
	careless     atomic.Int64 // txn_id: v2
	mu           sync.Mutex
	firstFailure string
	stop         chan struct{}
	done         sync.WaitGroup
}

func startHammer(url string, workers int) *hammer {
	h := &hammer{stop: make(chan struct{})}
	client := &http.Client{Timeout: 5 * time.Second}
	body := []byte(`{"order_id": "o-1", "amount": 1999, "card_token": "tok_visa"}`)
	for range workers {
		h.done.Go(func() {
			for {
				select {
				case <-h.stop:
					return
				default:
				}
				resp, err := client.Post(url+"/charge", "application/json", bytes.NewReader(body))
				if err != nil {
					h.fail(err.Error())
					continue
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var answer map[string]any
				if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &answer) != nil {
					h.fail(fmt.Sprintf("%s: %s", resp.Status, data))
					continue
				}
				h.ok.Add(1)
				if _, ok := answer["txn_id"]; ok {
					h.careless.Add(1)
				} else {
					h.intended.Add(1)
				}
			}
		})
	}
	return h
}

func (h *hammer) fail(msg string) {
	h.failed.Add(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.firstFailure == "" {
		h.firstFailure = msg
	}
}

func (h *hammer) halt() {
	close(h.stop)
	h.done.Wait()
}

// waitForAnswers waits until the hammer has n more successful answers.
func (h *hammer) waitForAnswers(t *testing.T, n int64) {
	t.Helper()
	want := h.ok.Load() + n
	deadline := time.Now().Add(5 * time.Second)
	for h.ok.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("only %d answers (failed %d: %s)", h.ok.Load(), h.failed.Load(), h.firstFailure)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func charge(t *testing.T, url string) map[string]any {
	t.Helper()
	resp, err := http.Post(url+"/charge", "application/json",
		strings.NewReader(`{"order_id": "o-2", "amount": 500, "card_token": "tok_visa"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("charge: %s, %v", resp.Status, err)
	}
	return answer
}

// A rolling update under load: clients of the proxy never see a failure, the new version
// answers afterwards, and a rollback is another rolling update.
func TestLocalRollingUpdateUnderLoad(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	v1 := deployLocal(t, l, "v1")
	url, ok := l.URL("payment-service", "demo")
	if !ok || !strings.HasPrefix(v1.Ref, url+" pids ") {
		t.Fatalf("URL %q, ref %q", url, v1.Ref)
	}
	if st, err := l.Status(ctx, v1); err != nil || st.Health != deploy.Healthy || !strings.Contains(st.Message, "3/3 replicas") {
		t.Fatalf("status of v1: %+v, %v", st, err)
	}

	h := startHammer(url, 4)
	h.waitForAnswers(t, 50)
	plan, err := l.Plan(ctx, localRequest("v2"))
	if err != nil {
		t.Fatal(err)
	}
	if plan.Previous != "v1" || plan.PreviousImage != v1.Request.Image || plan.NoOp {
		t.Fatalf("plan %+v", plan)
	}
	v2, err := l.Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	before := h.careless.Load()
	h.waitForAnswers(t, 50)
	if h.careless.Load() == before {
		t.Error("no answer from v2 after the update")
	}
	if v2.Ref == v1.Ref || !strings.HasPrefix(v2.Ref, url+" pids ") {
		t.Errorf("v2 ref %q (v1 %q): want the same proxy, new processes", v2.Ref, v1.Ref)
	}
	if _, ok := charge(t, url)["txn_id"]; !ok {
		t.Error("v2 does not answer after the update")
	}
	if st, err := l.Status(ctx, v2); err != nil || st.Health != deploy.Healthy {
		t.Errorf("status of v2: %+v, %v", st, err)
	}
	if st, _ := l.Status(ctx, v1); st.Health != deploy.Degraded {
		t.Errorf("status of the replaced v1: %+v", st)
	}

	back, err := l.Rollback(ctx, v2, "error rate too high")
	if err != nil {
		t.Fatal(err)
	}
	h.waitForAnswers(t, 50)
	h.halt()
	if n := h.failed.Load(); n != 0 {
		t.Errorf("%d of %d requests failed during the updates; first: %s", n, n+h.ok.Load(), h.firstFailure)
	}
	t.Logf("%d requests through the proxy: %d answered by v1, %d by v2", h.ok.Load(), h.intended.Load(), h.careless.Load())
	if back.Request.Version != "v1" || back.Previous != "v2" || back.Request.Why != "error rate too high" {
		t.Errorf("rollback deployment %+v", back)
	}
	if _, ok := charge(t, url)["transaction_id"]; !ok {
		t.Error("v1 does not answer after the rollback")
	}
	if st, err := l.Status(ctx, back); err != nil || st.Health != deploy.Healthy {
		t.Errorf("status after the rollback: %+v, %v", st, err)
	}
}

// A version that never becomes healthy is not deployed: the running one keeps serving.
func TestLocalBadVersionKeepsTheOldOne(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	l.StartTimeout = time.Second
	v1 := deployLocal(t, l, "v1")
	url, _ := l.URL("payment-service", "demo")
	h := startHammer(url, 2)
	defer h.halt()

	for _, tc := range []struct{ version, want string }{
		{"broken", "--error-rate 7: want a fraction between 0 and 1"},
		{"deaf", "did not become healthy within 1s"},
		{"nope", `no release "nope"`},
	} {
		plan, err := l.Plan(ctx, localRequest(tc.version))
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Apply(ctx, plan)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("deploy %s: %v, want an error saying %q", tc.version, err, tc.want)
		}
	}
	h.waitForAnswers(t, 20)
	if n := h.failed.Load(); n != 0 {
		t.Errorf("%d requests failed: %s", n, h.firstFailure)
	}
	if st, err := l.Status(ctx, v1); err != nil || st.Health != deploy.Healthy {
		t.Errorf("v1 after failed deploys: %+v, %v", st, err)
	}
}

// Another deployment between a plan and its apply is a conflict; a rollback of a first
// deployment takes the service out.
func TestLocalConflictAndFirstRollback(t *testing.T) {
	ctx := context.Background()
	l := newLocal(t)
	l.Replicas = 1
	v1 := deployLocal(t, l, "v1")
	stale, err := l.Plan(ctx, localRequest("v2"))
	if err != nil {
		t.Fatal(err)
	}
	deployLocal(t, l, "v3")
	_, err = l.Apply(ctx, stale)
	if !errors.Is(err, broker.ErrConflict) || !strings.Contains(err.Error(), "v3") {
		t.Errorf("apply of a stale plan: %v, want a conflict naming v3", err)
	}
	// Rolling back v1 now would undo v3, which is not what the caller saw.
	if _, err := l.Rollback(ctx, v1, "x"); !errors.Is(err, broker.ErrConflict) {
		t.Errorf("rollback of a replaced deployment: %v, want a conflict", err)
	}

	other := &deploy.Local{Resolve: paymentReleases(t), Replicas: 1}
	defer other.Close()
	first, err := other.Apply(ctx, deploy.Plan{Request: localRequest("v1")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := other.Rollback(ctx, first, "bad first release")
	if err != nil {
		t.Fatal(err)
	}
	url, _ := other.URL("payment-service", "demo")
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("proxy after rolling back the first deployment: %s, want 503", resp.Status)
	}
	if st, err := other.Status(ctx, out); err != nil || st.Health != deploy.Healthy || out.Request.Version != "" {
		t.Errorf("status after taking it out: %+v, %v (%+v)", st, err, out.Request)
	}
}
