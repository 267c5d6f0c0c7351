package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/treaty-dev/treaty/broker/api"
	"github.com/treaty-dev/treaty/broker/demo"
	"github.com/treaty-dev/treaty/broker/store"
	"github.com/treaty-dev/treaty/broker/webhooks"
)

type serveOptions struct {
	listen          string
	database        string
	baseURL         string
	logLevel        string
	logFormat       string
	basicAuth       string
	readBasicAuth   string
	writeTokens     []string
	readTokens      []string
	maxBodyBytes    int64
	noDemo          bool
	shutdownTimeout time.Duration

	webhookSchemes      []string
	webhookHosts        []string
	webhookMethods      []string
	webhookRetries      string
	webhookTimeout      time.Duration
	webhookPollInterval time.Duration

	gates gateServeOptions // serve_gates.go
}

func init() { register(newServeCmd) }

func newServeCmd() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the broker",
		Long: `Run the broker: the Pact Broker HAL API, Treaty's own API, /healthz, /readyz and /metrics.

Every flag has an environment twin (TREATY_LISTEN, TREATY_DATABASE, …). A database that is a
file path is SQLite; a postgres:// URL is PostgreSQL, which several replicas can share. An empty
database is filled with demo data unless --no-demo is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withCode(ExitUsage, o.run(cmd.Context(), cmd))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", envOr("127.0.0.1:9292", "TREATY_LISTEN"), "address to listen on (TREATY_LISTEN)")
	f.StringVar(&o.database, "database", envOr("treaty.db", "TREATY_DATABASE"), "SQLite file path or postgres:// URL (TREATY_DATABASE)")
	f.StringVar(&o.baseURL, "base-url", envOr("", "TREATY_BASE_URL"), "base URL for links; default: taken from each request (TREATY_BASE_URL)")
	f.StringVar(&o.logLevel, "log-level", envOr("info", "TREATY_LOG_LEVEL"), "debug, info, warn or error (TREATY_LOG_LEVEL)")
	f.StringVar(&o.logFormat, "log-format", envOr("text", "TREATY_LOG_FORMAT"), "text or json (TREATY_LOG_FORMAT)")
	f.StringVar(&o.basicAuth, "basic-auth", envOr("", "TREATY_BASIC_AUTH"), "user:pass with read-write access (TREATY_BASIC_AUTH)")
	f.StringVar(&o.readBasicAuth, "read-basic-auth", envOr("", "TREATY_READ_BASIC_AUTH"), "user:pass with read-only access (TREATY_READ_BASIC_AUTH)")
	f.StringArrayVar(&o.writeTokens, "write-token", splitList(os.Getenv("TREATY_WRITE_TOKENS")), "bearer token with read-write access, repeatable (TREATY_WRITE_TOKENS, comma-separated)")
	f.StringArrayVar(&o.readTokens, "read-token", splitList(os.Getenv("TREATY_READ_TOKENS")), "bearer token with read-only access, repeatable (TREATY_READ_TOKENS, comma-separated)")
	f.Int64Var(&o.maxBodyBytes, "max-body-bytes", envInt("TREATY_MAX_BODY_BYTES", 10<<20), "largest request body accepted (TREATY_MAX_BODY_BYTES)")
	f.BoolVar(&o.noDemo, "no-demo", os.Getenv("TREATY_NO_DEMO") == "true", "do not load demo data into an empty database (TREATY_NO_DEMO=true)")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 20*time.Second, "how long in-flight requests may take to finish on SIGTERM")
	f.StringSliceVar(&o.webhookSchemes, "webhook-scheme-allowlist", envList("TREATY_WEBHOOK_SCHEME_ALLOWLIST", webhooks.DefaultSchemes),
		"URL schemes webhooks may use, comma-separated (TREATY_WEBHOOK_SCHEME_ALLOWLIST)")
	f.StringSliceVar(&o.webhookHosts, "webhook-host-allowlist", envList("TREATY_WEBHOOK_HOST_ALLOWLIST", nil),
		"non-public hosts webhooks may reach: names, *.wildcards, addresses or CIDR networks, comma-separated; public hosts need no entry (TREATY_WEBHOOK_HOST_ALLOWLIST)")
	f.StringSliceVar(&o.webhookMethods, "webhook-http-method-allowlist", envList("TREATY_WEBHOOK_HTTP_METHOD_ALLOWLIST", webhooks.DefaultMethods),
		"HTTP methods webhooks may use, comma-separated (TREATY_WEBHOOK_HTTP_METHOD_ALLOWLIST)")
	f.StringVar(&o.webhookRetries, "webhook-retry-schedule", envOr("10s,1m,2m,5m,10m,20m", "TREATY_WEBHOOK_RETRY_SCHEDULE"),
		"waits before each retry of a failed webhook, comma-separated durations; bare numbers are seconds, empty means no retries (TREATY_WEBHOOK_RETRY_SCHEDULE)")
	f.DurationVar(&o.webhookTimeout, "webhook-timeout", envDuration("TREATY_WEBHOOK_TIMEOUT", 15*time.Second), "time limit of one webhook attempt (TREATY_WEBHOOK_TIMEOUT)")
	f.DurationVar(&o.webhookPollInterval, "webhook-poll-interval", envDuration("TREATY_WEBHOOK_POLL_INTERVAL", time.Second),
		"how often the database is checked for due webhook deliveries (TREATY_WEBHOOK_POLL_INTERVAL)")
	o.gates.addFlags(f)
	return cmd
}

func (o *serveOptions) run(ctx context.Context, cmd *cobra.Command) error {
	log, err := newLogger(cmd.ErrOrStderr(), o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	for _, cred := range []struct{ flag, value string }{{"--basic-auth", o.basicAuth}, {"--read-basic-auth", o.readBasicAuth}} {
		if cred.value != "" && !strings.Contains(cred.value, ":") {
			return fmt.Errorf("%s must be user:pass", cred.flag)
		}
	}
	retries, err := parseRetrySchedule(o.webhookRetries)
	if err != nil {
		return fmt.Errorf("--webhook-retry-schedule: %w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	st, err := store.Open(ctx, o.database, store.Options{Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	if !o.noDemo {
		empty, err := demo.IsEmpty(ctx, st)
		if err != nil {
			return err
		}
		if empty {
			if err := demo.Load(ctx, st); err != nil {
				return fmt.Errorf("load demo data: %w", err)
			}
			log.Info("loaded demo data into the empty database (start with --no-demo to skip)")
		}
	}

	reg := prometheus.NewRegistry()
	sqlDB, err := st.DB()
	if err != nil {
		return err
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(sqlDB, "treaty"))
	sender := webhooks.NewSender(webhooks.Policy{Schemes: o.webhookSchemes, Hosts: o.webhookHosts, Methods: o.webhookMethods},
		webhooks.SenderOptions{Timeout: o.webhookTimeout, UserAgent: "Treaty/" + Version})
	gatesCfg, waiter, err := o.gates.config(st, log, o.baseURL)
	if err != nil {
		return err
	}
	srv := api.New(st, log, api.Config{
		BaseURL:      o.baseURL,
		MaxBodyBytes: o.maxBodyBytes,
		Registerer:   reg,
		Auth:         api.AuthConfig{BasicWrite: o.basicAuth, BasicRead: o.readBasicAuth, WriteTokens: o.writeTokens, ReadTokens: o.readTokens},
		Webhooks:     api.WebhookConfig{Sender: sender},
		Gates:        gatesCfg,
	})

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	// Webhook URLs are rendered away from any request, so they need the broker's address:
	// the configured base URL, else the one it listens on.
	webhookBase := o.baseURL
	if webhookBase == "" {
		webhookBase = "http://" + ln.Addr().String()
	}
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorker()
	worker := webhooks.NewWorker(st, webhooks.Options{BaseURL: webhookBase, Sender: sender, RetrySchedule: retries,
		PollInterval: o.webhookPollInterval, Logger: log})
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		worker.Run(workerCtx)
	}()
	gatesDone := o.gates.run(workerCtx, waiter)
	httpSrv := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	log.Info("treaty is serving", "url", "http://"+ln.Addr().String(), "database", describeDatabase(o.database), "auth", srv.AuthEnabled())

	select {
	case err := <-errc:
		stopWorker()
		<-workerDone
		<-gatesDone
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests and webhook attempts", "timeout", o.shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	stopWorker()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	select {
	case <-workerDone:
		<-gatesDone
	case <-shutdownCtx.Done():
		// An attempt outlived the shutdown timeout: its claim expires and another worker
		// (or this broker, restarted) sends it again.
		log.Warn("stopped before the webhook worker finished its attempts")
	}
	log.Info("stopped")
	return nil
}

// parseRetrySchedule reads "10s,1m,2m" (bare numbers are seconds, as in the reference
// broker's webhook_retry_schedule). An empty schedule means no retries.
func parseRetrySchedule(s string) ([]time.Duration, error) {
	out := []time.Duration{}
	for _, part := range splitList(s) {
		if n, err := strconv.ParseFloat(part, 64); err == nil {
			part = strconv.FormatFloat(n, 'f', -1, 64) + "s"
		}
		d, err := time.ParseDuration(part)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%q is not a duration such as 10s or 2m", part)
		}
		out = append(out, d)
	}
	return out, nil
}

// envList reads a comma-separated list from the environment, or def when it is unset.
func envList(name string, def []string) []string {
	if v, ok := os.LookupEnv(name); ok {
		return splitList(v)
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}

// describeDatabase names the database without its credentials.
func describeDatabase(database string) string {
	if !store.IsPostgres(database) {
		return "sqlite:" + database
	}
	if i := strings.LastIndex(database, "@"); i >= 0 {
		return "postgres://…@" + database[i+1:]
	}
	return database
}

func newLogger(w interface{ Write([]byte) (int, error) }, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func envInt(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil && v > 0 {
		return v
	}
	return def
}
