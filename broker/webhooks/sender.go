package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/treaty-dev/treaty/broker"
)

// Sender sends webhook requests under a policy and logs each attempt.
type Sender struct {
	policy    Policy
	client    *http.Client
	timeout   time.Duration
	userAgent string
	now       func() time.Time
}

// SenderOptions configure a Sender.
type SenderOptions struct {
	// Timeout bounds one attempt, from connecting to reading the response (default 15s).
	Timeout time.Duration
	// UserAgent is sent with every request (default "Treaty").
	UserAgent string
}

// NewSender builds a sender whose every connection is checked against the policy.
func NewSender(policy Policy, opts SenderOptions) *Sender {
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "Treaty"
	}
	transport := &http.Transport{
		// No proxy: the policy is about where requests go, and a proxy would hide it.
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			control := policy.control(policy.hostAllowed(host))
			d := &net.Dialer{Timeout: opts.Timeout, Control: func(network, address string, _ syscall.RawConn) error {
				return control(network, address)
			}}
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   opts.Timeout,
		// Redirects are not followed, as in the reference broker: a 3xx is a failed attempt,
		// and no response can send the broker somewhere the webhook does not name.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Sender{policy: policy, client: client, timeout: opts.Timeout, userAgent: opts.UserAgent, now: time.Now}
}

// Policy is the policy the sender enforces.
func (s *Sender) Policy() Policy { return s.policy }

// Execute renders the webhook's request for an event and sends it. The attempt is
// successful when the response status is 2xx; refused is true when the policy forbids the
// request, which no retry can change.
func (s *Sender) Execute(ctx context.Context, baseURL string, w broker.Webhook, ev broker.WebhookEvent) (attempt broker.WebhookAttempt, permanent bool) {
	start := s.now()
	var logs strings.Builder
	logf := func(level, format string, args ...any) {
		fmt.Fprintf(&logs, "[%s] %s: %s\n", s.now().UTC().Format(time.RFC3339), level, fmt.Sprintf(format, args...))
	}
	finish := func(err error) (broker.WebhookAttempt, bool) {
		attempt.Duration = s.now().Sub(start)
		attempt.CreatedAt = start
		if err != nil {
			attempt.Error = err.Error()
			logf("ERROR", "%s", err)
		}
		if attempt.Success {
			logf("INFO", "Webhook execution succeeded")
		} else {
			logf("INFO", "Webhook execution failed")
		}
		attempt.Logs = logs.String()
		return attempt, err != nil && IsRefused(err)
	}
	logf("DEBUG", "Webhook context {\"base_url\":%q,\"event_name\":%q}", baseURL, ev.Name)
	req, err := w.Request.Render(ev.WebhookParams(baseURL))
	attempt.Method, attempt.URL = req.Method, redactURL(req.URL)
	if err != nil {
		return finish(refused("%v", err))
	}
	if err := s.policy.checkRequest(req.Method, req.URL); err != nil {
		return finish(err)
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.Method, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return finish(refused("build the request: %v", err))
	}
	httpReq.Header.Set("User-Agent", s.userAgent)
	for k, v := range req.Headers {
		httpReq.Header.Set(k, v)
	}
	if req.Username != "" || req.Password != "" {
		httpReq.SetBasicAuth(req.Username, req.Password)
	}
	attempt.RequestHeaders = loggedHeaders(httpReq.Header)
	attempt.RequestBody = bounded(req.Body)
	logf("INFO", "HTTP/1.1 %s %s", req.Method, attempt.URL)
	for _, k := range sortedKeys(attempt.RequestHeaders) {
		logf("INFO", "%s: %s", k, attempt.RequestHeaders[k])
	}
	if len(req.Body) > 0 {
		logf("INFO", "%s", attempt.RequestBody)
	}
	resp, err := s.client.Do(httpReq)
	if err != nil {
		var r *RefusedError
		if errors.As(err, &r) {
			return finish(r)
		}
		return finish(fmt.Errorf("send %s %s: %w", req.Method, attempt.URL, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, broker.MaxLoggedBody))
	// Drain a little more so the connection can be reused; a huge body is cut off.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	attempt.ResponseStatus = resp.StatusCode
	attempt.ResponseHeaders = loggedHeaders(resp.Header)
	attempt.ResponseBody = string(body)
	attempt.Success = resp.StatusCode >= 200 && resp.StatusCode < 300
	logf("INFO", "HTTP/%d.%d %s", resp.ProtoMajor, resp.ProtoMinor, resp.Status)
	for _, k := range sortedKeys(attempt.ResponseHeaders) {
		logf("INFO", "%s: %s", k, attempt.ResponseHeaders[k])
	}
	if len(body) > 0 {
		logf("INFO", "%s", body)
	}
	if err != nil {
		return finish(fmt.Errorf("read the response: %w", err))
	}
	return finish(nil)
}

// loggedHeaders flattens headers for the logs, hiding credentials.
func loggedHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		v := strings.Join(vs, ", ")
		if broker.IsSecretHeader(k) || strings.EqualFold(k, "Cookie") || strings.EqualFold(k, "Set-Cookie") {
			v = broker.Redacted
		}
		out[strings.ToLower(k)] = v
	}
	return out
}

func bounded(b []byte) string {
	if len(b) > broker.MaxLoggedBody {
		return string(b[:broker.MaxLoggedBody]) + "…"
	}
	return string(b)
}

// redactURL hides a password written into the URL.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
