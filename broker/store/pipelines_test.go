package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/pipelines"
)

func TestPipelineRuns(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r, err := s.CreateRun(ctx, pipelines.Run{Service: "order-service", Version: "a3f9c21", Commit: "a3f9c21aa", Branch: "main", From: "build", Until: "production"})
		if err != nil {
			t.Fatal(err)
		}
		if r.ID == 0 || r.Status != pipelines.Running || r.StartedAt.IsZero() {
			t.Fatalf("run = %+v", r)
		}
		start := time.Now().UTC()
		end := start.Add(1500 * time.Millisecond)
		for _, st := range []pipelines.StepRun{
			{Stage: "build", Name: "build", Uses: "command", Status: pipelines.Running, StartedAt: start},
			{Stage: "build", Name: "build", Uses: "command", Status: pipelines.Succeeded, StartedAt: start, FinishedAt: &end, LogTail: "ok\n", Attempts: 1},
			{Stage: "test", Name: "unit-tests", Uses: "command", Status: pipelines.Failed, StartedAt: end, FinishedAt: &end, Message: "exit 1"},
		} {
			if _, err := s.RecordStep(ctx, r.ID, st); err != nil {
				t.Fatal(err)
			}
		}
		r.Status, r.Stage, r.Message = pipelines.Failed, "test", "step test/unit-tests: exit 1"
		done, err := s.UpdateRun(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if done.FinishedAt == nil || len(done.Steps) != 2 || done.Steps[0].DurationMillis != 1500 || done.Steps[0].LogTail != "ok\n" || done.Steps[1].Status != pipelines.Failed {
			t.Errorf("run = %+v", done)
		}
		// A finished run cannot be reopened.
		r.Status = pipelines.Running
		if _, err := s.UpdateRun(ctx, r); !errors.Is(err, broker.ErrConflict) {
			t.Errorf("reopened a finished run: %v", err)
		}
		if _, err := s.Run(ctx, 999); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("run 999: %v", err)
		}
		if _, err := s.RecordStep(ctx, 999, pipelines.StepRun{Stage: "build", Name: "x", Status: pipelines.Running}); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("step of run 999: %v", err)
		}
		if _, err := s.RecordStep(ctx, r.ID, pipelines.StepRun{Stage: "deploy", Name: "x", Status: "done"}); !errors.Is(err, broker.ErrInvalid) {
			t.Errorf("bad step: %v", err)
		}
		if _, err := s.CreateRun(ctx, pipelines.Run{Service: "user-service", Version: "1", From: "nowhere"}); !errors.Is(err, broker.ErrInvalid) {
			t.Errorf("bad run: %v", err)
		}
		for i := range 3 {
			if _, err := s.CreateRun(ctx, pipelines.Run{Service: "user-service", Version: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		runs, err := s.Runs(ctx, pipelines.RunQuery{Service: "user-service", Limit: 2})
		if err != nil || len(runs) != 2 || runs[0].Version != "2" || runs[1].Version != "1" {
			t.Errorf("runs = %+v, %v", runs, err)
		}
		older, err := s.Runs(ctx, pipelines.RunQuery{Service: "user-service", BeforeID: runs[1].ID})
		if err != nil || len(older) != 1 || older[0].Version != "0" {
			t.Errorf("older runs = %+v, %v", older, err)
		}
		failed, err := s.Runs(ctx, pipelines.RunQuery{Status: pipelines.Failed})
		if err != nil || len(failed) != 1 || failed[0].Service != "order-service" {
			t.Errorf("failed runs = %+v, %v", failed, err)
		}
	})
}

func TestDeployLocks(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	for _, replicas := range storetest.OpenReplicas(t, 2, storetest.Options{Now: now}) {
		t.Run(replicas.Name, func(t *testing.T) {
			clock.Store(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC).UnixNano())
			ctx := context.Background()
			a, b := replicas.Stores[0], replicas.Stores[1]
			if _, err := a.AcquireLock(ctx, "payment-service", "production", "run 1", time.Minute); err != nil {
				t.Fatal(err)
			}
			// Another run, through another replica, must wait; another environment or service need not.
			_, err := b.AcquireLock(ctx, "payment-service", "production", "run 2", time.Minute)
			if !errors.Is(err, broker.ErrConflict) || err.Error() != "payment-service in production is being deployed by run 1 (lease until 2026-11-26T09:01:00Z)" {
				t.Errorf("second holder: %v", err)
			}
			for _, k := range [][2]string{{"payment-service", "staging"}, {"order-service", "production"}} {
				if _, err := b.AcquireLock(ctx, k[0], k[1], "run 2", time.Minute); err != nil {
					t.Errorf("%s in %s: %v", k[0], k[1], err)
				}
			}
			// The holder renews; the lease is extended, the acquisition time kept.
			clock.Add(int64(30 * time.Second))
			l, err := a.AcquireLock(ctx, "payment-service", "production", "run 1", time.Minute)
			if err != nil || !l.ExpiresAt.Equal(now().Add(time.Minute)) || !l.AcquiredAt.Equal(now().Add(-30*time.Second)) {
				t.Errorf("renewed = %+v, %v", l, err)
			}
			// A lease that ran out is taken over.
			clock.Add(int64(2 * time.Minute))
			if l, err := b.AcquireLock(ctx, "payment-service", "production", "run 2", time.Minute); err != nil || l.Holder != "run 2" {
				t.Errorf("take over: %+v, %v", l, err)
			}
			// Releasing someone else's lease does nothing; releasing one's own frees it.
			if err := a.ReleaseLock(ctx, "payment-service", "production", "run 1"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.AcquireLock(ctx, "payment-service", "production", "run 3", time.Minute); !errors.Is(err, broker.ErrConflict) {
				t.Errorf("released another's lease: %v", err)
			}
			if err := b.ReleaseLock(ctx, "payment-service", "production", "run 2"); err != nil {
				t.Fatal(err)
			}
			if _, err := a.AcquireLock(ctx, "payment-service", "production", "run 3", time.Minute); err != nil {
				t.Errorf("after release: %v", err)
			}
			// The other leases ran out while the clock moved on.
			locks, err := b.Locks(ctx)
			if err != nil || len(locks) != 1 || locks[0].Holder != "run 3" {
				t.Errorf("locks = %+v, %v", locks, err)
			}
			if _, err := a.AcquireLock(ctx, "", "production", "run 4", time.Hour); !errors.Is(err, broker.ErrInvalid) {
				t.Errorf("blank service: %v", err)
			}

			// Many contenders through both replicas at once: exactly one wins.
			var wins atomic.Int32
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := replicas.Stores[i%2]
					if _, err := s.AcquireLock(ctx, "user-service", "production", fmt.Sprintf("contender %d", i), time.Minute); err == nil {
						wins.Add(1)
					} else if !errors.Is(err, broker.ErrConflict) {
						t.Errorf("contender %d: %v", i, err)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Errorf("%d contenders hold one lease", wins.Load())
			}
		})
	}
}
