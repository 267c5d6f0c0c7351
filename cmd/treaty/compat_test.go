package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/treaty-dev/treaty/broker/store/storetest"
)

// compatScript is the script that decides whether Treaty is compatible with the Pact CLI: the
// seed's order/payment/user flow (environments, publishing, `pact verifier`, deployments,
// can-i-deploy), kept beside the repository in shared/compat.
const compatScript = "shared/compat/pact-cli-scenario.sh"

// TestCompatScenario runs the compatibility script against a fresh `treaty serve --no-demo`,
// on SQLite and, when TREATY_TEST_POSTGRES_DSN names a server, on PostgreSQL. Every check the
// script prints must pass.
func TestCompatScenario(t *testing.T) {
	pactCLI := os.Getenv("PACT_CLI")
	if pactCLI == "" {
		t.Skip("PACT_CLI is not set: the compatibility scenario drives the official pact CLI " +
			"(`make setup` installs it in .tools/bin; `make test` sets PACT_CLI)")
	}
	script := findCompatScript(t)
	for _, tool := range []string{"bash", "python3", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the compatibility scenario needs %s: %v", tool, err)
		}
	}

	// The script as a testscript, so that the broker is started, checked and stopped as in
	// every other end-to-end script.
	dir := t.TempDir()
	const txtar = `broker-start
exec bash $COMPAT_SCRIPT $BROKER
! stdout '^FAIL'
stdout ' passed, 0 failed$'
broker-stop
`
	if err := os.WriteFile(filepath.Join(dir, "compat.txtar"), []byte(txtar), 0o666); err != nil {
		t.Fatal(err)
	}
	backends := []string{"sqlite"}
	dsn := os.Getenv(storetest.DSNVariable)
	if dsn != "" {
		backends = append(backends, "postgres")
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			testscript.Run(t, testscript.Params{
				Dir: dir,
				Setup: func(env *testscript.Env) error {
					env.Setenv("PACT_CLI", pactCLI)
					env.Setenv("COMPAT_SCRIPT", script)
					env.Setenv("PACT_DO_NOT_TRACK", "true")
					env.Setenv("PACT_BROKER_HTTP_RETRIES", "0")
					database := filepath.Join(env.WorkDir, "treaty.db")
					if backend == "postgres" {
						var err error
						if database, err = postgresSchema(env.T().(testing.TB), dsn); err != nil {
							return err
						}
					}
					return setupBroker(env, database)
				},
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
					"broker-start": cmdBrokerStart,
					"broker-stop":  cmdBrokerStop,
				},
				RequireExplicitExec: true,
			})
		})
	}
}

// findCompatScript looks for shared/compat beside the repository (TREATY_COMPAT_SCRIPT names the
// script elsewhere), and skips the test when it is not there.
func findCompatScript(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TREATY_COMPAT_SCRIPT"); p != "" {
		return p
	}
	var roots []string
	if out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output(); err == nil {
		roots = append(roots, strings.TrimSpace(string(out)))
	}
	roots = append(roots, filepath.Join("..", "..")) // cmd/treaty → the repository root
	for _, root := range roots {
		p, err := filepath.Abs(filepath.Join(root, "..", compatScript))
		if err != nil {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("%s is not beside the repository (looked in %s/..); set TREATY_COMPAT_SCRIPT to run it", compatScript, strings.Join(roots, "/.., "))
	return ""
}
