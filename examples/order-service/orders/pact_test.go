package orders

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	pactlog "github.com/pact-foundation/pact-go/v2/log"
)

// The consumer contract tests (payments_pact_test.go, users_pact_test.go) run the clients
// against pact-go's mock providers and write what they expect as V4 pacts: the files
// `treaty publish` and `pact broker publish` take as they are.

const consumerName = "order-service"

func TestMain(m *testing.M) {
	// pact-go logs every step at INFO; only problems are worth reading in a test run.
	if os.Getenv("PACT_LOG_LEVEL") == "" {
		_ = pactlog.SetLogLevel("WARN")
	}
	os.Exit(m.Run())
}

// pactDir is where the pacts are written: PACT_OUTPUT_DIR when set (a CI job that
// publishes them, or a run that must not touch the repository), otherwise
// examples/order-service/pacts, where the example contracts are committed.
//
// pact-go merges interactions into an existing file, so the provider's file is removed
// first: an interaction deleted from the tests must disappear from the pact too.
func pactDir(t *testing.T, provider string) string {
	t.Helper()
	dir := os.Getenv("PACT_OUTPUT_DIR")
	if dir == "" {
		var err error
		if dir, err = filepath.Abs(filepath.Join("..", "pacts")); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, consumerName+"-"+provider+".json")
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return dir
}
