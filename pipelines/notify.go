package pipelines

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Event is what a notification tells: a run that stopped at a gate, failed, or rolled back.
type Event struct {
	// Event is the run's status: stopped, failed or rolled-back.
	Event       string    `json:"event"`
	Service     string    `json:"service"`
	Version     string    `json:"version"`
	Commit      string    `json:"commit,omitempty"`
	Branch      string    `json:"branch,omitempty"`
	Run         int64     `json:"run"`
	Stage       string    `json:"stage,omitempty"`
	Environment string    `json:"environment,omitempty"`
	Step        string    `json:"step,omitempty"`
	Message     string    `json:"message"`
	Time        time.Time `json:"time"`
}

// Text is the event as one line for people, Slack's way.
func (e Event) Text() string {
	var verb string
	switch e.Event {
	case string(RolledBack):
		verb = ":rewind: rolled back"
	case string(Stopped):
		verb = ":octagonal_sign: stopped"
	default:
		verb = ":x: failed"
	}
	where := e.Stage
	if e.Environment != "" && e.Environment != e.Stage {
		where += " (" + e.Environment + ")"
	}
	if e.Step != "" {
		where += ", step " + e.Step
	}
	return fmt.Sprintf("%s %s: pipeline run %d %s at %s: %s", e.Service, e.Version, e.Run, verb, where, e.Message)
}

// Notifier posts events: a JSON body to each webhook, {"text": …} to each Slack-compatible
// incoming webhook.
type Notifier struct {
	Webhooks []string
	Slack    []string
	Client   *http.Client
}

// Notify posts the event everywhere and reports every delivery that failed.
func (n *Notifier) Notify(ctx context.Context, e Event) error {
	hc := n.Client
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	slack, err := json.Marshal(map[string]string{"text": e.Text()})
	if err != nil {
		return err
	}
	var errs []error
	for _, u := range n.Webhooks {
		errs = append(errs, post(ctx, hc, u, body))
	}
	for _, u := range n.Slack {
		errs = append(errs, post(ctx, hc, u, slack))
	}
	return errors.Join(errs...)
}

func post(ctx context.Context, hc *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "treaty-pipeline")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("notify %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("notify %s: answered %s", url, resp.Status)
	}
	return nil
}

// notify tells the spec's listeners how the run ended.
func (x *execution) notify(ctx context.Context) {
	ns := x.spec.Notify
	n := &Notifier{Client: &http.Client{Timeout: orDefault(x.r.NotifyTimeout, 10*time.Second)}}
	for _, list := range []struct {
		in  []string
		out *[]string
	}{{ns.Webhooks, &n.Webhooks}, {ns.Slack, &n.Slack}} {
		for _, u := range list.in {
			e, err := x.vars.Expand(u)
			if err != nil {
				fmt.Fprintf(x.out, "notify %s: %v\n", u, err)
				continue
			}
			if e != "" { // ${env.X} unset: nobody to tell there
				*list.out = append(*list.out, e)
			}
		}
	}
	if len(n.Webhooks) == 0 && len(n.Slack) == 0 {
		return
	}
	e := Event{Event: string(x.run.Status), Service: x.spec.Service, Version: x.opts.Version, Commit: x.opts.Commit,
		Branch: x.opts.Branch, Run: x.run.ID, Stage: x.run.Stage, Message: x.run.Message, Time: x.r.now()}
	if IsEnvironmentStage(e.Stage) {
		for _, st := range x.spec.Stages {
			if st.Name == e.Stage {
				e.Environment = st.Environment
			}
		}
	}
	for i := len(x.run.Steps) - 1; i >= 0; i-- {
		if s := x.run.Steps[i]; s.Status != Succeeded {
			e.Step = s.Name
			break
		}
	}
	if err := n.Notify(ctx, e); err != nil {
		fmt.Fprintf(x.out, "%s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
	} else {
		fmt.Fprintf(x.out, "notified %d listener(s)\n", len(n.Webhooks)+len(n.Slack))
	}
}
