package cli

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/treaty-dev/treaty/broker/client/clienttest"
)

const (
	prodUUID = clienttest.ProductionUUID
	testUUID = clienttest.TestUUID
)

func TestEnvironment(t *testing.T) {
	runBrokerCmdTests(t, []brokerCmdTest{
		{
			name: "create",
			args: []string{"environment", "create", "--name", "staging", "--display-name", "Staging", "--production",
				"--contact-name", "Team A", "--contact-email-address", "a@example.org"},
			stdout: "Created environment staging (5d4a6d44-7c6a-4b8e-9d2b-3c9a3e0f1a11)\n",
			routes: []string{"POST /environments"},
			check: func(t *testing.T, b *clienttest.Broker, _ string) {
				wantJSON(t, requestBody(t, b, 0), `{"contacts":[{"details":{"emailAddress":"a@example.org"},"name":"Team A"}],
					"displayName":"Staging","name":"staging","production":true}`)
			},
		},
		{
			name: "create a name already used",
			setup: func(t *testing.T, b *clienttest.Broker, _ string) {
				b.Respond("POST /environments", http.StatusBadRequest, clienttest.Fixture("environment-name-taken.json"))
			},
			args:   []string{"environment", "create", "--name", "production"},
			code:   ExitNo,
			stderr: []string{"error: create environment production: broker said 400 Bad Request: name: name 'production' is already used by an existing environment."},
		},
		{
			name:   "create with an email address and no contact",
			args:   []string{"environment", "create", "--name", "staging", "--contact-email-address", "a@example.org"},
			code:   ExitUsage,
			stderr: []string{"contact-name"},
			routes: []string{},
		},
		{
			name:   "create without a name",
			args:   []string{"environment", "create"},
			code:   ExitUsage,
			stderr: []string{`required flag(s) "name" not set`},
		},
		{
			name:   "list",
			args:   []string{"environment", "list"},
			stdout: "production\ntest\n",
			routes: []string{"GET /environments"},
		},
		{
			name: "list as a table",
			args: []string{"environment", "list", "-o", "table"},
			stdout: "NAME        DISPLAY NAME  PRODUCTION  UUID\n" +
				"production  Production    true        " + prodUUID + "\n" +
				"test        Test          false       " + testUUID + "\n",
		},
		{
			name: "list as JSON",
			args: []string{"environment", "list", "-o", "json"},
			check: func(t *testing.T, _ *clienttest.Broker, stdout string) {
				var out struct {
					Embedded struct {
						Environments []any `json:"environments"`
					} `json:"_embedded"`
				}
				if err := json.Unmarshal([]byte(stdout), &out); err != nil || len(out.Embedded.Environments) != 2 {
					t.Errorf("stdout is not the broker's list (%v):\n%s", err, stdout)
				}
			},
		},
		{
			name: "describe by name",
			args: []string{"environment", "describe", "--name", "test"},
			stdout: "Name:          test\n" +
				"Display name:  Test\n" +
				"UUID:          " + testUUID + "\n" +
				"Production:    false\n" +
				"Contacts:      Team A <a@example.org>\n" +
				"Created:       2024-01-01T00:00:00Z\n",
			routes: []string{"GET /environments"},
		},
		{
			name:   "describe by UUID as JSON",
			args:   []string{"environment", "describe", "--uuid", prodUUID, "-o", "json"},
			routes: []string{"GET /environments/" + prodUUID},
			check: func(t *testing.T, _ *clienttest.Broker, stdout string) {
				var env map[string]any
				if err := json.Unmarshal([]byte(stdout), &env); err != nil || env["name"] != "production" || env["_links"] == nil {
					t.Errorf("stdout is not the broker's environment (%v):\n%s", err, stdout)
				}
			},
		},
		{
			name: "describe by name as JSON",
			args: []string{"environment", "describe", "--name", "test", "-o", "json"},
			check: func(t *testing.T, _ *clienttest.Broker, stdout string) {
				var env map[string]any
				if err := json.Unmarshal([]byte(stdout), &env); err != nil || env["uuid"] != testUUID {
					t.Errorf("stdout is not the broker's environment (%v):\n%s", err, stdout)
				}
			},
		},
		{
			name:   "describe an unknown name",
			args:   []string{"environment", "describe", "--name", "staging"},
			code:   ExitNo,
			stderr: []string{`error: environment "staging" does not exist`},
		},
		{
			name:   "describe needs a UUID or a name",
			args:   []string{"environment", "describe"},
			code:   ExitUsage,
			stderr: []string{"uuid name"},
			routes: []string{},
		},
		{
			name:   "describe takes a UUID or a name, not both",
			args:   []string{"environment", "describe", "--uuid", testUUID, "--name", "test"},
			code:   ExitUsage,
			routes: []string{},
		},
		{
			name:   "update changes only what the flags say",
			args:   []string{"environment", "update", "--uuid", testUUID, "--display-name", "Test env", "--production"},
			stdout: "Updated environment test (" + testUUID + ")\n",
			routes: []string{"GET /environments/" + testUUID, "PUT /environments/" + testUUID},
			check: func(t *testing.T, b *clienttest.Broker, _ string) {
				wantJSON(t, requestBody(t, b, 1), `{"name":"test","displayName":"Test env","production":true,
					"contacts":[{"name":"Team A","details":{"emailAddress":"a@example.org"}}]}`)
			},
		},
		{
			name:   "update an unknown UUID",
			args:   []string{"environment", "update", "--uuid", "nope", "--production=false"},
			code:   ExitNo,
			stderr: []string{"broker said 404 Not Found"},
			routes: []string{"GET /environments/nope"},
		},
		{
			name:   "delete by name",
			args:   []string{"environment", "delete", "--name", "test"},
			stdout: "Deleted environment test (" + testUUID + ")\n",
			routes: []string{"GET /environments", "DELETE /environments/" + testUUID},
		},
		{
			name:   "delete an unknown UUID",
			args:   []string{"environment", "delete", "--uuid", "nope"},
			code:   ExitNo,
			routes: []string{"GET /environments/nope"},
		},
	})
}
