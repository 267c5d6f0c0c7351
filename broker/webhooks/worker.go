package webhooks

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/treaty-dev/treaty/broker"
)

// Queue is the part of the store the worker uses: deliveries are claimed from the database
// and their outcomes written back, so no work lives only in memory.
type Queue interface {
	ClaimWebhookDeliveries(ctx context.Context, limit int, lease time.Duration) ([]broker.WebhookDelivery, error)
	RecordWebhookAttempt(ctx context.Context, d broker.WebhookDelivery, out broker.WebhookOutcome) error
}

// DefaultRetrySchedule is the reference broker's: after a failed attempt the next comes
// 10 s later, then 1, 2, 5, 10 and 20 minutes; seven attempts in all.
var DefaultRetrySchedule = []time.Duration{10 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute}

// Options configure a Worker.
type Options struct {
	// BaseURL prefixes the broker URLs in template parameters (pactUrl, verificationResultUrl).
	BaseURL string
	// Sender sends the requests; its policy applies to every attempt.
	Sender *Sender
	// RetrySchedule is the wait before each retry; its length is the number of retries.
	// Nil means DefaultRetrySchedule; empty means no retries.
	RetrySchedule []time.Duration
	// PollInterval is how often the database is asked for due deliveries (default 1s).
	PollInterval time.Duration
	// Batch bounds the deliveries claimed and sent at once (default 8).
	Batch int
	// Lease is how long a claim holds a delivery. A worker that dies mid-attempt leaves its
	// claim to expire, and another worker then retries the delivery. It must outlast an
	// attempt; the default is the sender's timeout plus 30 s.
	Lease  time.Duration
	Logger *slog.Logger
}

// Worker delivers triggered webhooks in the background. Several workers, in one process or
// in replicas sharing a PostgreSQL database, can run at once: each delivery is claimed by
// one of them at a time.
type Worker struct {
	queue Queue
	opts  Options
	log   *slog.Logger
}

// NewWorker builds a worker; Run starts it.
func NewWorker(q Queue, opts Options) *Worker {
	if opts.Sender == nil {
		opts.Sender = NewSender(Policy{}, SenderOptions{})
	}
	if opts.RetrySchedule == nil {
		opts.RetrySchedule = DefaultRetrySchedule
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 8
	}
	if opts.Lease <= 0 {
		opts.Lease = opts.Sender.timeout + 30*time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{queue: q, opts: opts, log: opts.Logger}
}

// Run delivers due webhooks until ctx is done. It returns once the attempts in flight have
// finished and their outcomes are recorded, so stopping a broker loses no attempt.
func (w *Worker) Run(ctx context.Context) {
	w.log.InfoContext(ctx, "webhook delivery worker started", "poll_interval", w.opts.PollInterval, "retries", len(w.opts.RetrySchedule))
	ticker := time.NewTicker(w.opts.PollInterval)
	defer ticker.Stop()
	for {
		n := w.deliverDue(ctx)
		if n == w.opts.Batch && ctx.Err() == nil {
			continue // a full batch suggests more are due: claim again without waiting
		}
		select {
		case <-ctx.Done():
			w.log.InfoContext(ctx, "webhook delivery worker stopped")
			return
		case <-ticker.C:
		}
	}
}

// deliverDue claims a batch of due deliveries, sends them concurrently and records each
// outcome. It returns how many it claimed.
func (w *Worker) deliverDue(ctx context.Context) int {
	if ctx.Err() != nil {
		return 0
	}
	claimed, err := w.queue.ClaimWebhookDeliveries(ctx, w.opts.Batch, w.opts.Lease)
	if err != nil {
		if ctx.Err() == nil {
			w.log.WarnContext(ctx, "cannot claim webhook deliveries", "error", err)
		}
		return 0
	}
	// Attempts already claimed run to the end even when ctx is cancelled: each is bounded by
	// the sender's timeout, and cutting it short would only make the next worker repeat it.
	detached := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for _, d := range claimed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.deliver(detached, d)
		}()
	}
	wg.Wait()
	return len(claimed)
}

func (w *Worker) deliver(ctx context.Context, d broker.WebhookDelivery) {
	var out broker.WebhookOutcome
	if !d.Webhook.Enabled {
		out = broker.WebhookOutcome{Status: broker.DeliveryFailure, Attempt: broker.WebhookAttempt{
			Error: "the webhook was disabled before it could be sent", Logs: "The webhook is disabled: not sent.\n", CreatedAt: time.Now()}}
	} else {
		attempt, permanent := w.opts.Sender.Execute(ctx, w.opts.BaseURL, d.Webhook, d.Event)
		out = w.outcome(d, attempt, permanent)
	}
	log := w.log.With("webhook", d.Webhook.UUID, "triggered_webhook", d.UUID, "event", d.Event.Name, "attempt", d.Attempts+1,
		"status", out.Status, "response_status", out.Attempt.ResponseStatus)
	switch {
	case out.Status == broker.DeliverySuccess:
		log.InfoContext(ctx, "webhook delivered")
	case out.Status == broker.DeliveryRetrying:
		log.WarnContext(ctx, "webhook attempt failed; will retry", "retry_in", out.RetryAfter, "error", out.Attempt.Error)
	default:
		log.WarnContext(ctx, "webhook delivery failed for good", "error", out.Attempt.Error)
	}
	recordCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := w.queue.RecordWebhookAttempt(recordCtx, d, out); err != nil {
		// The claim expires and the delivery is attempted again: at least once, not lost.
		log.ErrorContext(ctx, "cannot record a webhook attempt", "error", err)
	}
}

// outcome applies the retry schedule: the n-th failed attempt is retried after the n-th
// wait, until the schedule runs out. A refused request is not retried.
func (w *Worker) outcome(d broker.WebhookDelivery, a broker.WebhookAttempt, permanent bool) broker.WebhookOutcome {
	made := d.Attempts + 1
	switch {
	case a.Success:
		return broker.WebhookOutcome{Attempt: a, Status: broker.DeliverySuccess}
	case permanent || made > len(w.opts.RetrySchedule):
		return broker.WebhookOutcome{Attempt: a, Status: broker.DeliveryFailure}
	}
	return broker.WebhookOutcome{Attempt: a, Status: broker.DeliveryRetrying, RetryAfter: w.opts.RetrySchedule[made-1]}
}
