package webhooks

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker"
)

// fakeResolver answers from a table, so tests choose what names resolve to.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	addrs, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func TestPolicyValidate(t *testing.T) {
	dns := fakeResolver{"ci.example.org": {"93.184.216.34"}, "rebind.example.org": {"93.184.216.34", "10.0.0.7"}, "ci.internal": {"10.1.2.3"}}
	defaults := Policy{Resolver: dns}
	widened := Policy{Schemes: []string{"http", "https"}, Methods: []string{"POST", "PUT"}, Resolver: dns,
		Hosts: []string{"127.0.0.1", "ci.internal", "*.corp.example", "10.9.0.0/16"}}
	cases := []struct {
		name   string
		policy Policy
		method string
		url    string
		want   string // "" when allowed; else a substring of the refusal
	}{
		{"public https POST", defaults, "POST", "https://ci.example.org/build", ""},
		{"name that does not resolve is accepted (checked again on connect)", defaults, "POST", "https://unknown.example.org/", ""},
		{"http refused by default", defaults, "POST", "http://ci.example.org/", "scheme must be https"},
		{"GET refused by default", defaults, "GET", "https://ci.example.org/", "must be POST"},
		{"loopback address", defaults, "POST", "https://127.0.0.1:8443/", "not a public address"},
		{"private address", defaults, "POST", "https://10.0.0.8/", "not a public address"},
		{"cloud metadata (link-local)", defaults, "POST", "https://169.254.169.254/latest/meta-data", "not a public address"},
		{"IPv6 loopback", defaults, "POST", "https://[::1]/", "not a public address"},
		{"IPv4-mapped IPv6 loopback", defaults, "POST", "https://[::ffff:127.0.0.1]/", "not a public address"},
		{"shared address space", defaults, "POST", "https://100.64.0.1/", "not a public address"},
		{"unspecified address", defaults, "POST", "https://0.0.0.0/", "not a public address"},
		{"localhost by name", defaults, "POST", "https://localhost:9292/", "loopback name"},
		{"name resolving to a private address", defaults, "POST", "https://ci.internal/", "resolves to 10.1.2.3"},
		{"name resolving to public and private addresses", defaults, "POST", "https://rebind.example.org/", "resolves to 10.0.0.7"},
		{"allow-listed address", widened, "POST", "http://127.0.0.1:8080/hook", ""},
		{"allow-listed name resolving privately", widened, "PUT", "https://ci.internal/", ""},
		{"allow-listed wildcard", widened, "POST", "https://jenkins.corp.example/", ""},
		{"allow-listed network", widened, "POST", "https://10.9.4.4/", ""},
		{"address outside the allow-listed network", widened, "POST", "https://10.8.4.4/", "not a public address"},
		{"other loopback address not allow-listed", widened, "POST", "http://127.0.0.2/", "not a public address"},
		{"method outside the widened list", widened, "DELETE", "https://ci.example.org/", "must be one of POST, PUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := broker.Webhook{Events: []string{broker.EventContractPublished}, Request: broker.WebhookRequest{Method: tc.method, URL: tc.url}}
			err := tc.policy.Validate(context.Background(), w)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want a refusal mentioning %q", err, tc.want)
			}
		})
	}
}

// The check on connect uses the address actually dialled, so a name that passed when the
// webhook was saved cannot later point the broker at a private address.
func TestSenderRefusesPrivateAddressesOnConnect(t *testing.T) {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	defer receiver.Close()
	port := receiver.Listener.Addr().(*net.TCPAddr).Port

	s := NewSender(Policy{Schemes: []string{"http"}}, SenderOptions{})
	// "localhost" resolves to 127.0.0.1: bypass the name check to reach the dial check.
	_, err := s.client.Get("http://localhost:" + strconv.Itoa(port) + "/")
	var r *RefusedError
	if !errors.As(err, &r) {
		t.Fatalf("a connection to 127.0.0.1 must be refused on connect, got %v", err)
	}

	allowed := NewSender(Policy{Schemes: []string{"http"}, Hosts: []string{"localhost"}}, SenderOptions{})
	resp, err := allowed.client.Get("http://localhost:" + strconv.Itoa(port) + "/")
	if err != nil {
		t.Fatalf("an allow-listed name may resolve anywhere: %v", err)
	}
	resp.Body.Close()

	w := broker.Webhook{Enabled: true, Events: []string{broker.EventContractPublished},
		Request: broker.WebhookRequest{Method: "POST", URL: "http://127.0.0.1:" + strconv.Itoa(port) + "/"}}
	a, permanent := s.Execute(context.Background(), "http://broker", w, broker.WebhookEvent{Name: broker.EventTest})
	if a.Success || !permanent || !strings.Contains(a.Error, "not a public address") {
		t.Fatalf("executing to a refused address: success=%v permanent=%v error=%q", a.Success, permanent, a.Error)
	}
}
