package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/broker/webhooks"
)

// receiver is a local HTTP endpoint that records what webhooks send it and answers with
// the status status(n) for its n-th request.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []hit
	status func(n int) int
}

type hit struct {
	Header http.Header
	Body   map[string]string
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	r := &receiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, _ := io.ReadAll(req.Body)
		var body map[string]string
		_ = json.Unmarshal(data, &body)
		r.mu.Lock()
		r.hits = append(r.hits, hit{Header: req.Header, Body: body})
		n := len(r.hits)
		r.mu.Unlock()
		w.WriteHeader(r.status(n))
		fmt.Fprintf(w, `{"hit":%d}`, n)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

func always(status int) func(int) int { return func(int) int { return status } }

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startWorker runs a worker on s until the returned stop is called (or the test ends);
// stop waits for it to finish.
func startWorker(t *testing.T, s *store.Store, schedule ...time.Duration) (stop func()) {
	sender := webhooks.NewSender(webhooks.Policy{Schemes: []string{"http"}, Hosts: []string{"127.0.0.1"}}, webhooks.SenderOptions{Timeout: 2 * time.Second})
	w := webhooks.NewWorker(s, webhooks.Options{BaseURL: "http://broker.test", Sender: sender, RetrySchedule: schedule, PollInterval: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func createWebhook(t *testing.T, s *store.Store, url string) broker.Webhook {
	t.Helper()
	w, err := s.CreateWebhook(context.Background(), broker.Webhook{Enabled: true, Description: "ci", Events: []string{broker.EventContractPublished},
		Request: broker.WebhookRequest{Method: "POST", URL: url, Headers: map[string]string{"Content-Type": "application/json"},
			Body: json.RawMessage(`{"event":"${pactbroker.eventName}","version":"${pactbroker.consumerVersionNumber}"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func publish(t *testing.T, s *store.Store, version string) {
	t.Helper()
	content, _ := json.Marshal(map[string]any{"consumer": map[string]any{"name": "Foo"}, "provider": map[string]any{"name": "Bar"},
		"interactions": []any{map[string]any{"description": "a request " + version, "request": map[string]any{"method": "GET", "path": "/"},
			"response": map[string]any{"status": 200}}},
		"metadata": map[string]any{"pactSpecification": map[string]any{"version": "3.0.0"}}})
	_, err := s.Publish(context.Background(), broker.PublishRequest{Pacticipant: "Foo", Version: version,
		Contracts: []broker.ContractToPublish{{Consumer: "Foo", Provider: "Bar", Content: content}}})
	if err != nil {
		t.Fatal(err)
	}
}

func deliveries(t *testing.T, s *store.Store, webhookUUID string) []broker.TriggeredWebhook {
	t.Helper()
	list, err := s.TriggeredWebhooks(context.Background(), broker.TriggeredWebhookQuery{WebhookUUID: webhookUUID})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestRetriesAfterFailuresUntilSuccess(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		r := newReceiver(t, func(n int) int {
			switch n {
			case 1:
				return 500
			case 2:
				return 502
			}
			return 200
		})
		w := createWebhook(t, s, r.URL+"/hook")
		publish(t, s, "1")
		startWorker(t, s, 10*time.Millisecond, 10*time.Millisecond, 10*time.Millisecond)
		eventually(t, 5*time.Second, "the delivery to succeed", func() bool {
			d := deliveries(t, s, w.UUID)
			return len(d) == 1 && d[0].Status == broker.DeliverySuccess
		})
		if n := len(r.received()); n != 3 {
			t.Fatalf("%d requests, want 3 (500, 502, then 200)", n)
		}
		logs, err := s.TriggeredWebhook(context.Background(), deliveries(t, s, w.UUID)[0].UUID)
		if err != nil {
			t.Fatal(err)
		}
		var statuses []int
		for _, a := range logs.Attempts {
			statuses = append(statuses, a.ResponseStatus)
		}
		if fmt.Sprint(statuses) != "[500 502 200]" || logs.AttemptsMade != 3 || logs.NextAttemptAt != nil {
			t.Fatalf("attempts %v, made %d, next %v", statuses, logs.AttemptsMade, logs.NextAttemptAt)
		}
		if logs.Attempts[2].ResponseBody != `{"hit":3}` || logs.Attempts[0].Duration <= 0 {
			t.Fatalf("attempt log lacks the response body or duration: %+v", logs.Attempts[2])
		}
	})
}

func TestGivesUpWhenTheScheduleRunsOut(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		r := newReceiver(t, always(503))
		w := createWebhook(t, s, r.URL+"/hook")
		publish(t, s, "1")
		startWorker(t, s, 5*time.Millisecond, 5*time.Millisecond)
		eventually(t, 5*time.Second, "the delivery to fail for good", func() bool {
			d := deliveries(t, s, w.UUID)
			return len(d) == 1 && d[0].Status == broker.DeliveryFailure
		})
		time.Sleep(30 * time.Millisecond)
		if n := len(r.received()); n != 3 {
			t.Fatalf("%d requests, want 3: the first and two retries", n)
		}
	})
}

// A delivery waiting for a retry when the broker stops, and one triggered while no broker
// runs, are both sent by the next broker on the same database.
func TestDeliveriesSurviveARestart(t *testing.T) {
	for _, db := range storetest.OpenReplicas(t, 2, storetest.Options{}) {
		t.Run(db.Name, func(t *testing.T) {
			before, after := db.Stores[0], db.Stores[1]
			r := newReceiver(t, func(n int) int {
				if n == 1 {
					return 500
				}
				return 200
			})
			w := createWebhook(t, before, r.URL+"/hook")
			publish(t, before, "1")
			stop := startWorker(t, before, 150*time.Millisecond)
			eventually(t, 5*time.Second, "the first attempt to be recorded", func() bool {
				d := deliveries(t, before, w.UUID)
				return len(d) == 1 && d[0].Status == broker.DeliveryRetrying
			})
			stop()
			publish(t, before, "2") // while no worker runs

			startWorker(t, after, 150*time.Millisecond)
			eventually(t, 5*time.Second, "both deliveries to succeed", func() bool {
				d := deliveries(t, after, w.UUID)
				return len(d) == 2 && d[0].Status == broker.DeliverySuccess && d[1].Status == broker.DeliverySuccess
			})
			got := map[string]int{}
			for _, h := range r.received() {
				got[h.Body["version"]]++
			}
			if got["1"] != 2 || got["2"] != 1 {
				t.Fatalf("requests per consumer version: %v, want 1: 2 (failed, retried), 2: 1", got)
			}
		})
	}
}

// A replica that dies between claiming a delivery and recording its outcome leaves a claim
// that expires; another replica then sends the delivery.
func TestAnExpiredClaimIsTakenOver(t *testing.T) {
	for _, db := range storetest.OpenReplicas(t, 2, storetest.Options{}) {
		t.Run(db.Name, func(t *testing.T) {
			crashed, alive := db.Stores[0], db.Stores[1]
			r := newReceiver(t, always(200))
			w := createWebhook(t, crashed, r.URL+"/hook")
			publish(t, crashed, "1")
			claimed, err := crashed.ClaimWebhookDeliveries(context.Background(), 10, 100*time.Millisecond)
			if err != nil || len(claimed) != 1 {
				t.Fatalf("claim: %v, %d claimed", err, len(claimed))
			}
			if again, err := alive.ClaimWebhookDeliveries(context.Background(), 10, time.Minute); err != nil || len(again) != 0 {
				t.Fatalf("a claimed delivery was claimed again: %v, %d", err, len(again))
			}
			startWorker(t, alive)
			eventually(t, 5*time.Second, "the delivery to succeed", func() bool {
				d := deliveries(t, alive, w.UUID)
				return len(d) == 1 && d[0].Status == broker.DeliverySuccess
			})
			// The crashed replica's late report must not undo the delivery.
			late := broker.WebhookOutcome{Status: broker.DeliveryRetrying, RetryAfter: time.Millisecond, Attempt: broker.WebhookAttempt{Error: "late"}}
			if err := crashed.RecordWebhookAttempt(context.Background(), claimed[0], late); err != nil {
				t.Fatal(err)
			}
			if d := deliveries(t, alive, w.UUID); d[0].Status != broker.DeliverySuccess || d[0].AttemptsMade != 1 {
				t.Fatalf("after a stale report: %s with %d attempts", d[0].Status, d[0].AttemptsMade)
			}
			if n := len(r.received()); n != 1 {
				t.Fatalf("%d requests, want 1", n)
			}
		})
	}
}

// Two workers on two stores sharing one database, as two replicas would, send every
// delivery exactly once.
func TestTwoWorkersDeliverEachEventOnce(t *testing.T) {
	const events = 30
	for _, db := range storetest.OpenReplicas(t, 2, storetest.Options{}) {
		t.Run(db.Name, func(t *testing.T) {
			r := newReceiver(t, always(200))
			w := createWebhook(t, db.Stores[0], r.URL+"/hook")
			for i := range events {
				publish(t, db.Stores[0], fmt.Sprint(i))
			}
			startWorker(t, db.Stores[0], time.Millisecond)
			startWorker(t, db.Stores[1], time.Millisecond)
			eventually(t, 10*time.Second, "every delivery to succeed", func() bool {
				for _, d := range deliveries(t, db.Stores[1], w.UUID) {
					if d.Status != broker.DeliverySuccess {
						return false
					}
				}
				return len(r.received()) >= events
			})
			time.Sleep(20 * time.Millisecond) // room for a duplicate to show up
			got := map[string]int{}
			for _, h := range r.received() {
				got[h.Body["version"]]++
			}
			for i := range events {
				if got[fmt.Sprint(i)] != 1 {
					t.Fatalf("consumer version %d was delivered %d times; all: %v", i, got[fmt.Sprint(i)], got)
				}
			}
			if len(got) != events {
				t.Fatalf("%d distinct deliveries, want %d", len(got), events)
			}
		})
	}
}
