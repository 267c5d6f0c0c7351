package orders

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultTimeout bounds each call to a provider when a client has no http.Client of its own:
// a slow dependency must turn into a 502, not a hung order.
const DefaultTimeout = 5 * time.Second

// maxResponseBytes bounds what the clients read from a provider.
const maxResponseBytes = 1 << 20

var defaultHTTP = &http.Client{Timeout: DefaultTimeout}

// call sends a request with a JSON body (when in is not nil) to base+path and returns the
// status and the body.
func call(ctx context.Context, hc *http.Client, method, base, path string, in any) (int, []byte, error) {
	if hc == nil {
		hc = defaultHTTP
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(b)
	}
	url := strings.TrimSuffix(base, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: read response: %w", method, url, err)
	}
	return resp.StatusCode, b, nil
}

// unexpected describes a response a client cannot use.
func unexpected(method, path string, status int, body []byte) error {
	const max = 200
	s := strings.TrimSpace(string(body))
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Errorf("%s %s: unexpected status %d: %s", method, path, status, s)
}
