package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/demo"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
)

// pageClock ticks a second per reading, so every record has its own time.
func pageClock() func() time.Time {
	t := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(time.Second)
		return t
	}
}

func TestPageQueries(t *testing.T) {
	storetest.Run(t, storetest.Options{Now: pageClock()}, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := demo.Load(ctx, s); err != nil {
			t.Fatal(err)
		}

		t.Run("integration statuses", func(t *testing.T) {
			for _, tc := range []struct {
				q     store.IntegrationQuery
				total int
				want  []string // provider: result
			}{
				{store.IntegrationQuery{Limit: 10}, 2, []string{"payment-service: failed p3bad00", "user-service: success u9a8b7c"}},
				{store.IntegrationQuery{Limit: 1, Offset: 1}, 2, []string{"user-service: success u9a8b7c"}},
				{store.IntegrationQuery{Limit: 10, Offset: 10}, 2, nil},
				{store.IntegrationQuery{Status: store.StatusFailed, Limit: 10}, 1, []string{"payment-service: failed p3bad00"}},
				{store.IntegrationQuery{Status: store.StatusSuccess, Limit: 10}, 1, []string{"user-service: success u9a8b7c"}},
				{store.IntegrationQuery{Status: store.StatusUnverified, Limit: 10}, 0, nil},
				{store.IntegrationQuery{Search: "USER", Limit: 10}, 1, []string{"user-service: success u9a8b7c"}},
				{store.IntegrationQuery{Search: "order", Limit: 10}, 2, []string{"payment-service: failed p3bad00", "user-service: success u9a8b7c"}},
				{store.IntegrationQuery{Search: "100%_", Limit: 10}, 0, nil},
				{store.IntegrationQuery{Environment: "production", Limit: 10}, 2, []string{"payment-service: failed p3bad00", "user-service: success u9a8b7c"}},
				{store.IntegrationQuery{Environment: "nowhere", Limit: 10}, 0, nil},
			} {
				list, total, err := s.IntegrationStatuses(ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, it := range list {
					if it.Consumer != "order-service" || it.Pact == nil || it.Pact.ConsumerVersion != "b71e0d4" {
						t.Errorf("%+v: latest pact %+v", tc.q, it.Pact)
					}
					res := "unverified"
					if v := it.Verification; v != nil {
						res = map[bool]string{true: "success", false: "failed"}[v.Success] + " " + v.ProviderVersion
					}
					got = append(got, it.Provider+": "+res)
				}
				if total != tc.total || !sameStrings(got, tc.want) {
					t.Errorf("%+v: %d %q, want %d %q", tc.q, total, got, tc.total, tc.want)
				}
			}
			if _, _, err := s.IntegrationStatuses(ctx, store.IntegrationQuery{Status: "sideways", Limit: 1}); !errors.Is(err, broker.ErrInvalid) {
				t.Errorf("unknown status: %v", err)
			}
		})

		t.Run("pact history and verifications", func(t *testing.T) {
			history, total, err := s.PactHistory(ctx, "order-service", "payment-service", 1)
			if err != nil {
				t.Fatal(err)
			}
			if total != 2 || len(history) != 1 || history[0].Pact.ConsumerVersion != "b71e0d4" || history[0].Verification == nil ||
				history[0].Verification.ProviderVersion != "p3bad00" || history[0].Verification.Success {
				t.Errorf("history %d %+v", total, history)
			}
			if _, _, err := s.PactHistory(ctx, "payment-service", "order-service", 5); !errors.Is(err, broker.ErrNotFound) {
				t.Errorf("history of no pacts: %v", err)
			}
			if _, err := s.PreviousDistinctPact(ctx, "order-service", "payment-service", "b71e0d4", history[0].Pact.SHA); !errors.Is(err, broker.ErrNotFound) {
				t.Errorf("both demo versions have the same content, yet: %v", err)
			}
			verifications, err := s.PactVerifications(ctx, "order-service", "payment-service", history[0].Pact.SHA, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(verifications) != 2 || verifications[0].ProviderVersion != "p3bad00" || verifications[1].ProviderVersion != "p2d00d5" {
				t.Errorf("verifications %+v", verifications)
			}
			v, err := s.VerificationByID(ctx, verifications[0].ID)
			if err != nil || v.Consumer != "order-service" || v.ConsumerVersion != "b71e0d4" || len(v.TestResults) == 0 {
				t.Errorf("verification %+v %v", v, err)
			}
			if _, err := s.VerificationByID(ctx, 424242); !errors.Is(err, broker.ErrNotFound) {
				t.Errorf("unknown verification: %v", err)
			}
		})

		t.Run("current versions", func(t *testing.T) {
			deployed, released, err := s.CurrentVersions(ctx, []string{"payment-service"}, "")
			if err != nil || len(deployed) != 2 || len(released) != 0 {
				t.Fatalf("%+v %+v %v", deployed, released, err)
			}
			deployed, _, err = s.CurrentVersions(ctx, nil, "production")
			if err != nil || len(deployed) != 3 {
				t.Fatalf("%+v %v", deployed, err)
			}
			for _, d := range deployed {
				if d.Environment.Name != "production" {
					t.Errorf("%+v", d)
				}
			}
			if deployed, released, err := s.CurrentVersions(ctx, []string{}, ""); err != nil || deployed != nil || released != nil {
				t.Errorf("no names: %v %v %v", deployed, released, err)
			}
		})

		t.Run("deployment history", func(t *testing.T) {
			envs, err := s.Environments(ctx, "staging")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.RecordDeployment(ctx, "payment-service", "p3bad00", envs[0].UUID, nil); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.RecordRelease(ctx, "user-service", "u9a8b7c", envs[0].UUID); err != nil {
				t.Fatal(err)
			}
			events, err := s.DeploymentHistory(ctx, store.HistoryQuery{Environment: "staging", Limit: 4})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range events {
				got = append(got, e.Kind+" "+e.Pacticipant+" "+e.Version+" "+e.Environment.Name)
			}
			want := []string{"released user-service u9a8b7c staging", "deployed payment-service p3bad00 staging",
				"undeployed payment-service p2d00d5 staging", "deployed order-service b71e0d4 staging"}
			if !sameStrings(got, want) {
				t.Errorf("history %q, want %q", got, want)
			}
			if !events[1].Current || events[2].Current {
				t.Errorf("current flags %+v", events[:3])
			}
			page2, err := s.DeploymentHistory(ctx, store.HistoryQuery{Pacticipant: "payment-service", Limit: 2, Offset: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(page2) != 2 || page2[0].Kind != store.EventUndeployed || page2[1].Version != "p2d00d5" {
				t.Errorf("payment-service's second page %+v", page2)
			}
			if _, err := s.DeploymentHistory(ctx, store.HistoryQuery{Environment: "mars", Limit: 1}); !errors.Is(err, broker.ErrNotFound) {
				t.Errorf("unknown environment: %v", err)
			}
		})
	})
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
