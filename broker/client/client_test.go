package client_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/broker/client/clienttest"
)

const (
	prod = clienttest.ProductionUUID
	test = clienttest.TestUUID
)

var pactFooBar = []byte(`{"consumer":{"name":"Foo"},"provider":{"name":"Bar"},"interactions":[],"metadata":{"pactSpecification":{"version":"2.0.0"}}}`)

func newClient(t *testing.T, b *clienttest.Broker, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(b.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRequests checks what each method sends, in which order, and what it makes of the answer.
func TestRequests(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(b *clienttest.Broker)
		call   func(ctx context.Context, c *client.Client) (any, error)
		routes []string
		bodies map[int]string // request index → expected JSON body
		check  func(t *testing.T, b *clienttest.Broker, got any)
		// notFound is the error, matching ErrNotFound, when the call must fail.
		notFound string
	}{
		{
			name:   "index",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Index(ctx) },
			routes: []string{"GET /"},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				link, ok := got.(*client.Index).Links.Get("pb:publish-contracts")
				if !ok || link.Href != b.URL+"/contracts/publish" {
					t.Errorf("pb:publish-contracts = %+v, %v", link, ok)
				}
			},
		},
		{
			name: "publish with branch, tags and build URL",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Publish(ctx, client.PublishRequest{
					Pacticipant: "Foo", Version: "1.0.0", Branch: "main", BuildURL: "http://ci/1", Tags: []string{"prod", "dev"},
					Contracts: []client.Contract{{Consumer: "Foo", Provider: "Bar", Content: pactFooBar}},
				})
			},
			routes: []string{"POST /contracts/publish"},
			bodies: map[int]string{0: `{"branch":"main","buildUrl":"http://ci/1",
				"contracts":[{"consumerName":"Foo","content":"` + base64.StdEncoding.EncodeToString(pactFooBar) + `","contentType":"application/json",
				"onConflict":"overwrite","providerName":"Bar","specification":"pact"}],
				"pacticipantName":"Foo","pacticipantVersionNumber":"1.0.0","tags":["prod","dev"]}`},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				res := got.(*client.PublishResult)
				if len(res.Notices) != 6 || res.Notices[1] != (client.Notice{Type: "success", Text: "Pact successfully published for Foo version 1.0.0 and provider Bar."}) {
					t.Errorf("notices = %+v", res.Notices)
				}
				if len(res.Links["pb:contracts"]) != 1 || !json.Valid(res.Raw) {
					t.Errorf("links or raw body missing: %v", res.Links)
				}
			},
		},
		{
			name: "publish merge leaves out what is not given",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.Publish(ctx, client.PublishRequest{
					Pacticipant: "Foo", Version: "1.0.1",
					Contracts: []client.Contract{{Consumer: "Foo", Provider: "Bar", Content: pactFooBar, OnConflict: client.OnConflictMerge}},
				})
			},
			routes: []string{"POST /contracts/publish"},
			bodies: map[int]string{0: `{"contracts":[{"consumerName":"Foo","content":"` + base64.StdEncoding.EncodeToString(pactFooBar) + `",
				"contentType":"application/json","onConflict":"merge","providerName":"Bar","specification":"pact"}],
				"pacticipantName":"Foo","pacticipantVersionNumber":"1.0.1"}`},
		},
		{
			name: "create environment",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.CreateEnvironment(ctx, client.EnvironmentRequest{
					Name: "staging", DisplayName: "Staging", Production: true,
					Contacts: []client.Contact{{Name: "Team A", Details: map[string]any{"emailAddress": "a@example.org"}}},
				})
			},
			routes: []string{"POST /environments"},
			bodies: map[int]string{0: `{"contacts":[{"details":{"emailAddress":"a@example.org"},"name":"Team A"}],"displayName":"Staging","name":"staging","production":true}`},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				env := got.(*client.Environment)
				if env.Name != "staging" || !env.Production || env.Contacts[0].Details["emailAddress"] != "a@example.org" {
					t.Errorf("environment = %+v", env)
				}
				if want := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); !env.CreatedAt.Equal(want) {
					t.Errorf("createdAt = %v", env.CreatedAt)
				}
			},
		},
		{
			name: "create environment sends production false",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.CreateEnvironment(ctx, client.EnvironmentRequest{Name: "dev"})
			},
			routes: []string{"POST /environments"},
			bodies: map[int]string{0: `{"name":"dev","production":false}`},
		},
		{
			name:   "list environments",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Environments(ctx) },
			routes: []string{"GET /environments"},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				list := got.(*client.EnvironmentList)
				if len(list.Environments) != 2 || list.Environments[0].Name != "production" || list.Environments[1].UUID != test {
					t.Errorf("environments = %+v", list.Environments)
				}
			},
		},
		{
			name:   "environment by uuid",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Environment(ctx, prod) },
			routes: []string{"GET /environments/" + prod},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				if env := got.(*client.Environment); env.Name != "production" || env.DisplayName != "Production" {
					t.Errorf("environment = %+v", env)
				}
			},
		},
		{
			name:   "environment by name",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.EnvironmentByName(ctx, "test") },
			routes: []string{"GET /environments"},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				env := got.(*client.Environment)
				if env.UUID != test {
					t.Errorf("environment = %+v", env)
				}
				// An item of a list keeps its own JSON, to be printed as the broker sent it.
				var raw map[string]any
				if err := json.Unmarshal(env.Raw, &raw); err != nil || raw["uuid"] != test {
					t.Errorf("raw = %s (%v)", env.Raw, err)
				}
			},
		},
		{
			name:     "unknown environment name",
			call:     func(ctx context.Context, c *client.Client) (any, error) { return c.EnvironmentByName(ctx, "staging") },
			routes:   []string{"GET /environments"},
			notFound: `environment "staging" does not exist`,
		},
		{
			name: "update environment",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.UpdateEnvironment(ctx, test, client.EnvironmentRequest{Name: "test", DisplayName: "Test env", Production: true})
			},
			routes: []string{"PUT /environments/" + test},
			bodies: map[int]string{0: `{"displayName":"Test env","name":"test","production":true}`},
		},
		{
			name:   "delete environment",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return nil, c.DeleteEnvironment(ctx, test) },
			routes: []string{"DELETE /environments/" + test},
		},
		{
			name: "update an existing pacticipant",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				p, created, err := c.CreateOrUpdatePacticipant(ctx, client.PacticipantRequest{Name: "Foo", DisplayName: "Foo App", MainBranch: "main", RepositoryURL: "https://github.com/x/foo"})
				if created {
					t.Error("created = true for an existing pacticipant")
				}
				return p, err
			},
			routes: []string{"GET /pacticipants/Foo", "PATCH /pacticipants/Foo"},
			bodies: map[int]string{1: `{"displayName":"Foo App","mainBranch":"main","name":"Foo","repositoryUrl":"https://github.com/x/foo"}`},
		},
		{
			name: "create a new pacticipant",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				p, created, err := c.CreateOrUpdatePacticipant(ctx, client.PacticipantRequest{Name: "NewApp", MainBranch: "main"})
				if !created {
					t.Error("created = false for a new pacticipant")
				}
				return p, err
			},
			routes: []string{"GET /pacticipants/NewApp", "POST /pacticipants"},
			bodies: map[int]string{1: `{"mainBranch":"main","name":"NewApp"}`},
		},
		{
			name:   "pacticipant",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Pacticipant(ctx, "Foo") },
			routes: []string{"GET /pacticipants/Foo"},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				p := got.(*client.Pacticipant)
				if p.DisplayName != "Foo App" || p.MainBranch != "main" || p.Embedded.LatestVersion.Number != "1.0.0" {
					t.Errorf("pacticipant = %+v", p)
				}
			},
		},
		{
			name:     "names are escaped as one path segment",
			call:     func(ctx context.Context, c *client.Client) (any, error) { return c.Pacticipant(ctx, "feat/x y") },
			routes:   []string{"GET /pacticipants/feat%2Fx%20y"},
			notFound: "get pacticipant feat/x y: broker said 404 Not Found: No resource found at /pacticipants/feat%2Fx%20y",
		},
		{
			name:   "list pacticipants",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Pacticipants(ctx) },
			routes: []string{"GET /pacticipants"},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				if list := got.(*client.PacticipantList); len(list.Pacticipants) != 2 || list.Pacticipants[1].Name != "Foo" {
					t.Errorf("pacticipants = %+v", list.Pacticipants)
				}
			},
		},
		{
			name: "list pacticipants from the deprecated array alone",
			setup: func(b *clienttest.Broker) {
				b.Respond("GET /pacticipants", http.StatusOK, `{"pacticipants":[{"name":"Old"}],"_links":{}}`)
			},
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Pacticipants(ctx) },
			routes: []string{"GET /pacticipants"},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				if list := got.(*client.PacticipantList); len(list.Pacticipants) != 1 || list.Pacticipants[0].Name != "Old" {
					t.Errorf("pacticipants = %+v", list.Pacticipants)
				}
			},
		},
		{
			name:   "version",
			call:   func(ctx context.Context, c *client.Client) (any, error) { return c.Version(ctx, "Foo", "1.0.0") },
			routes: []string{"GET /pacticipants/Foo/versions/1.0.0"},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				v := got.(*client.Version)
				if v.Number != "1.0.0" || v.Embedded.BranchVersions[0] != (client.BranchVersion{Name: "main", Latest: true}) || v.Embedded.Tags[0].Name != "prod" {
					t.Errorf("version = %+v", v)
				}
				if link, ok := v.Links.Named("pb:record-deployment", "test"); !ok || !strings.HasSuffix(link.Href, test) {
					t.Errorf("pb:record-deployment test = %+v", link)
				}
			},
		},
		{
			name: "record deployment of an application instance",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.RecordDeployment(ctx, "Foo", "1.0.0", "production", "blue")
			},
			routes: []string{"GET /pacticipants/Foo/versions/1.0.0", "POST /pacticipants/Foo/versions/1.0.0/deployed-versions/environment/" + prod},
			bodies: map[int]string{1: `{"applicationInstance":"blue","target":"blue"}`},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				d := got.(*client.DeployedVersion)
				if !d.CurrentlyDeployed || d.Embedded.Pacticipant.Name != "Foo" || d.Embedded.Environment.Name != "production" {
					t.Errorf("deployed version = %+v", d)
				}
			},
		},
		{
			name: "record deployment without an instance",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.RecordDeployment(ctx, "Foo", "1.0.0", "production", "")
			},
			routes: []string{"GET /pacticipants/Foo/versions/1.0.0", "POST /pacticipants/Foo/versions/1.0.0/deployed-versions/environment/" + prod},
			bodies: map[int]string{1: `{}`},
		},
		{
			name: "record deployment to an unknown environment",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.RecordDeployment(ctx, "Foo", "1.0.0", "staging", "")
			},
			routes:   []string{"GET /pacticipants/Foo/versions/1.0.0"},
			notFound: `record deployment of Foo 1.0.0 to staging: environment "staging" does not exist`,
		},
		{
			name: "record deployment follows links to another host",
			setup: func(b *clienttest.Broker) {
				// A broker behind a proxy writes links with its own idea of its URL.
				b.Respond("GET /pacticipants/Foo/versions/1.0.0", http.StatusOK,
					strings.ReplaceAll(clienttest.Fixture("version-foo-1.0.0.json"), clienttest.Base, "http://internal.example:9292"))
			},
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.RecordDeployment(ctx, "Foo", "1.0.0", "production", "")
			},
			routes: []string{"GET /pacticipants/Foo/versions/1.0.0", "POST /pacticipants/Foo/versions/1.0.0/deployed-versions/environment/" + prod},
		},
		{
			name: "record undeployment",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.RecordUndeployment(ctx, "Foo", "test", "")
			},
			routes: []string{"GET /environments", "GET /environments/" + test + "/deployed-versions/currently-deployed?pacticipant=Foo",
				"PATCH /deployed-versions/ff3adecf-cfc5-4653-a4e3-f1861092f8e0"},
			bodies: map[int]string{2: `{"currentlyDeployed":false}`},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				list := got.([]client.DeployedVersion)
				if len(list) != 1 || list[0].CurrentlyDeployed || list[0].UndeployedAt == nil || list[0].Embedded.Version.Number != "1.0.0" {
					t.Errorf("undeployed = %+v", list)
				}
			},
		},
		{
			name: "record undeployment of an application instance",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.RecordUndeployment(ctx, "Foo", "test", "blue")
			},
			routes: []string{"GET /environments", "GET /environments/" + test + "/deployed-versions/currently-deployed?pacticipant=Foo",
				"PATCH /deployed-versions/0b3adecf-cfc5-4653-a4e3-f1861092f8e1"},
		},
		{
			name: "record undeployment of what is not deployed",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.RecordUndeployment(ctx, "Bar", "test", "green")
			},
			routes:   []string{"GET /environments", "GET /environments/" + test + "/deployed-versions/currently-deployed?pacticipant=Bar"},
			notFound: `record undeployment of Bar from test: Bar is not currently deployed to test as application instance "green"`,
		},
		{
			name: "record undeployment looks up links missing from the list",
			setup: func(b *clienttest.Broker) {
				b.Respond("GET /environments", http.StatusOK, `{"_embedded":{"environments":[{"uuid":"`+test+`","name":"test","production":false}]}}`)
			},
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.RecordUndeployment(ctx, "Foo", "test", "")
			},
			routes: []string{"GET /environments", "GET /environments/" + test, "GET /environments/" + test + "/deployed-versions/currently-deployed?pacticipant=Foo",
				"PATCH /deployed-versions/ff3adecf-cfc5-4653-a4e3-f1861092f8e0"},
		},
		{
			name: "record release",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.RecordRelease(ctx, "Foo", "1.0.0", "production")
			},
			routes: []string{"GET /pacticipants/Foo/versions/1.0.0", "POST /pacticipants/Foo/versions/1.0.0/released-versions/environment/" + prod},
			bodies: map[int]string{1: `{}`},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				if r := got.(*client.ReleasedVersion); !r.CurrentlySupported || r.Embedded.Version.Number != "1.0.0" {
					t.Errorf("released version = %+v", r)
				}
			},
		},
		{
			name: "record support ended",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.RecordSupportEnded(ctx, "Foo", "1.0.0", "production")
			},
			routes: []string{"GET /environments", "GET /environments/" + prod + "/released-versions/currently-supported?pacticipant=Foo",
				"PATCH /released-versions/aa3adecf-cfc5-4653-a4e3-f1861092f8e0"},
			bodies: map[int]string{2: `{"currentlySupported":false}`},
			check: func(t *testing.T, b *clienttest.Broker, got any) {
				if r := got.(*client.ReleasedVersion); r.CurrentlySupported || r.SupportEndedAt == nil {
					t.Errorf("released version = %+v", r)
				}
			},
		},
		{
			name: "record support ended of a version not released",
			call: func(ctx context.Context, c *client.Client) (any, error) {
				return c.RecordSupportEnded(ctx, "Foo", "2.0.0", "production")
			},
			routes:   []string{"GET /environments", "GET /environments/" + prod + "/released-versions/currently-supported?pacticipant=Foo"},
			notFound: "record support ended for Foo 2.0.0 in production: Foo 2.0.0 is not currently supported in production",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := clienttest.NewBroker(t)
			if tt.setup != nil {
				tt.setup(b)
			}
			got, err := tt.call(context.Background(), newClient(t, b))
			switch {
			case tt.notFound != "":
				if !errors.Is(err, client.ErrNotFound) || err.Error() != tt.notFound {
					t.Errorf("error:\n got %v\nwant %s (matching ErrNotFound)", err, tt.notFound)
				}
			case err != nil:
				t.Fatalf("error: %v", err)
			case tt.check != nil:
				tt.check(t, b, got)
			}
			reqs := b.Requests()
			if routes := b.Routes(); !reflect.DeepEqual(routes, tt.routes) {
				t.Errorf("routes:\n got %q\nwant %q", routes, tt.routes)
			}
			for i, want := range tt.bodies {
				if i >= len(reqs) {
					continue
				}
				if !jsonEqual(reqs[i].Body, want) {
					t.Errorf("body of request %d:\n got %s\nwant %s", i, reqs[i].Body, want)
				}
			}
			for _, r := range reqs {
				checkHeaders(t, r)
			}
		})
	}
}

// checkHeaders checks the headers every request carries.
func checkHeaders(t *testing.T, r clienttest.Request) {
	t.Helper()
	if got := r.Header.Get("Accept"); got != "application/hal+json, application/json" {
		t.Errorf("%s: Accept = %q", r.Route(), got)
	}
	if got := r.Header.Get("User-Agent"); got != client.DefaultUserAgent {
		t.Errorf("%s: User-Agent = %q", r.Route(), got)
	}
	want := ""
	switch {
	case r.Body == "":
	case r.Method == http.MethodPatch:
		want = "application/merge-patch+json"
	default:
		want = "application/json"
	}
	if got := r.Header.Get("Content-Type"); got != want {
		t.Errorf("%s: Content-Type = %q, want %q", r.Route(), got, want)
	}
}

func jsonEqual(a, b string) bool {
	var va, vb any
	return json.Unmarshal([]byte(a), &va) == nil && json.Unmarshal([]byte(b), &vb) == nil && reflect.DeepEqual(va, vb)
}

func TestAuthAndUserAgent(t *testing.T) {
	tests := []struct {
		name string
		opts []client.Option
		want string
	}{
		{"none", nil, ""},
		{"token", []client.Option{client.WithToken("s3cr3t")}, "Bearer s3cr3t"},
		{"basic", []client.Option{client.WithBasicAuth("user", "pass")}, "Basic dXNlcjpwYXNz"},
		{"token wins over basic", []client.Option{client.WithBasicAuth("user", "pass"), client.WithToken("s3cr3t")}, "Bearer s3cr3t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := clienttest.NewBroker(t)
			c := newClient(t, b, append(tt.opts, client.WithUserAgent("treaty/1.2.3"))...)
			if _, err := c.Index(context.Background()); err != nil {
				t.Fatal(err)
			}
			r := b.Requests()[0]
			if got := r.Header.Get("Authorization"); got != tt.want {
				t.Errorf("Authorization = %q, want %q", got, tt.want)
			}
			if got := r.Header.Get("User-Agent"); got != "treaty/1.2.3" {
				t.Errorf("User-Agent = %q", got)
			}
		})
	}
}

func TestBrokerErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		want        string
		wantNotices int
		notFound    bool
	}{
		{
			name: "nested validation errors", status: 400, body: clienttest.Fixture("publish-invalid.json"),
			want: "broker said 400 Bad Request: contracts.0: consumerName (Baz) must match pacticipantName (Foo)",
		},
		{
			name: "dotted validation errors", status: 400,
			body: `{"errors":{"pacticipantVersionNumber":["cannot be blank"],"contracts.0":["consumerName (x) must match pacticipantName (y)"]}}`,
			want: "broker said 400 Bad Request: contracts.0: consumerName (x) must match pacticipantName (y); pacticipantVersionNumber: cannot be blank",
		},
		{
			name: "list of errors", status: 400, body: `{"errors":["Pacticipant Foo not found"]}`,
			want: "broker said 400 Bad Request: Pacticipant Foo not found",
		},
		{
			name: "conflict with notices", status: 409, body: clienttest.Fixture("publish-conflict.json"),
			want:        "broker said 409 Conflict: contracts: Cannot change the content of the pact for Foo version 1.0.0 and provider Bar",
			wantNotices: 2,
		},
		{
			name: "notices alone", status: 409, body: `{"notices":[{"type":"info","text":"see above"},{"type":"error","text":"This looks like a duplicate of Foo"}]}`,
			want: "broker said 409 Conflict: This looks like a duplicate of Foo", wantNotices: 2,
		},
		{
			name: "single message", status: 404, body: `{"error":"No pacticipant with name 'Baz' found"}`,
			want: "broker said 404 Not Found: No pacticipant with name 'Baz' found", notFound: true,
		},
		{
			name: "server error object", status: 500, body: `{"error":{"message":"database is locked","reference":"abc123"}}`,
			want: "broker said 500 Internal Server Error: database is locked",
		},
		{
			name: "plain text", status: 401, body: "Unauthorized\n",
			want: "broker said 401 Unauthorized: Unauthorized",
		},
		{
			name: "html page", status: 502, body: "<html><body>Bad gateway</body></html>",
			want: "broker said 502 Bad Gateway",
		},
		{
			name: "no body", status: 403, want: "broker said 403 Forbidden",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := clienttest.NewBroker(t)
			b.Respond("GET /", tt.status, tt.body)
			_, err := newClient(t, b).Index(context.Background())
			var be *client.Error
			if !errors.As(err, &be) {
				t.Fatalf("error = %v, want a *client.Error", err)
			}
			if be.Status != tt.status {
				t.Errorf("status = %d", be.Status)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			if len(be.Notices) != tt.wantNotices {
				t.Errorf("notices = %+v", be.Notices)
			}
			if errors.Is(err, client.ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v", !tt.notFound)
			}
		})
	}
}

func TestUnreachableBroker(t *testing.T) {
	b := clienttest.NewBroker(t)
	c := newClient(t, b)
	b.Close()
	_, err := c.Index(context.Background())
	if err == nil {
		t.Fatal("no error from a closed broker")
	}
	want := "cannot reach the broker at " + b.URL + ": "
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want it to start with %q", err, want)
	}
	var be *client.Error
	if errors.As(err, &be) {
		t.Errorf("unreachable broker gave a *client.Error: %v", be)
	}
}

func TestNotJSON(t *testing.T) {
	b := clienttest.NewBroker(t)
	b.Server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>not a broker</html>"))
	})
	_, err := newClient(t, b).Index(context.Background())
	if err == nil || !strings.Contains(err.Error(), "with text/html, not JSON") {
		t.Errorf("error = %v", err)
	}
}

func TestNew(t *testing.T) {
	for _, base := range []string{"", "127.0.0.1:9292", "ftp://broker", "http://"} {
		if _, err := client.New(base); err == nil {
			t.Errorf("New(%q) accepted a bad URL", base)
		}
	}
	// A trailing slash and a path prefix are kept apart from the API paths.
	b := clienttest.NewBroker(t)
	c, err := client.New(b.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Pacticipant(context.Background(), "Foo"); err != nil {
		t.Fatal(err)
	}
	if got := b.Routes(); !reflect.DeepEqual(got, []string{"GET /pacticipants/Foo"}) {
		t.Errorf("routes = %q", got)
	}
}
