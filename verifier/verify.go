package verifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/treaty-dev/treaty/broker"
)

// Version names this verifier in the results it publishes.
var Version = "dev"

// UnreachableError says which party could not be reached.
type UnreachableError struct {
	What string // "broker" or "provider"
	URL  string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("the %s at %s cannot be reached: %v", e.What, e.URL, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// UnknownProviderError is a provider name the broker does not know.
type UnknownProviderError struct{ Provider, Broker string }

func (e *UnknownProviderError) Error() string {
	return fmt.Sprintf("the broker at %s knows no provider named %q (check --provider; it is created when a consumer publishes a pact with it)", e.Broker, e.Provider)
}

// PactFileError is a pact file that cannot be verified.
type PactFileError struct {
	Path string
	Err  error
}

func (e *PactFileError) Error() string { return fmt.Sprintf("pact file %s: %v", e.Path, e.Err) }
func (e *PactFileError) Unwrap() error { return e.Err }

// EngineError is a run the engine could not complete (as opposed to one that found failures).
type EngineError struct{ Output string }

func (e *EngineError) Error() string {
	out := strings.TrimSpace(e.Output)
	if out == "" {
		return "the verification could not run"
	}
	return "the verification could not run:\n" + out
}

// Verify checks the provider against its pacts. It checks first that the pacts can be read
// and that the broker and the provider answer, so those failures are reported as such rather
// than as failed interactions. progress, when not nil, receives a line per interaction as
// the run goes. The engine's own printing is silenced: the report carries its output.
func Verify(ctx context.Context, opts Options, progress io.Writer) (*Report, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	for _, f := range opts.PactFiles {
		if err := checkPactFile(f, opts.Provider); err != nil {
			return nil, err
		}
	}
	if opts.BrokerURL != "" {
		if err := checkBroker(ctx, opts); err != nil {
			return nil, err
		}
	}
	target, err := url.Parse(opts.ProviderBaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkProvider(ctx, target); err != nil {
		return nil, err
	}
	if opts.StateChangeURL != "" {
		if u, err := url.Parse(opts.StateChangeURL); err != nil || u.Host == "" {
			return nil, &UsageError{Problems: []string{fmt.Sprintf("--state-change-url %q is not a URL", opts.StateChangeURL)}}
		}
	}

	if progress != nil {
		proxy, stop, err := countingProxy(target, opts.StateChangeURL, progress)
		if err != nil {
			return nil, err
		}
		defer stop()
		target = proxy
	}

	start := time.Now()
	v := newFFIVerifier("treaty", Version)
	defer v.close()
	port, _ := strconv.Atoi(target.Port())
	if port == 0 {
		port = 80
		if target.Scheme == "https" {
			port = 443
		}
	}
	v.providerInfo(opts.Provider, target.Scheme, target.Hostname(), uint16(port), strings.TrimSuffix(target.Path, "/"))
	if opts.StateChangeURL != "" {
		v.providerState(opts.StateChangeURL, true)
	}
	timeout := opts.RequestTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	v.options(timeout.Milliseconds())
	v.noPactsIsError(false)
	if len(opts.ConsumerFilters) > 0 {
		v.consumerFilters(opts.ConsumerFilters)
	}
	auth := brokerAuth{username: opts.BrokerUsername, password: opts.BrokerPassword, token: opts.BrokerToken}
	for _, f := range opts.PactFiles {
		v.fileSource(f)
	}
	for _, u := range opts.PactURLs {
		v.urlSource(u, auth)
	}
	if opts.BrokerURL != "" && len(opts.PactFiles) == 0 && len(opts.PactURLs) == 0 {
		selectors := make([]string, len(opts.Selectors))
		for i, s := range opts.Selectors {
			selectors[i] = string(s)
		}
		wip := ""
		if opts.IncludeWIPPactsSince != nil {
			wip = opts.IncludeWIPPactsSince.Format("2006-01-02")
		}
		v.brokerSource(strings.TrimRight(opts.BrokerURL, "/"), auth, opts.EnablePending, wip, opts.ProviderTags, opts.ProviderBranch, selectors)
	}
	if opts.Publish {
		v.publish(opts.ProviderVersion, opts.BuildURL, opts.ProviderTags, opts.ProviderBranch)
	}

	var code int
	silenceStdout(func() { code = v.execute() })
	raw := v.resultJSON()
	if code == 2 || raw == nil {
		return nil, &EngineError{Output: v.output()}
	}
	rep, err := parseEngineResult(opts.Provider, raw)
	if err != nil {
		return nil, err
	}
	rep.Duration = time.Since(start)
	explainStateFailures(rep, opts.StateChangeURL)
	if code == 0 {
		rep.Success = true
	}
	return rep, nil
}

// stateSetupFailed is the engine's whole account of a provider state it could not set up.
const stateSetupFailed = "One or more of the setup state change handlers has failed"

// explainStateFailures says which states and which endpoint a failed state set-up concerned:
// the engine only says that one failed.
func explainStateFailures(rep *Report, stateURL string) {
	for i := range rep.Interactions {
		ir := &rep.Interactions[i]
		if ir.Error != stateSetupFailed {
			continue
		}
		states := make([]string, len(ir.States))
		for j, s := range ir.States {
			states[j] = strconv.Quote(s)
		}
		ir.Error = fmt.Sprintf("the provider state %s could not be set up: the state change endpoint %s failed or did not answer 2xx (%s)",
			strings.Join(states, ", "), stateURL, ir.Error)
	}
}

func checkPactFile(path, provider string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &PactFileError{Path: path, Err: err}
	}
	doc, err := broker.ParsePact(data)
	if err != nil {
		return &PactFileError{Path: path, Err: err}
	}
	if got := doc.ProviderName(); got != provider {
		return &PactFileError{Path: path, Err: fmt.Errorf("it is a pact with provider %q, not %q", got, provider)}
	}
	if len(doc.Interactions()) == 0 {
		return &PactFileError{Path: path, Err: errors.New("it has no interactions")}
	}
	return nil
}

// checkBroker asks the broker for the provider: that tells whether it answers, whether the
// credentials work and whether the provider exists.
func checkBroker(ctx context.Context, opts Options) error {
	base := strings.TrimRight(opts.BrokerURL, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/pacticipants/"+url.PathEscape(opts.Provider), nil)
	if err != nil {
		return &UsageError{Problems: []string{fmt.Sprintf("broker URL %q: %v", opts.BrokerURL, err)}}
	}
	req.Header.Set("Accept", "application/hal+json, application/json")
	switch {
	case opts.BrokerToken != "":
		req.Header.Set("Authorization", "Bearer "+opts.BrokerToken)
	case opts.BrokerUsername != "":
		req.SetBasicAuth(opts.BrokerUsername, opts.BrokerPassword)
	}
	res, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		// *url.Error repeats the method and URL; the base URL says enough.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &UnreachableError{What: "broker", URL: base, Err: err}
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	switch {
	case res.StatusCode == http.StatusNotFound:
		return &UnknownProviderError{Provider: opts.Provider, Broker: base}
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return &UnreachableError{What: "broker", URL: base, Err: fmt.Errorf("it refused the credentials (%s)", res.Status)}
	case res.StatusCode >= 300:
		return &UnreachableError{What: "broker", URL: base, Err: fmt.Errorf("it answered %s", res.Status)}
	}
	return nil
}

// checkProvider makes sure something listens at the provider's address.
func checkProvider(ctx context.Context, u *url.URL) error {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	host := net.JoinHostPort(u.Hostname(), port)
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return &UnreachableError{What: "provider", URL: u.String(), Err: err}
	}
	return conn.Close()
}

// countingProxy stands between the engine and the provider and reports each interaction's
// request as it passes, so a long run shows progress.
func countingProxy(target *url.URL, stateURL string, w io.Writer) (*url.URL, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("start the progress proxy: %w", err)
	}
	var n atomic.Int64
	statePath := ""
	if u, err := url.Parse(stateURL); err == nil {
		statePath = u.Path
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != statePath {
			fmt.Fprintf(w, "\r  %d interactions replayed", n.Add(1))
		}
		rp.ServeHTTP(rw, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	proxied := *target
	proxied.Host = ln.Addr().String()
	proxied.Scheme = "http"
	return &proxied, func() {
		_ = srv.Close()
		if n.Load() > 0 {
			fmt.Fprintln(w)
		}
	}, nil
}

// silenceStdout runs fn with the process's standard output sent to /dev/null: the engine
// prints its report there, and Treaty prints its own.
func silenceStdout(fn func()) {
	quiet.enter()
	defer quiet.leave()
	fn()
}

// quiet swaps the process's file descriptor 1 for /dev/null while any verification runs. The
// swap is process-wide, so concurrent verifications share it: the first to start makes the
// swap, the last to finish undoes it.
var quiet stdoutSilencer

type stdoutSilencer struct {
	mu    sync.Mutex
	users int
	saved int // the real standard output, while swapped; -1 when the swap failed
}

func (q *stdoutSilencer) enter() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.users++
	if q.users > 1 {
		return
	}
	q.saved = -1
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer null.Close()
	saved, err := syscall.Dup(1)
	if err != nil {
		return
	}
	if err := syscall.Dup3(int(null.Fd()), 1, 0); err != nil {
		_ = syscall.Close(saved)
		return
	}
	q.saved = saved
}

func (q *stdoutSilencer) leave() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.users--
	if q.users > 0 || q.saved < 0 {
		return
	}
	_ = syscall.Dup3(q.saved, 1, 0)
	_ = syscall.Close(q.saved)
	q.saved = -1
}
