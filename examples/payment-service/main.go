// Command payment-service runs Treaty's example payment provider: POST /charge, provider
// states for Pact verification at POST /_pact/provider_states, GET /healthz and GET /metrics.
//
//	payment-service [--listen 127.0.0.1:8081] [--breaking] [--error-rate 0.25]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/treaty-dev/treaty/examples/internal/httpsvc"
	"github.com/treaty-dev/treaty/examples/payment-service/payment"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], httpsvc.OSGetenv, os.Stdout, os.Stderr))
}

type config struct {
	listen    string
	breaking  bool
	errorRate float64
}

// parseFlags reads the flags; each defaults to its environment twin, then to the built-in value.
func parseFlags(args []string, env httpsvc.Getenv, stderr io.Writer) (config, error) {
	breaking, err := env.Bool("PAYMENT_BREAKING", false)
	if err != nil {
		return config{}, err
	}
	errorRate, err := env.Float("PAYMENT_ERROR_RATE", 0)
	if err != nil {
		return config{}, err
	}
	var cfg config
	fs := flag.NewFlagSet("payment-service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", env.String("PAYMENT_LISTEN", "127.0.0.1:8081"),
		"address to listen on; port 0 picks a free one (env PAYMENT_LISTEN)")
	fs.BoolVar(&cfg.breaking, "breaking", breaking,
		"rename transaction_id to txn_id in responses: a careless release, for the demo (env PAYMENT_BREAKING)")
	fs.Float64Var(&cfg.errorRate, "error-rate", errorRate,
		"fraction of charges, 0 to 1, answered with 500, spread evenly (env PAYMENT_ERROR_RATE)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if cfg.errorRate < 0 || cfg.errorRate > 1 {
		return config{}, fmt.Errorf("--error-rate %v: want a fraction between 0 and 1", cfg.errorRate)
	}
	return cfg, nil
}

// run returns the exit code: 0 after a clean shutdown, 1 when serving fails, 2 on bad usage.
func run(ctx context.Context, args []string, env httpsvc.Getenv, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, env, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "payment-service:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := payment.New(payment.Options{Breaking: cfg.breaking, ErrorRate: cfg.errorRate, Logger: log})
	if err != nil {
		fmt.Fprintln(stderr, "payment-service:", err)
		return 2
	}
	if cfg.breaking {
		log.Warn("breaking mode: charge responses say txn_id instead of transaction_id")
	}
	if cfg.errorRate > 0 {
		log.Warn("injecting failures", "error_rate", cfg.errorRate)
	}
	if err := httpsvc.Serve(ctx, "payment-service", cfg.listen, srv, stdout, log); err != nil {
		log.Error("payment-service stopped", "err", err)
		return 1
	}
	return 0
}
