package store_test

import (
	"context"
	"testing"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/store/storetest"
)

func TestRecordDeploymentReplacesSameInstance(t *testing.T) {
	storetest.Run(t, storetest.Options{}, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		env, err := s.CreateEnvironment(ctx, broker.Environment{Name: "prod", Production: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"1", "2", "3"} {
			if _, _, err := s.PutVersion(ctx, "Bar", v, broker.VersionPatch{}); err != nil {
				t.Fatal(err)
			}
		}
		blue := "blue"
		steps := []struct {
			version  string
			instance *string
		}{{"1", nil}, {"2", &blue}, {"3", nil}}
		for _, st := range steps {
			if _, err := s.RecordDeployment(ctx, "Bar", st.version, env.UUID, st.instance); err != nil {
				t.Fatalf("deploy %s: %v", st.version, err)
			}
		}
		current, err := s.CurrentlyDeployed(ctx, env.UUID, broker.DeploymentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, d := range current {
			got[d.Version] = true
		}
		if len(current) != 2 || !got["2"] || !got["3"] {
			t.Fatalf("currently deployed = %+v, want versions 2 (blue) and 3 (no instance)", current)
		}
		v, err := s.Version(ctx, "Bar", "1")
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Deployments) != 1 || v.Deployments[0].CurrentlyDeployed {
			t.Fatalf("version 1 deployments = %+v, want one, undeployed", v.Deployments)
		}
	})
}
