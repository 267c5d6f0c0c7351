package client_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/broker/client/clienttest"
)

// TestCanIDeployQuery checks the queries against those the Pact CLI was captured sending.
func TestCanIDeployQuery(t *testing.T) {
	foo1 := client.MatrixSelector{Pacticipant: "Foo", Version: "1.0.0"}
	tests := []struct {
		name      string
		selectors []client.MatrixSelector
		ignore    []client.MatrixIgnore
		to        client.DeployTarget
		want      string
	}{
		{
			name:      "to an environment",
			selectors: []client.MatrixSelector{foo1},
			to:        client.DeployTarget{Environment: "production"},
			want:      "q[][pacticipant]=Foo&q[][version]=1.0.0&latestby=cvpv&environment=production",
		},
		{
			name:      "to a tag",
			selectors: []client.MatrixSelector{foo1},
			to:        client.DeployTarget{Tag: "prod"},
			want:      "q[][pacticipant]=Foo&q[][version]=1.0.0&tag=prod&latestby=cvp&latest=true",
		},
		{
			name:      "no target",
			selectors: []client.MatrixSelector{foo1},
			want:      "q[][pacticipant]=Foo&q[][version]=1.0.0&latestby=cvp&latest=true",
		},
		{
			name:      "two selectors and an ignored version",
			selectors: []client.MatrixSelector{foo1, {Pacticipant: "Bar", Latest: true, Tag: "prod"}},
			ignore:    []client.MatrixIgnore{{Pacticipant: "Baz", Version: "3"}},
			want:      "q[][pacticipant]=Foo&q[][version]=1.0.0&q[][pacticipant]=Bar&q[][latest]=true&q[][tag]=prod&ignore[][pacticipant]=Baz&ignore[][version]=3&latestby=cvpv",
		},
		{
			name:      "branch and main branch",
			selectors: []client.MatrixSelector{{Pacticipant: "Foo", Branch: "feat/x"}, {Pacticipant: "Bar", MainBranch: true}},
			to:        client.DeployTarget{Environment: "production"},
			want:      "q[][pacticipant]=Foo&q[][branch]=feat%2Fx&q[][pacticipant]=Bar&q[][mainBranch]=true&latestby=cvpv&environment=production",
		},
		{
			name:      "can-i-merge",
			selectors: []client.MatrixSelector{foo1},
			to:        client.DeployTarget{MainBranch: true},
			want:      "q[][pacticipant]=Foo&q[][version]=1.0.0&latestby=cvp&latest=true&mainBranch=true",
		},
		{
			name:      "names that need escaping",
			selectors: []client.MatrixSelector{{Pacticipant: "Foo Thing", Version: "1+2&3=4"}},
			ignore:    []client.MatrixIgnore{{Pacticipant: "Bar/Baz"}},
			to:        client.DeployTarget{Environment: "prod eu"},
			want:      "q[][pacticipant]=Foo%20Thing&q[][version]=1%2B2%263%3D4&ignore[][pacticipant]=Bar%2FBaz&latestby=cvpv&environment=prod%20eu",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := client.CanIDeployQuery(tt.selectors, tt.ignore, tt.to).Encode(); got != tt.want {
				t.Errorf("query:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestMatrix(t *testing.T) {
	ctx := context.Background()
	q := client.CanIDeployQuery([]client.MatrixSelector{{Pacticipant: "Foo", Version: "1.0.0"}}, nil, client.DeployTarget{Environment: "production"})

	t.Run("deployable", func(t *testing.T) {
		b := clienttest.NewBroker(t)
		m, err := newClient(t, b).Matrix(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Routes(); len(got) != 1 || got[0] != "GET /matrix?"+q.Encode() {
			t.Errorf("routes = %q", got)
		}
		s := m.Summary
		if s.Deployable == nil || !*s.Deployable || s.Success != 1 || s.Failed != 0 || s.Unknown != 0 || s.Ignored != nil {
			t.Errorf("summary = %+v", s)
		}
		if len(m.Notices) != 1 || m.Notices[0].Type != "success" || len(m.Raw) == 0 {
			t.Errorf("notices = %+v, raw %d bytes", m.Notices, len(m.Raw))
		}
		if len(m.Rows) != 1 {
			t.Fatalf("rows = %+v", m.Rows)
		}
		r := m.Rows[0]
		if r.Consumer.Name != "Foo" || r.Consumer.VersionNumber() != "1.0.0" || r.Provider.Name != "Bar" ||
			r.Provider.VersionNumber() != "2.0.0" || r.Success() == nil || !*r.Success() {
			t.Errorf("row = %+v", r)
		}
	})

	t.Run("unknown", func(t *testing.T) {
		b := clienttest.NewBroker(t)
		b.Respond("GET /matrix", http.StatusOK, clienttest.Fixture("matrix-unknown.json"))
		m, err := newClient(t, b).Matrix(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if m.Summary.Deployable != nil || m.Summary.Unknown != 1 {
			t.Errorf("summary = %+v", m.Summary)
		}
		if r := m.Rows[0]; r.Success() != nil || r.Provider.Version != nil || r.Provider.VersionNumber() != "" {
			t.Errorf("row = %+v", r)
		}
	})

	t.Run("refused", func(t *testing.T) {
		b := clienttest.NewBroker(t)
		b.Respond("GET /matrix", http.StatusBadRequest, clienttest.Fixture("matrix-unknown-pacticipant.json"))
		_, err := newClient(t, b).Matrix(ctx, q)
		var be *client.Error
		if !errors.As(err, &be) || be.Status != http.StatusBadRequest || be.Detail() != "Pacticipant Wiffle not found" {
			t.Errorf("err = %v", err)
		}
	})
}
