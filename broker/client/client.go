package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "treaty"

// Client talks to one broker.
type Client struct {
	base      *url.URL
	http      *http.Client
	token     string
	username  string
	password  string
	basicAuth bool
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithToken authenticates with a bearer token. A token wins over basic auth, as in the Pact
// clients.
func WithToken(token string) Option {
	return func(c *Client) { c.token = token }
}

// WithBasicAuth authenticates with a user name and password.
func WithBasicAuth(username, password string) Option {
	return func(c *Client) {
		c.username, c.password, c.basicAuth = username, password, true
	}
}

// WithHTTPClient sends requests through hc instead of http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// WithUserAgent sets the User-Agent header, such as "treaty/1.2.0".
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// New returns a client of the broker at baseURL, such as "http://127.0.0.1:9292".
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("broker URL %q is not an http or https URL", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: u, http: http.DefaultClient, userAgent: DefaultUserAgent}
	for _, opt := range opts {
		opt(c)
	}
	return c, nil
}

// endpoint is the URL of a path below the base URL. Each segment is escaped on its own so
// that a name such as "feat/x" stays one segment ("feat%2Fx").
func (c *Client) endpoint(segments ...string) string {
	escaped := make([]string, len(segments))
	for i, s := range segments {
		escaped[i] = url.PathEscape(s)
	}
	return c.base.String() + "/" + strings.Join(escaped, "/")
}

// resolve turns a link href (or an endpoint) into a URL on the configured broker. Only the
// path and query of an absolute href are kept: a broker builds hrefs from its own idea of its
// base URL, which is wrong behind a proxy or a port mapping. The Pact CLI does the same.
func (c *Client) resolve(href string) (*url.URL, error) {
	ref, err := url.Parse(href)
	if err != nil {
		return nil, fmt.Errorf("the broker sent a bad link %q: %w", href, err)
	}
	u := c.base.ResolveReference(ref)
	u.Scheme, u.Host, u.User = c.base.Scheme, c.base.Host, c.base.User
	return u, nil
}

// withQuery adds a query parameter to a link href.
func withQuery(href, key, value string) string {
	u, err := url.Parse(href)
	if err != nil {
		return href // resolve reports the bad link
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func (c *Client) get(ctx context.Context, href string, out any) error {
	return c.do(ctx, http.MethodGet, href, nil, out)
}

// do sends one request and decodes a JSON answer into out (which may be nil). An error status
// becomes a *Error; a broker that cannot be reached, an error naming the base URL.
func (c *Client) do(ctx context.Context, method, href string, body, out any) error {
	u, err := c.resolve(href)
	if err != nil {
		return err
	}
	var reqBody io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request to %s: %w", u.Path, err)
		}
		reqBody = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), reqBody)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/hal+json, application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		// The broker takes JSON Merge Patch (RFC 7396) on PATCH, and only that on
		// deployed and released versions.
		ct := "application/json"
		if method == http.MethodPatch {
			ct = "application/merge-patch+json"
		}
		req.Header.Set("Content-Type", ct)
	}
	switch {
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	case c.basicAuth:
		req.SetBasicAuth(c.username, c.password)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error repeats the method and URL; the base URL says enough.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("cannot reach the broker at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read the broker's answer to %s %s: %w", method, u.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return parseError(resp.StatusCode, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		if ct := resp.Header.Get("Content-Type"); !isJSON(ct) {
			return fmt.Errorf("the broker at %s answered %s %s with %s, not JSON: is the broker URL right?", c.base, method, u.Path, ct)
		}
		return fmt.Errorf("decode the broker's answer to %s %s: %w", method, u.Path, err)
	}
	if r, ok := out.(rawSetter); ok {
		r.setRaw(data)
	}
	return nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// Index is the broker's entry point: its links name every resource.
type Index struct {
	Resource
}

// Index fetches the index resource, GET /.
func (c *Client) Index(ctx context.Context) (*Index, error) {
	var ix Index
	if err := c.get(ctx, c.endpoint(), &ix); err != nil {
		return nil, err
	}
	return &ix, nil
}
