// Command user-service runs Treaty's example user provider: GET /users/{id}, provider
// states for Pact verification at POST /_pact/provider_states, GET /healthz and GET /metrics.
//
//	user-service [--listen 127.0.0.1:8082]
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
	"github.com/treaty-dev/treaty/examples/user-service/users"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], httpsvc.OSGetenv, os.Stdout, os.Stderr))
}

type config struct {
	listen string
}

// parseFlags reads the flags; each defaults to its environment twin, then to the built-in value.
func parseFlags(args []string, env httpsvc.Getenv, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("user-service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", env.String("USER_LISTEN", "127.0.0.1:8082"),
		"address to listen on; port 0 picks a free one (env USER_LISTEN)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
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
		fmt.Fprintln(stderr, "user-service:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := httpsvc.Serve(ctx, "user-service", cfg.listen, users.New(log), stdout, log); err != nil {
		log.Error("user-service stopped", "err", err)
		return 1
	}
	return 0
}
