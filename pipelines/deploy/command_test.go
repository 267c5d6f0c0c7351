package deploy_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/pipelines/deploy"
)

// script writes an executable shell script into a temporary directory.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "deploy.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// A script that keeps what it was asked, and answers each action as a real one would.
const goodScript = `
cat > "$LOG_DIR/$TREATY_ACTION.json"
echo "doing $TREATY_ACTION of $TREATY_SERVICE $TREATY_VERSION in $TREATY_ENVIRONMENT" >&2
case "$TREATY_ACTION" in
plan)     echo '{"previous": "0b1c2d3", "previousImage": "r/payment-service:0b1c2d3", "changes": ["kubectl set image deploy/payment-service app=r/payment-service:a3f9c21"]}' ;;
apply)    printf '{"ref": "rollout-7",\n "message": "deployment.apps/payment-service image updated"}\n' ;;
status)   echo '{"health": "healthy", "message": "3/3 pods ready"}' ;;
rollback) echo '{"ref": "rollout-8", "message": "rolled back"}' ;;
esac
`

func TestCommandDeployer(t *testing.T) {
	ctx := context.Background()
	logDir := t.TempDir()
	var stderr strings.Builder
	c := &deploy.Command{Path: script(t, goodScript), Env: []string{"LOG_DIR=" + logDir}, Stderr: &stderr}
	req := deploy.Request{Service: "payment-service", Environment: "production", Version: "a3f9c21",
		Image: "r/payment-service:a3f9c21@sha256:abc", Why: "gate production allowed a3f9c21", Author: "pipeline #42"}

	plan, err := c.Plan(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Previous != "0b1c2d3" || plan.PreviousImage != "r/payment-service:0b1c2d3" || len(plan.Changes) != 1 || plan.NoOp {
		t.Errorf("plan %+v", plan)
	}
	d, err := c.Apply(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if d.Ref != "rollout-7" || d.Previous != "0b1c2d3" {
		t.Errorf("deployment %+v", d)
	}
	st, err := c.Status(ctx, d)
	if err != nil || st.Health != deploy.Healthy || st.Message != "3/3 pods ready" {
		t.Errorf("status %+v, %v", st, err)
	}
	back, err := c.Rollback(ctx, d, "error rate 0.5 >= 0.05")
	if err != nil {
		t.Fatal(err)
	}
	if back.Ref != "rollout-8" || back.Request.Version != "0b1c2d3" || back.Request.Image != "r/payment-service:0b1c2d3" || back.Previous != "a3f9c21" {
		t.Errorf("rollback %+v", back)
	}
	if !strings.Contains(stderr.String(), "doing apply of payment-service a3f9c21 in production") {
		t.Errorf("the script's standard error was not passed on: %q", stderr.String())
	}

	// What each call wrote on the script's standard input.
	wantRequest := deploy.CommandRequest{Service: "payment-service", Environment: "production", Version: "a3f9c21",
		Image: "r/payment-service:a3f9c21@sha256:abc", Why: "gate production allowed a3f9c21", Author: "pipeline #42"}
	for action, want := range map[string]deploy.CommandInput{
		"plan":     {Action: "plan", Request: wantRequest},
		"apply":    {Action: "apply", Request: wantRequest, Previous: "0b1c2d3", PreviousImage: "r/payment-service:0b1c2d3"},
		"status":   {Action: "status", Request: wantRequest, Previous: "0b1c2d3", PreviousImage: "r/payment-service:0b1c2d3", Ref: "rollout-7"},
		"rollback": {Action: "rollback", Request: wantRequest, Previous: "0b1c2d3", PreviousImage: "r/payment-service:0b1c2d3", Ref: "rollout-7", Reason: "error rate 0.5 >= 0.05"},
	} {
		data, err := os.ReadFile(filepath.Join(logDir, action+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var got deploy.CommandInput
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("%s input %s: %v", action, data, err)
		}
		if got != want {
			t.Errorf("%s input\n got %+v\nwant %+v", action, got, want)
		}
	}
	data, _ := os.ReadFile(filepath.Join(logDir, "apply.json"))
	if !strings.Contains(string(data), `"previousImage":"r/payment-service:0b1c2d3"`) {
		t.Errorf("apply input uses other field names: %s", data)
	}
}

func TestCommandDeployerErrors(t *testing.T) {
	ctx := context.Background()
	req := deploy.Request{Service: "payment-service", Environment: "production", Version: "a3f9c21", Image: "r/p:a3f9c21"}
	d := deploy.Deployment{Request: req, Ref: "rollout-7"}
	for _, tc := range []struct {
		name    string
		body    string
		timeout time.Duration
		call    func(*deploy.Command) error
		want    []string
	}{
		{"non-zero exit", "echo 'kubectl: connection refused' >&2; exit 3", 0,
			func(c *deploy.Command) error { _, err := c.Apply(ctx, deploy.Plan{Request: req}); return err },
			[]string{"apply for payment-service a3f9c21 in production", "exit status 3", "kubectl: connection refused"}},
		{"not JSON", "echo 'deployed, I think'", 0,
			func(c *deploy.Command) error { _, err := c.Apply(ctx, deploy.Plan{Request: req}); return err },
			[]string{"not the JSON answer expected", `"deployed, I think"`}},
		{"nothing", "true", 0,
			func(c *deploy.Command) error { _, err := c.Plan(ctx, req); return err },
			[]string{"printed nothing"}},
		{"unknown field", `echo '{"ref": "x", "helth": "healthy"}'`, 0,
			func(c *deploy.Command) error { _, err := c.Status(ctx, d); return err },
			[]string{`unknown field "helth"`}},
		{"two values", `echo '{"ref": "x"} {"ref": "y"}'`, 0,
			func(c *deploy.Command) error { _, err := c.Apply(ctx, deploy.Plan{Request: req}); return err },
			[]string{"more than one JSON value"}},
		{"no ref", `echo '{"message": "done"}'`, 0,
			func(c *deploy.Command) error { _, err := c.Rollback(ctx, d, "x"); return err },
			[]string{`without a "ref"`}},
		{"no health", `echo '{"message": "fine"}'`, 0,
			func(c *deploy.Command) error { _, err := c.Status(ctx, d); return err },
			[]string{`without a "health"`}},
		{"bad health", `echo '{"health": "great"}'`, 0,
			func(c *deploy.Command) error { _, err := c.Status(ctx, d); return err },
			[]string{`"health": "great": want healthy`}},
		{"hangs", "echo 'waiting for the rollout' >&2; sleep 10", 200 * time.Millisecond,
			func(c *deploy.Command) error { _, err := c.Apply(ctx, deploy.Plan{Request: req}); return err },
			[]string{"timed out after 200ms", "waiting for the rollout"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &deploy.Command{Path: script(t, tc.body), Timeout: tc.timeout}
			start := time.Now()
			err := tc.call(c)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
		})
	}
	missing := &deploy.Command{Path: filepath.Join(t.TempDir(), "no-such-script")}
	if _, err := missing.Plan(ctx, req); err == nil || !strings.Contains(err.Error(), "no-such-script") {
		t.Errorf("missing program: %v", err)
	}
}
