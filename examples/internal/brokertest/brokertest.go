// Package brokertest runs a real Treaty broker inside an example service's test, on a loopback
// port and over a real store, and plays the consumer's side of the pipeline: order-service
// publishing the pacts its consumer tests wrote. The providers' tests then verify against it
// as their own CI would, and ask it can-i-deploy.
package brokertest

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/broker/store"
)

// Consumer is the example consumer whose pacts the providers verify.
const Consumer = "order-service"

// PactDir is order-service's committed pacts directory, found from this file so that tests in
// any package can use it.
func PactDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "order-service", "pacts")
}

// Broker is a broker serving one test.
type Broker struct {
	URL    string
	Client *client.Client
}

// Start serves the broker API over s on a loopback port until the test ends.
func Start(t *testing.T, s *store.Store) *Broker {
	t.Helper()
	srv := httptest.NewServer(api.New(s, nil, api.Config{}))
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &Broker{URL: srv.URL, Client: c}
}

// PublishConsumerPacts publishes order-service's committed pacts as version on branch main,
// as the consumer's CI does after its contract tests pass.
func (b *Broker) PublishConsumerPacts(t *testing.T, version string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(PactDir(), "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("order-service pacts in %s: %v (found %d)", PactDir(), err, len(files))
	}
	req := client.PublishRequest{Pacticipant: Consumer, Version: version, Branch: "main"}
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := broker.ParsePact(content)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		req.Contracts = append(req.Contracts, client.Contract{Consumer: doc.ConsumerName(), Provider: doc.ProviderName(), Content: content})
	}
	if _, err := b.Client.Publish(context.Background(), req); err != nil {
		t.Fatalf("publish order-service %s: %v", version, err)
	}
}

// CanDeployTogether asks can-i-deploy whether the consumer at consumerVersion and the
// provider's latest version can run together:
// `can-i-deploy --pacticipant order-service --version V --pacticipant P --latest`.
func (b *Broker) CanDeployTogether(t *testing.T, consumerVersion, provider string) *client.Matrix {
	t.Helper()
	q := client.CanIDeployQuery([]client.MatrixSelector{
		{Pacticipant: Consumer, Version: consumerVersion},
		{Pacticipant: provider, Latest: true},
	}, nil, client.DeployTarget{})
	m, err := b.Client.Matrix(context.Background(), q)
	if err != nil {
		t.Fatalf("can-i-deploy %s %s with the latest %s: %v", Consumer, consumerVersion, provider, err)
	}
	return m
}

// Deployable says yes, no or unknown, as can-i-deploy prints it.
func Deployable(m *client.Matrix) string {
	switch d := m.Summary.Deployable; {
	case d == nil:
		return "unknown"
	case *d:
		return "yes"
	default:
		return "no"
	}
}
