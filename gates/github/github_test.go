package github

import (
	"errors"
	"strings"
	"testing"

	"github.com/treaty-dev/treaty/broker"
)

func TestVerifySignature(t *testing.T) {
	// GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
	const want = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	body := []byte("Hello, World!")
	if got := Sign("It's a Secret to Everybody", body); got != want {
		t.Fatalf("Sign = %s", got)
	}
	if err := VerifySignature("It's a Secret to Everybody", body, want); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ secret, header string }{
		{"another secret", want}, {"It's a Secret to Everybody", "sha1=757107"}, {"It's a Secret to Everybody", "sha256=zz"},
		{"It's a Secret to Everybody", ""}, {"", want},
	} {
		if err := VerifySignature(bad.secret, body, bad.header); !errors.Is(err, broker.ErrUnauthorized) {
			t.Errorf("%q %q: %v", bad.secret, bad.header, err)
		}
	}
}

func TestPacticipantOfRepository(t *testing.T) {
	repo := Repository{FullName: "Shop/Order-Service", HTMLURL: "https://github.com/Shop/Order-Service", CloneURL: "https://github.com/Shop/Order-Service.git"}
	tests := []struct {
		name         string
		mapping      map[string]string
		pacticipants []broker.Pacticipant
		want         string
	}{
		{"a mapping wins", map[string]string{"shop/order-service": "orders"}, []broker.Pacticipant{{Name: "order-service", RepositoryURL: "https://github.com/shop/order-service"}}, "orders"},
		{"by repository URL", nil, []broker.Pacticipant{{Name: "x"}, {Name: "order-service", RepositoryURL: "https://github.com/shop/order-service.git"}}, "order-service"},
		{"by an SSH URL", nil, []broker.Pacticipant{{Name: "order-service", RepositoryURL: "git@github.com:shop/order-service.git"}}, "order-service"},
		{"by namespace and name", nil, []broker.Pacticipant{{Name: "order-service", RepositoryNamespace: "shop", RepositoryName: "order-service"}}, "order-service"},
		{"nobody", nil, []broker.Pacticipant{{Name: "order-service", RepositoryURL: "https://github.com/shop/order-service-legacy"}}, ""},
	}
	for _, tt := range tests {
		got, ok := Pacticipant(repo, tt.mapping, tt.pacticipants)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: %q %v", tt.name, got, ok)
		}
	}
}

func TestParseProtectionRuleEvent(t *testing.T) {
	cfg := Config{APIURL: "https://github.example/api/v3"}
	good := `{"action": "requested", "environment": "production", "sha": "a3f9c21", "repository": {"full_name": "shop/order-service"},
		"deployment_callback_url": "https://github.example/api/v3/repos/shop/order-service/actions/runs/1/deployment_protection_rule"}`
	ev, err := ParseProtectionRuleEvent([]byte(good), cfg)
	if err != nil || ev.SHA != "a3f9c21" || ev.Environment != "production" {
		t.Fatalf("%+v %v", ev, err)
	}
	for _, bad := range []string{
		`{"action": "requested"}`,
		strings.Replace(good, "https://github.example/api/v3/repos", "https://github.example/elsewhere/repos", 1),
		strings.Replace(good, "https://github.example", "http://github.example", 1),
		`not json`,
	} {
		if _, err := ParseProtectionRuleEvent([]byte(bad), cfg); !errors.Is(err, broker.ErrInvalid) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if (Config{}).APIBase() != DefaultAPIURL {
		t.Error("the default API")
	}
}
