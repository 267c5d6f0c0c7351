// Command order-service runs Treaty's example consumer: POST /orders fetches the user from
// user-service and charges the card through payment-service; GET /healthz and GET /metrics.
//
//	order-service [--listen 127.0.0.1:8080] [--user-service-url URL] [--payment-service-url URL]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/treaty-dev/treaty/examples/internal/httpsvc"
	"github.com/treaty-dev/treaty/examples/order-service/orders"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], httpsvc.OSGetenv, os.Stdout, os.Stderr))
}

type config struct {
	listen      string
	usersURL    string
	paymentsURL string
	timeout     time.Duration
}

// parseFlags reads the flags; each defaults to its environment twin, then to the built-in value.
func parseFlags(args []string, env httpsvc.Getenv, stderr io.Writer) (config, error) {
	timeout, err := env.Duration("ORDER_DEPENDENCY_TIMEOUT", orders.DefaultTimeout)
	if err != nil {
		return config{}, err
	}
	var cfg config
	fs := flag.NewFlagSet("order-service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", env.String("ORDER_LISTEN", "127.0.0.1:8080"),
		"address to listen on; port 0 picks a free one (env ORDER_LISTEN)")
	fs.StringVar(&cfg.usersURL, "user-service-url", env.String("USER_SERVICE_URL", "http://127.0.0.1:8082"),
		"base URL of user-service (env USER_SERVICE_URL)")
	fs.StringVar(&cfg.paymentsURL, "payment-service-url", env.String("PAYMENT_SERVICE_URL", "http://127.0.0.1:8081"),
		"base URL of payment-service (env PAYMENT_SERVICE_URL)")
	fs.DurationVar(&cfg.timeout, "timeout", timeout,
		"time limit for each call to user-service or payment-service (env ORDER_DEPENDENCY_TIMEOUT)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	for flagName, raw := range map[string]string{"--user-service-url": cfg.usersURL, "--payment-service-url": cfg.paymentsURL} {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return config{}, fmt.Errorf("%s %q: want an http(s) URL such as http://127.0.0.1:8081", flagName, raw)
		}
	}
	if cfg.timeout <= 0 {
		return config{}, fmt.Errorf("--timeout %v: want a positive duration", cfg.timeout)
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
		fmt.Fprintln(stderr, "order-service:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	hc := &http.Client{Timeout: cfg.timeout}
	srv := orders.New(
		&orders.UserClient{BaseURL: cfg.usersURL, HTTP: hc},
		&orders.PaymentClient{BaseURL: cfg.paymentsURL, HTTP: hc},
		log)
	log.Info("providers", "user_service", cfg.usersURL, "payment_service", cfg.paymentsURL)
	if err := httpsvc.Serve(ctx, "order-service", cfg.listen, srv, stdout, log); err != nil {
		log.Error("order-service stopped", "err", err)
		return 1
	}
	return 0
}
