// Command demo plays the seed's story end to end against a running broker, printing each step
// and the broker's answers: order-service publishes its pacts, payment-service and
// user-service verify them and publish the results, the versions go to staging and then to
// production, each asking can-i-deploy first; then a careless payment-service release that
// renames transaction_id fails its verification, and can-i-deploy keeps it out of production.
//
//	go run ./examples/demo [--broker-base-url http://127.0.0.1:9292]   (or: make demo)
//
// Every version it creates is new, so the story plays again on the same broker, on top of the
// demo data `make run` starts with. Exit codes: 0 the story went as told, 1 a step contradicted
// it, 2 the broker cannot be reached (or bad usage).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/treaty-dev/treaty/broker/client"
	"github.com/treaty-dev/treaty/examples/internal/httpsvc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], httpsvc.OSGetenv, os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK           = 0
	exitContradicted = 1
	exitCannotStart  = 2
)

type config struct {
	brokerURL string
	token     string
	username  string
	password  string
	pactDir   string
	runID     string
}

// parseFlags reads the flags; the broker's default to the Pact ecosystem's environment
// variables, as every Treaty and Pact command does.
func parseFlags(args []string, env httpsvc.Getenv, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.brokerURL, "broker-base-url", env.String("PACT_BROKER_BASE_URL", "http://127.0.0.1:9292"),
		"base URL of the broker (env PACT_BROKER_BASE_URL)")
	fs.StringVar(&cfg.username, "broker-username", env.String("PACT_BROKER_USERNAME", ""), "user name for basic auth (env PACT_BROKER_USERNAME)")
	fs.StringVar(&cfg.pactDir, "pact-dir", "examples/order-service/pacts", "order-service's pacts, as its contract tests wrote them")
	fs.StringVar(&cfg.runID, "run-id", "", "suffix of every version number created (default: from the current time)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	// Secrets only from the environment, so they never show in a process list.
	cfg.token = env.String("PACT_BROKER_TOKEN", "")
	cfg.password = env.String("PACT_BROKER_PASSWORD", "")
	if cfg.runID == "" {
		cfg.runID = time.Now().UTC().Format("0102.150405.000")
	}
	return cfg, nil
}

func run(ctx context.Context, args []string, env httpsvc.Getenv, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, env, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return exitCannotStart
	}
	opts := []client.Option{client.WithUserAgent("treaty-demo"), client.WithHTTPClient(&http.Client{Timeout: 30 * time.Second})}
	switch {
	case cfg.token != "":
		opts = append(opts, client.WithToken(cfg.token))
	case cfg.username != "":
		opts = append(opts, client.WithBasicAuth(cfg.username, cfg.password))
	}
	c, err := client.New(cfg.brokerURL, opts...)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return exitCannotStart
	}
	s := &story{cfg: cfg, broker: c, out: stdout}
	err = s.play(ctx)
	var cannotStart *cannotStartError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &cannotStart):
		fmt.Fprintf(stderr, "\ndemo: %v\n", err)
		return exitCannotStart
	default:
		fmt.Fprintf(stderr, "\ndemo: the story did not go as told: %v\n", err)
		return exitContradicted
	}
}
