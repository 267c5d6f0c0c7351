// Command bench-provider is the provider of the verification benchmark (.ci/bench-verify.sh):
// it answers GET /items/{n} at once, so that a run measures the verifier rather than the
// provider, and it writes the pact that exercises it.
//
//	bench-provider [--listen 127.0.0.1:0]                       serve; prints "bench-provider listening on URL"
//	bench-provider --write-pact FILE [--interactions 400]       write the pact and exit
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/treaty-dev/treaty/examples/internal/httpsvc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// Provider and Consumer name the benchmark's pact.
const (
	Provider = "bench-provider"
	Consumer = "bench-consumer"
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(Provider, flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on; port 0 picks a free one")
	pactFile := fs.String("write-pact", "", "write the benchmark's pact to this file and exit")
	n := fs.Int("interactions", 400, "number of interactions in the pact written")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *pactFile != "" {
		if *n < 1 {
			fmt.Fprintln(stderr, "bench-provider: --interactions must be at least 1")
			return 2
		}
		data, err := json.MarshalIndent(benchPact(*n), "", "  ")
		if err == nil {
			err = os.WriteFile(*pactFile, append(data, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "bench-provider:", err)
			return 1
		}
		return 0
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := httpsvc.Serve(ctx, Provider, *listen, handler(), stdout, log); err != nil {
		fmt.Fprintln(stderr, "bench-provider:", err)
		return 1
	}
	return 0
}

// item is what GET /items/{n} answers.
type item struct {
	ID      int      `json:"id"`
	Name    string   `json:"name"`
	Price   int      `json:"price"`
	Tags    []string `json:"tags"`
	InStock bool     `json:"inStock"`
}

func newItem(n int) item {
	return item{ID: n, Name: fmt.Sprintf("item %d", n), Price: 100 + n, Tags: []string{"bench", "fast"}, InStock: n%2 == 0}
}

func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil {
			httpsvc.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "n: must be an integer"})
			return
		}
		httpsvc.WriteJSON(w, http.StatusOK, newItem(n))
	})
	return mux
}

// benchPact is a V3 pact with n interactions GET /items/{i}, whose responses are matched by
// type (and the id as an integer), as a consumer that reads the fields would write them.
func benchPact(n int) map[string]any {
	interactions := make([]map[string]any, n)
	typeMatch := map[string]any{"matchers": []any{map[string]any{"match": "type"}}}
	for i := range n {
		example := newItem(i + 1)
		// Example values that differ from the provider's: only the matchers make them pass.
		example.Name, example.Price, example.InStock = "an item", 999, true
		interactions[i] = map[string]any{
			"description": fmt.Sprintf("a request for item %d", i+1),
			"request": map[string]any{
				"method": "GET", "path": fmt.Sprintf("/items/%d", i+1),
				"headers": map[string]any{"Accept": "application/json"},
			},
			"response": map[string]any{
				"status":  200,
				"headers": map[string]any{"Content-Type": "application/json"},
				"body":    example,
				"matchingRules": map[string]any{"body": map[string]any{
					"$.id":      map[string]any{"matchers": []any{map[string]any{"match": "integer"}}},
					"$.name":    typeMatch,
					"$.price":   typeMatch,
					"$.tags":    map[string]any{"matchers": []any{map[string]any{"match": "type", "min": 1}}},
					"$.inStock": typeMatch,
				}},
			},
		}
	}
	return map[string]any{
		"consumer":     map[string]any{"name": Consumer},
		"provider":     map[string]any{"name": Provider},
		"interactions": interactions,
		"metadata":     map[string]any{"pactSpecification": map[string]any{"version": "3.0.0"}},
	}
}
