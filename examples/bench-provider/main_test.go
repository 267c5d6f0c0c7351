package main

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/treaty-dev/treaty/examples/internal/maintest"
	"github.com/treaty-dev/treaty/verifier"
)

// TestPactVerifies: the pact the benchmark writes passes against the provider, so the
// benchmark times a successful verification of every interaction.
func TestPactVerifies(t *testing.T) {
	pact := filepath.Join(t.TempDir(), "bench.json")
	if code := run(context.Background(), []string{"--write-pact", pact, "--interactions", "25"}, io.Discard, io.Discard); code != 0 {
		t.Fatalf("--write-pact exited %d", code)
	}
	url := maintest.Start(t, func(ctx context.Context, stdout io.Writer) int {
		return run(ctx, []string{"--listen", "127.0.0.1:0"}, stdout, io.Discard)
	})
	rep, err := verifier.Verify(context.Background(), verifier.Options{Provider: Provider, ProviderBaseURL: url, PactFiles: []string{pact}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, failed, _ := rep.Counts(); !rep.Success || ok != 25 || failed != 0 {
		t.Fatalf("success=%v ok=%d failed=%d, want 25 verified", rep.Success, ok, failed)
	}
}

func TestBadInteractionCount(t *testing.T) {
	if code := run(context.Background(), []string{"--write-pact", filepath.Join(t.TempDir(), "p.json"), "--interactions", "0"}, io.Discard, io.Discard); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
}
