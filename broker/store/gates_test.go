package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/gates"
)

// Concurrent checks append to one chain: no fork, no gap, and it verifies.
func TestDecisionLogConcurrentAppends(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := gates.Entry{Time: time.Now().UTC(), Pacticipant: "order-service", Version: "v", Transition: gates.Publish,
					Decision: gates.Decision{Result: gates.Pending, Reason: "x", Gates: []gates.GateResult{}}, PolicyVersion: i % 3}
				if _, err := s.AppendDecision(ctx, e); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		report, err := gates.VerifyLog(ctx, s)
		if err != nil || !report.OK || report.Entries != 40 {
			t.Fatalf("%+v %v", report, err)
		}
		list, err := s.Decisions(ctx, gates.DecisionQuery{Limit: 5, AfterID: 30})
		if err != nil || len(list) != 5 || list[0].ID != 40 {
			t.Fatalf("newest first after 30: %d %v", len(list), err)
		}
	})
}

// A wait is due at once, claimed by one worker at a time, pushed to its next check, and made
// due again by a fact about its candidate, even one recorded while it was being handled.
func TestGateWaits(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	storetest.Run(t, storetest.Options{Now: clock}, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.CreatePacticipant(ctx, "order-service", broker.PacticipantPatch{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordArtifact(ctx, gates.ArtifactRequest{Pacticipant: "order-service", Version: "v1", Artifact: gates.Artifact{Name: "order-service"}}); err != nil {
			t.Fatal(err)
		}
		w, created, err := s.AddWait(ctx, gates.Wait{Kind: "github", Key: "run-1#staging", Pacticipant: "order-service", Version: "v1",
			Environment: "staging", Payload: json.RawMessage(`{"a":1}`)})
		if err != nil || !created || w.State != gates.WaitWaiting {
			t.Fatalf("add: %+v %v %v", w, created, err)
		}
		if _, created, _ := s.AddWait(ctx, gates.Wait{Kind: "github", Key: "run-1#staging", Pacticipant: "order-service", Version: "v1"}); created {
			t.Fatal("the same key is the same wait")
		}
		claimed, err := s.ClaimWaits(ctx, "github", 10, time.Minute)
		if err != nil || len(claimed) != 1 || string(claimed[0].Payload) != `{"a":1}` {
			t.Fatalf("claim: %+v %v", claimed, err)
		}
		if again, _ := s.ClaimWaits(ctx, "github", 10, time.Minute); len(again) != 0 {
			t.Fatal("a claimed wait is claimed once")
		}
		// A fact arrives while the wait is in hand: pushing it back keeps it due.
		if _, err := s.RecordFact(ctx, "order-service", "v1", gates.Fact{Name: "build", Status: gates.Passed}); err != nil {
			t.Fatal(err)
		}
		later := now.Add(time.Hour)
		w = claimed[0]
		w.NextCheck, w.Attempts = &later, 1
		if err := s.UpdateWait(ctx, w); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.ClaimWaits(ctx, "github", 10, time.Minute); len(due) != 1 {
			t.Fatalf("nudged while in hand: %d due", len(due))
		}
		if err := s.UpdateWait(ctx, w); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.ClaimWaits(ctx, "github", 10, time.Minute); len(due) != 0 {
			t.Fatalf("not due before its next check: %d", len(due))
		}
		// Facts about another candidate leave it alone; one about its own makes it due.
		if _, err := s.RecordArtifact(ctx, gates.ArtifactRequest{Pacticipant: "order-service", Version: "v2", Artifact: gates.Artifact{Name: "order-service"}}); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.ClaimWaits(ctx, "github", 10, time.Minute); len(due) != 0 {
			t.Fatal("another candidate's fact")
		}
		if _, err := s.RecordFact(ctx, "order-service", "v1", gates.Fact{Name: "unit-tests", Status: gates.Passed}); err != nil {
			t.Fatal(err)
		}
		due, _ := s.ClaimWaits(ctx, "github", 10, time.Minute)
		if len(due) != 1 {
			t.Fatal("its own fact makes it due")
		}
		w = due[0]
		w.State = gates.WaitAnswered
		if err := s.UpdateWait(ctx, w); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordFact(ctx, "order-service", "v1", gates.Fact{Name: "e2e-tests", Status: gates.Passed}); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.ClaimWaits(ctx, "github", 10, time.Minute); len(due) != 0 {
			t.Fatal("an answered wait never comes back")
		}
	})
}

// Writes that fail leave nothing behind: an artifact with a changed digest, an author that
// would change, a policy naming an unknown environment.
func TestGateWritesAreAllOrNothing(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.CreatePacticipant(ctx, "order-service", broker.PacticipantPatch{}); err != nil {
			t.Fatal(err)
		}
		d1 := "sha256:" + string(make64('1'))
		d2 := "sha256:" + string(make64('2'))
		if _, err := s.RecordArtifact(ctx, gates.ArtifactRequest{Pacticipant: "order-service", Version: "v1", Author: "dana",
			Artifact: gates.Artifact{Name: "order-service", Digest: d1}}); err != nil {
			t.Fatal(err)
		}
		_, err := s.RecordArtifact(ctx, gates.ArtifactRequest{Pacticipant: "order-service", Version: "v1",
			Artifact: gates.Artifact{Name: "order-service", Digest: d2}})
		if !errors.Is(err, broker.ErrConflict) {
			t.Fatalf("changed digest: %v", err)
		}
		_, err = s.RecordArtifact(ctx, gates.ArtifactRequest{Pacticipant: "order-service", Version: "v1", Author: "mallory",
			Artifact: gates.Artifact{Name: "sidecar", Digest: d2}})
		if !errors.Is(err, broker.ErrConflict) {
			t.Fatalf("changed author: %v", err)
		}
		c, err := s.Candidate(ctx, "order-service", "v1")
		if err != nil || len(c.Artifacts) != 1 || c.Author != "dana" || c.Digest() != d1 {
			t.Fatalf("the refused writes left traces: %+v %v", c, err)
		}
		p, _ := gates.ParsePolicy([]byte("environments: {prod: {gates: []}}"))
		if _, _, err := s.ApplyPolicy(ctx, gates.PolicyVersion{Policy: p}); !errors.Is(err, broker.ErrInvalid) {
			t.Fatalf("unknown environment: %v", err)
		}
		if pv, err := s.CurrentPolicy(ctx); err != nil || pv.Version != 0 {
			t.Fatalf("a refused policy was applied: %+v %v", pv, err)
		}
		if _, err := s.RecordFact(ctx, "order-service", "v9", gates.Fact{Name: "build", Status: gates.Passed}); !errors.Is(err, broker.ErrNotFound) {
			t.Fatalf("unknown candidate: %v", err)
		}
		if _, err := s.RecordArtifact(ctx, gates.ArtifactRequest{Pacticipant: "ghost", Version: "v1", Artifact: gates.Artifact{Name: "ghost"}}); !errors.Is(err, broker.ErrNotFound) {
			t.Fatalf("unknown pacticipant: %v", err)
		}
		if _, err := s.Version(ctx, "order-service", "v9"); !errors.Is(err, broker.ErrNotFound) {
			t.Fatalf("a refused fact created a version: %v", err)
		}
	})
}

func make64(c byte) []byte {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return b
}
