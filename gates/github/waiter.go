package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/gates"
)

// Callback states.
const (
	Approved = "approved"
	Rejected = "rejected"
)

// Options configure a Waiter.
type Options struct {
	Config Config
	Store  gates.Store
	Engine *gates.Engine
	// HTTP sends the callbacks; nil means a client with a 30s timeout.
	HTTP *http.Client
	// PollInterval is how often due waits are looked for, besides nudges (default 5s).
	PollInterval time.Duration
	// BaseURL is Treaty's address, for links in the callback comments.
	BaseURL string
	Logger  *slog.Logger
	Now     func() time.Time
}

// maxAttempts bounds the callbacks tried (and checks that failed) before a request is given
// up as failed.
const maxAttempts = 10

// Waiter answers GitHub's protection rule requests: it checks the gate of each due request
// and calls GitHub back once the decision is allow or deny, and waits while it is pending.
type Waiter struct {
	opts  Options
	nudge chan struct{}
	wg    sync.WaitGroup
}

// NewWaiter returns a waiter; Run starts it.
func NewWaiter(opts Options) *Waiter {
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Waiter{opts: opts, nudge: make(chan struct{}, 1)}
}

// Nudge makes the waiter look for due requests now, as after a new fact.
func (w *Waiter) Nudge() {
	select {
	case w.nudge <- struct{}{}:
	default:
	}
}

// Run handles due requests until ctx is done; it returns once the request in hand is
// finished.
func (w *Waiter) Run(ctx context.Context) {
	w.wg.Add(1)
	defer w.wg.Done()
	ticker := time.NewTicker(w.opts.PollInterval)
	defer ticker.Stop()
	for {
		w.RunOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-w.nudge:
		}
	}
}

// Wait waits for Run to return.
func (w *Waiter) Wait() { w.wg.Wait() }

// RunOnce handles the requests due now.
func (w *Waiter) RunOnce(ctx context.Context) {
	for ctx.Err() == nil {
		due, err := w.opts.Store.ClaimWaits(ctx, WaitKind, 10, 2*time.Minute)
		if err != nil {
			if ctx.Err() == nil {
				w.opts.Logger.Error("claim GitHub protection rule requests", "error", err)
			}
			return
		}
		if len(due) == 0 {
			return
		}
		for _, wait := range due {
			w.handle(ctx, wait)
		}
	}
}

func (w *Waiter) handle(ctx context.Context, wait gates.Wait) {
	log := w.opts.Logger.With("wait", wait.ID, "pacticipant", wait.Pacticipant, "version", wait.Version, "environment", wait.Environment)
	var req Request
	if err := json.Unmarshal(wait.Payload, &req); err != nil {
		wait.State, wait.Message = gates.WaitFailed, "unreadable request: "+err.Error()
		w.update(ctx, log, wait)
		return
	}
	if req.Reject != "" {
		w.answer(ctx, log, wait, req, Rejected, "Treaty: "+req.Reject)
		return
	}
	entry, err := w.opts.Engine.Check(ctx, gates.CheckRequest{Pacticipant: wait.Pacticipant, Version: wait.Version,
		Environment: wait.Environment, Source: "github"})
	now := w.opts.Now()
	switch {
	case unknownCandidate(err):
		// The commit may not be recorded yet; recording it makes the wait due again.
		next := now.Add(gates.RecheckAfter)
		wait.NextCheck, wait.Message = &next, err.Error()
		w.update(ctx, log, wait)
		return
	case err != nil:
		wait.Attempts++
		if wait.Attempts >= maxAttempts || errors.Is(err, broker.ErrNotFound) || errors.Is(err, broker.ErrInvalid) {
			w.answer(ctx, log, wait, req, Rejected, "Treaty could not check the gate: "+err.Error())
			return
		}
		next := now.Add(backoff(wait.Attempts))
		wait.NextCheck, wait.Message = &next, err.Error()
		log.Warn("gate check failed; will retry", "error", err, "attempt", wait.Attempts)
		w.update(ctx, log, wait)
		return
	}
	wait.LastDecision = entry.ID
	switch entry.Decision.Result {
	case gates.Allow:
		w.answer(ctx, log, wait, req, Approved, w.comment(entry))
	case gates.Deny:
		w.answer(ctx, log, wait, req, Rejected, w.comment(entry))
	default:
		next := now.Add(gates.RecheckAfter)
		if entry.Decision.NextCheck != nil {
			next = *entry.Decision.NextCheck
		}
		wait.NextCheck, wait.Message = &next, "pending: "+entry.Decision.Reason
		w.update(ctx, log, wait)
	}
}

// unknownCandidate: the commit is not (yet) a version the broker knows.
func unknownCandidate(err error) bool {
	var nf *broker.NotFoundError
	return errors.As(err, &nf) && strings.HasPrefix(nf.What, "candidate ")
}

func backoff(attempt int) time.Duration {
	d := 10 * time.Second << min(attempt, 6)
	return min(d, 10*time.Minute)
}

// comment says what Treaty decided and why, within GitHub's limits.
func (w *Waiter) comment(e gates.Entry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Treaty decision %d (policy version %d): %s — %s", e.ID, e.PolicyVersion, strings.ToUpper(string(e.Decision.Result)), e.Decision.Reason)
	for _, g := range e.Decision.Gates {
		if g.Result != gates.Allow {
			fmt.Fprintf(&b, "\n- %s: %s", g.Name, g.Reason)
			if g.Unblock != "" {
				fmt.Fprintf(&b, " (unblock: %s)", g.Unblock)
			}
		}
	}
	if w.opts.BaseURL != "" {
		fmt.Fprintf(&b, "\n%s/gates/decisions/%d/explain", strings.TrimRight(w.opts.BaseURL, "/"), e.ID)
	}
	s := b.String()
	if len(s) > 1000 {
		s = s[:997] + "..."
	}
	return s
}

// answer calls GitHub back; a callback that fails is tried again later.
func (w *Waiter) answer(ctx context.Context, log *slog.Logger, wait gates.Wait, req Request, state, comment string) {
	err := w.callback(ctx, req, state, comment)
	if err == nil {
		wait.State, wait.Message, wait.NextCheck = gates.WaitAnswered, state+": "+firstLine(comment), nil
		log.Info("answered GitHub protection rule request", "state", state, "decision", wait.LastDecision)
		w.update(ctx, log, wait)
		return
	}
	wait.Attempts++
	wait.Message = "callback failed: " + err.Error()
	if wait.Attempts >= maxAttempts {
		wait.State = gates.WaitFailed
		log.Error("gave up calling GitHub back", "error", err, "attempts", wait.Attempts)
	} else {
		next := w.opts.Now().Add(backoff(wait.Attempts))
		wait.NextCheck = &next
		log.Warn("GitHub callback failed; will retry", "error", err, "attempt", wait.Attempts)
	}
	w.update(ctx, log, wait)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func (w *Waiter) update(ctx context.Context, log *slog.Logger, wait gates.Wait) {
	// The outcome is recorded even while shutting down: the claim would otherwise hold the
	// request until its lease ran out.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := w.opts.Store.UpdateWait(ctx, wait); err != nil {
		log.Error("record the outcome of a GitHub protection rule request", "error", err)
	}
}

// callback posts the verdict to the request's deployment_callback_url.
func (w *Waiter) callback(ctx context.Context, req Request, state, comment string) error {
	if err := checkCallbackURL(req.CallbackURL, w.opts.Config.APIBase()); err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"environment_name": req.Environment, "state": state, "comment": comment})
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, req.CallbackURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hr.Header.Set("Accept", "application/vnd.github+json")
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	hr.Header.Set("User-Agent", "treaty")
	if w.opts.Config.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+w.opts.Config.Token)
	}
	resp, err := w.opts.HTTP.Do(hr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GitHub answered %s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	return nil
}
