package httpsvc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// Serve listens on addr (host:port; port 0 picks a free one), prints
// "NAME listening on http://HOST:PORT" to out so that scripts and tests can find the
// service, and serves h until ctx is done; then it lets requests in flight finish.
func Serve(ctx context.Context, name, addr string, h http.Handler, out io.Writer, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "%s listening on %s\n", name, url)
	log.Info("listening", "service", name, "url", url)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Getenv is os.Getenv, a variable so that tests of flag parsing can replace it.
type Getenv func(string) string

// OSGetenv reads the process environment.
var OSGetenv Getenv = os.Getenv

// String returns the variable's value, or def when it is unset or empty: the default of a
// flag whose environment twin is name.
func (g Getenv) String(name, def string) string {
	if v := g(name); v != "" {
		return v
	}
	return def
}

// Bool is String for a boolean flag; "1", "true" and the like are true.
func (g Getenv) Bool(name string, def bool) (bool, error) {
	v := g(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", name, v)
	}
	return b, nil
}

// Float is String for a number flag.
func (g Getenv) Float(name string, def float64) (float64, error) {
	v := g(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a number", name, v)
	}
	return f, nil
}

// Duration is String for a duration flag, such as "5s".
func (g Getenv) Duration(name string, def time.Duration) (time.Duration, error) {
	v := g(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a duration such as 5s", name, v)
	}
	return d, nil
}
