package cli

import (
	"testing"

	"github.com/treaty-dev/treaty/broker/client/clienttest"
)

func TestPacticipant(t *testing.T) {
	runBrokerCmdTests(t, []brokerCmdTest{
		{
			name:   "create updates an existing pacticipant",
			args:   []string{"pacticipant", "create", "--name", "Foo", "--display-name", "Foo App", "--main-branch", "main", "--repository-url", "https://github.com/x/foo"},
			stdout: "Updated pacticipant Foo\n",
			routes: []string{"GET /pacticipants/Foo", "PATCH /pacticipants/Foo"},
			check: func(t *testing.T, b *clienttest.Broker, _ string) {
				wantJSON(t, requestBody(t, b, 1), `{"displayName":"Foo App","mainBranch":"main","name":"Foo","repositoryUrl":"https://github.com/x/foo"}`)
			},
		},
		{
			name:   "create a new pacticipant",
			args:   []string{"pacticipant", "create", "--name", "NewApp", "--main-branch", "main"},
			stdout: "Created pacticipant NewApp\n",
			routes: []string{"GET /pacticipants/NewApp", "POST /pacticipants"},
			check: func(t *testing.T, b *clienttest.Broker, _ string) {
				wantJSON(t, requestBody(t, b, 1), `{"mainBranch":"main","name":"NewApp"}`)
			},
		},
		{
			name: "describe",
			args: []string{"pacticipant", "describe", "--name", "Foo"},
			stdout: "Name:            Foo\n" +
				"Display name:    Foo App\n" +
				"Main branch:     main\n" +
				"Repository URL:  https://github.com/x/Foo\n" +
				"Latest version:  1.0.0\n" +
				"Created:         2024-01-01T00:00:00Z\n" +
				"Updated:         2024-01-02T00:00:00Z\n",
		},
		{
			name:   "describe an unknown pacticipant",
			args:   []string{"pacticipant", "describe", "--name", "feat/x"},
			code:   ExitNo,
			stderr: []string{"error: get pacticipant feat/x: broker said 404 Not Found"},
			routes: []string{"GET /pacticipants/feat%2Fx"},
		},
		{
			name:   "list",
			args:   []string{"pacticipant", "list"},
			stdout: "Bar\nFoo\n",
		},
		{
			name: "list as a table",
			args: []string{"pacticipant", "list", "-o", "table"},
			stdout: "NAME  DISPLAY NAME  MAIN BRANCH  LATEST VERSION\n" +
				"Bar   Bar           main         1.0.0\n" +
				"Foo   Foo App       main         1.0.0\n",
		},
	})
}
