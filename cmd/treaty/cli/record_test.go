package cli

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/treaty-dev/treaty/broker/client/clienttest"
)

func TestRecordDeploymentAndRelease(t *testing.T) {
	const version = "/pacticipants/Foo/versions/1.0.0"
	runBrokerCmdTests(t, []brokerCmdTest{
		{
			name:   "record deployment",
			args:   []string{"record-deployment", "--pacticipant", "Foo", "--version", "1.0.0", "--environment", "production", "--application-instance", "blue"},
			stdout: "Recorded deployment of Foo 1.0.0 to production (application instance blue)\n",
			routes: []string{"GET " + version, "POST " + version + "/deployed-versions/environment/" + prodUUID},
			check: func(t *testing.T, b *clienttest.Broker, _ string) {
				wantJSON(t, requestBody(t, b, 1), `{"applicationInstance":"blue","target":"blue"}`)
			},
		},
		{
			name: "record deployment as JSON",
			args: []string{"record-deployment", "--pacticipant", "Foo", "--version", "1.0.0", "--environment", "production", "-o", "json"},
			check: func(t *testing.T, _ *clienttest.Broker, stdout string) {
				var d map[string]any
				if err := json.Unmarshal([]byte(stdout), &d); err != nil || d["currentlyDeployed"] != true {
					t.Errorf("stdout is not the deployed version (%v):\n%s", err, stdout)
				}
			},
		},
		{
			name:   "record deployment to an unknown environment",
			args:   []string{"record-deployment", "--pacticipant", "Foo", "--version", "1.0.0", "--environment", "staging"},
			code:   ExitNo,
			stderr: []string{`error: record deployment of Foo 1.0.0 to staging: environment "staging" does not exist`},
			routes: []string{"GET " + version},
		},
		{
			name:   "record deployment of an unknown version",
			args:   []string{"record-deployment", "--pacticipant", "Foo", "--version", "9.9.9", "--environment", "production"},
			code:   ExitNo,
			stderr: []string{"broker said 404 Not Found"},
		},
		{
			name: "record deployment refused",
			setup: func(t *testing.T, b *clienttest.Broker, _ string) {
				b.Respond("POST "+version+"/deployed-versions/environment/"+prodUUID, http.StatusConflict,
					`{"errors":{"applicationInstance":["is being deployed by another request"]}}`)
			},
			args:   []string{"record-deployment", "--pacticipant", "Foo", "--version", "1.0.0", "--environment", "production"},
			code:   ExitNo,
			stderr: []string{"broker said 409 Conflict: applicationInstance: is being deployed by another request"},
		},
		{
			name:   "record deployment without an environment",
			args:   []string{"record-deployment", "--pacticipant", "Foo", "--version", "1.0.0"},
			code:   ExitUsage,
			stderr: []string{`required flag(s) "environment" not set`},
			routes: []string{},
		},
		{
			name:   "record undeployment",
			args:   []string{"record-undeployment", "--pacticipant", "Foo", "--environment", "test"},
			stdout: "Recorded undeployment of Foo 1.0.0 from test\n",
			routes: []string{"GET /environments", "GET /environments/" + testUUID + "/deployed-versions/currently-deployed?pacticipant=Foo",
				"PATCH /deployed-versions/ff3adecf-cfc5-4653-a4e3-f1861092f8e0"},
		},
		{
			name:   "record undeployment of an application instance",
			args:   []string{"record-undeployment", "--pacticipant", "Foo", "--environment", "test", "--application-instance", "blue"},
			stdout: "Recorded undeployment of Foo 0.9.0 from test (application instance blue)\n",
		},
		{
			name:   "record undeployment of what is not deployed",
			args:   []string{"record-undeployment", "--pacticipant", "Foo", "--environment", "production"},
			code:   ExitNo,
			stderr: []string{"Foo is not currently deployed to production"},
		},
		{
			name:   "record release",
			args:   []string{"record-release", "--pacticipant", "Foo", "--version", "1.0.0", "--environment", "production"},
			stdout: "Recorded release of Foo 1.0.0 to production\n",
			routes: []string{"GET " + version, "POST " + version + "/released-versions/environment/" + prodUUID},
		},
		{
			name:   "record support ended",
			args:   []string{"record-support-ended", "--pacticipant", "Foo", "--version", "1.0.0", "--environment", "production"},
			stdout: "Recorded support ended for Foo 1.0.0 in production\n",
			routes: []string{"GET /environments", "GET /environments/" + prodUUID + "/released-versions/currently-supported?pacticipant=Foo",
				"PATCH /released-versions/aa3adecf-cfc5-4653-a4e3-f1861092f8e0"},
		},
		{
			name:   "record support ended of a version not released",
			args:   []string{"record-support-ended", "--pacticipant", "Foo", "--version", "0.1.0", "--environment", "production"},
			code:   ExitNo,
			stderr: []string{"Foo 0.1.0 is not currently supported in production"},
		},
	})
}
