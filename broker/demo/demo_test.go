package demo_test

import (
	"context"
	"testing"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/demo"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
)

// The demo tells the seed's story: what runs in production is compatible, and the careless
// payment-service release cannot go anywhere.
func TestDemoDataTellsTheStory(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if empty, err := demo.IsEmpty(ctx, s); err != nil || !empty {
			t.Fatalf("a new store is empty: %v %v", empty, err)
		}
		if err := demo.Load(ctx, s); err != nil {
			t.Fatal(err)
		}
		if empty, _ := demo.IsEmpty(ctx, s); empty {
			t.Fatal("the store is not empty after loading the demo")
		}
		for _, tc := range []struct {
			pacticipant, version, env string
			want                      bool
		}{
			{"order-service", "b71e0d4", "production", true},
			{"payment-service", "p3bad00", "production", false},
			{"payment-service", "p2d00d5", "production", true},
		} {
			res, err := broker.Matrix(ctx, s, broker.MatrixQuery{Selectors: []broker.Selector{{Pacticipant: tc.pacticipant, Version: tc.version}},
				Environment: tc.env, LatestBy: broker.LatestByCVPV})
			if err != nil {
				t.Fatal(err)
			}
			if res.Deployable == nil || *res.Deployable != tc.want {
				t.Errorf("can %s %s go to %s: %v, want %v\n%s", tc.pacticipant, tc.version, tc.env, res.Deployable, tc.want, res.Reason())
			}
		}
	})
}
