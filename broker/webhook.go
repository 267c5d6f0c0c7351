package broker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook events: what happened to a contract that a webhook may react to.
const (
	// EventContractPublished fires on every pact publication, an unchanged republication too.
	EventContractPublished = "contract_published"
	// EventContractContentChanged fires when a publication's content differs from the
	// integration's previous content (or is its first).
	EventContractContentChanged = "contract_content_changed"
	// EventContractRequiringVerificationPublished fires once per provider version that
	// should verify the published content and has not yet done so successfully: the head of
	// the provider's main branch and every currently deployed or released provider version.
	EventContractRequiringVerificationPublished = "contract_requiring_verification_published"
	EventProviderVerificationPublished          = "provider_verification_published"
	EventProviderVerificationSucceeded          = "provider_verification_succeeded"
	EventProviderVerificationFailed             = "provider_verification_failed"
	// EventTest names the event of a test execution, which no change caused.
	EventTest = "test"
)

// WebhookEventNames lists the events a webhook may subscribe to.
var WebhookEventNames = []string{
	EventContractPublished, EventContractContentChanged, EventContractRequiringVerificationPublished,
	EventProviderVerificationPublished, EventProviderVerificationSucceeded, EventProviderVerificationFailed,
}

// DefaultWebhookEvent is the event of a webhook created without any, as in the reference broker.
const DefaultWebhookEvent = EventContractContentChanged

// Webhook is an HTTP request the broker sends when an event happens to a pact of the
// integrations it applies to: all of them (no consumer and no provider), those of one consumer,
// of one provider, or of one consumer-provider pair.
type Webhook struct {
	UUID        string
	Description string
	Enabled     bool
	Consumer    string // "" applies to every consumer
	Provider    string // "" applies to every provider
	Events      []string
	Request     WebhookRequest
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// WebhookRequest is the request template. URL, headers, body and credentials may hold
// ${pactbroker.X} parameters, filled in from the event when the request is sent.
type WebhookRequest struct {
	Method   string            `json:"method"`
	URL      string            `json:"url"`
	Headers  map[string]string `json:"headers,omitempty"`
	Body     json.RawMessage   `json:"body,omitempty"` // any JSON value; a JSON string is sent as text
	Username string            `json:"username,omitempty"`
	Password string            `json:"password,omitempty"`
}

// Redacted is what reads show in place of a password or a secret header.
const Redacted = "**********"

// secretHeader matches the headers whose values reads hide, as the reference broker does.
var secretHeader = regexp.MustCompile(`(?i)authorization|token`)

// templateParam matches a ${pactbroker.X} parameter.
var templateParam = regexp.MustCompile(`\$\{pactbroker\.[^}]+\}`)

// IsSecretHeader reports whether a header's value is hidden on reads and in logs.
func IsSecretHeader(name string) bool { return secretHeader.MatchString(name) }

// Redact hides the password and secret header values, except those that are only template
// parameters (they hold no secret themselves).
func (r WebhookRequest) Redact() WebhookRequest {
	out := r
	if r.Password != "" && !templateParam.MatchString(r.Password) {
		out.Password = Redacted
	}
	if len(r.Headers) > 0 {
		out.Headers = make(map[string]string, len(r.Headers))
		for k, v := range r.Headers {
			if IsSecretHeader(k) && !templateParam.MatchString(v) {
				v = Redacted
			}
			out.Headers[k] = v
		}
	}
	return out
}

// KeepSecrets returns r with redacted values replaced by previous's: a client that reads a
// webhook and writes it back unchanged must not overwrite its password with asterisks.
func (r WebhookRequest) KeepSecrets(previous WebhookRequest) WebhookRequest {
	if r.Password == Redacted {
		r.Password = previous.Password
	}
	for k, v := range r.Headers {
		if v == Redacted {
			if old, ok := previous.Headers[k]; ok {
				r.Headers[k] = old
			}
		}
	}
	return r
}

// Describe is "METHOD host", the name of a webhook without a description.
func (r WebhookRequest) Describe() string {
	host := ""
	if u, err := url.Parse(templateParam.ReplaceAllString(r.URL, "placeholder")); err == nil {
		host = u.Host
	}
	return strings.ToUpper(r.Method) + " " + host
}

// DisplayDescription is the description, or the request's when there is none.
func (w Webhook) DisplayDescription() string {
	if strings.TrimSpace(w.Description) != "" {
		return w.Description
	}
	return w.Request.Describe()
}

// Subscribes reports whether the webhook reacts to event.
func (w Webhook) Subscribes(event string) bool { return slices.Contains(w.Events, event) }

var webhookUUID = regexp.MustCompile(`^[A-Za-z0-9_-]{16,}$`)

// httpToken is a valid HTTP method or header name (RFC 9110 token).
var httpToken = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// Validate checks what can be checked without configuration: the broker's allow-lists are
// checked by the webhooks package. Errors are keyed as the reference broker keys them.
func (w *Webhook) Validate() error {
	v := &ValidationError{}
	if w.UUID != "" && !webhookUUID.MatchString(w.UUID) {
		v.Add("uuid", "The UUID can only contain the characters A-Z, a-z, 0-9, _ and -, and must be 16 or more characters.")
	}
	if len(w.Description) > MaxFieldLength {
		v.Add("description", "must be at most %d characters", MaxFieldLength)
	}
	if len(w.Events) == 0 {
		v.Add("events", "must contain at least one event")
	}
	seen := map[string]bool{}
	for i, e := range w.Events {
		switch {
		case !slices.Contains(WebhookEventNames, e):
			v.Add("events."+strconv.Itoa(i), "name %q must be one of %s", e, strings.Join(WebhookEventNames, ", "))
		case seen[e]:
			v.Add("events."+strconv.Itoa(i), "name %s is listed twice", e)
		}
		seen[e] = true
	}
	r := w.Request
	switch {
	case strings.TrimSpace(r.Method) == "":
		v.Add("request.method", "cannot be blank")
	case !httpToken.MatchString(r.Method):
		v.Add("request.method", "is not a recognised HTTP method")
	}
	if err := checkTemplateURL(r.URL); err != "" {
		v.Add("request.url", "%s", err)
	}
	for name, value := range r.Headers {
		if !httpToken.MatchString(name) {
			v.Add("request.headers", "%q is not a valid header name", name)
		}
		if strings.ContainsAny(value, "\r\n") {
			v.Add("request.headers", "the value of %s cannot contain multiple lines", name)
		}
	}
	if len(r.Body) > 0 && !json.Valid(r.Body) {
		v.Add("request.body", "must be a JSON value")
	}
	if strings.ContainsAny(r.Username+r.Password, "\r\n") {
		v.Add("request.username", "the credentials cannot contain multiple lines")
	}
	return v.Err()
}

// checkTemplateURL checks a URL template: absolute, and no parameter in the host, which
// would let an event's data choose where the broker sends requests.
func checkTemplateURL(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return "cannot be blank"
	}
	if len(raw) > MaxFieldLength {
		return fmt.Sprintf("must be at most %d characters", MaxFieldLength)
	}
	a, errA := url.Parse(templateParam.ReplaceAllString(raw, "placeholder"))
	b, errB := url.Parse(templateParam.ReplaceAllString(raw, "differentplaceholder"))
	if errA != nil || errB != nil || a.Scheme == "" || a.Host == "" {
		return fmt.Sprintf("Invalid URL '%s'. Expected format: https://example.org", raw)
	}
	if a.Host != b.Host {
		return "cannot have a template parameter in the host"
	}
	return ""
}

// WebhookEvent is what happened, as the facts a webhook's template parameters are made of.
// The store records it with the change that caused it, so a delivery made later, or after
// a restart, describes the change as it was. URLs are not stored: they depend on the base
// URL the broker is reached at, and are built when the request is sent.
type WebhookEvent struct {
	Name                  string   `json:"name"`
	Consumer              string   `json:"consumer"`
	Provider              string   `json:"provider"`
	ConsumerVersion       string   `json:"consumerVersion,omitempty"`
	ConsumerVersionBranch string   `json:"consumerVersionBranch,omitempty"`
	ConsumerVersionTags   []string `json:"consumerVersionTags,omitempty"`
	PactSHA               string   `json:"pactSha,omitempty"`
	ProviderVersion       string   `json:"providerVersion,omitempty"`
	ProviderVersionBranch string   `json:"providerVersionBranch,omitempty"`
	ProviderVersionTags   []string `json:"providerVersionTags,omitempty"`
	// ProviderVersionDescriptions say why a provider version must verify the content
	// ("latest from main branch", "deployed in production"), for
	// contract_requiring_verification_published.
	ProviderVersionDescriptions []string `json:"providerVersionDescriptions,omitempty"`
	// VerificationID is the verification that caused the event, or for contract events the
	// latest verification of the content by the provider's main branch; 0 when none.
	VerificationID      int64  `json:"verificationId,omitempty"`
	VerificationSuccess bool   `json:"verificationSuccess,omitempty"`
	BuildURL            string `json:"buildUrl,omitempty"`
}

// WebhookParams are the values of the ${pactbroker.X} parameters for an event, with URLs
// made absolute with baseURL.
func (e WebhookEvent) WebhookParams(baseURL string) map[string]string {
	base := strings.TrimRight(baseURL, "/")
	pactURL, verificationURL := "", ""
	if e.PactSHA != "" {
		content := base + "/pacts/provider/" + url.PathEscape(e.Provider) + "/consumer/" + url.PathEscape(e.Consumer) +
			"/pact-version/" + url.PathEscape(e.PactSHA)
		pactURL = content
		if e.ConsumerVersion != "" {
			pactURL += "/metadata/" + PactMetadata{ConsumerVersions: []string{e.ConsumerVersion}}.Encode()
		}
		if e.VerificationID != 0 {
			verificationURL = content + "/verification-results/" + strconv.FormatInt(e.VerificationID, 10)
		}
	}
	status := func(success, failure, pending string) string {
		switch {
		case e.VerificationID == 0:
			return pending
		case e.VerificationSuccess:
			return success
		}
		return failure
	}
	return map[string]string{
		"pactUrl":                       pactURL,
		"verificationResultUrl":         verificationURL,
		"consumerName":                  e.Consumer,
		"providerName":                  e.Provider,
		"consumerVersionNumber":         e.ConsumerVersion,
		"consumerVersionBranch":         e.ConsumerVersionBranch,
		"consumerVersionTags":           strings.Join(e.ConsumerVersionTags, ", "),
		"providerVersionNumber":         e.ProviderVersion,
		"providerVersionBranch":         e.ProviderVersionBranch,
		"providerVersionTags":           strings.Join(e.ProviderVersionTags, ", "),
		"providerVersionDescriptions":   strings.Join(e.ProviderVersionDescriptions, ", "),
		"githubVerificationStatus":      status("success", "failure", "pending"),
		"bitbucketVerificationStatus":   status("SUCCESSFUL", "FAILED", "INPROGRESS"),
		"azureDevOpsVerificationStatus": status("succeeded", "failed", "pending"),
		"gitlabVerificationStatus":      status("success", "failed", "pending"),
		// Treaty has no labels; the parameters exist so templates written for the reference
		// broker render instead of sending the literal parameter.
		"consumerLabels":                         "",
		"providerLabels":                         "",
		"eventName":                              e.Name,
		"buildUrl":                               e.BuildURL,
		"currentlyDeployedProviderVersionNumber": "",
	}
}

// RenderedWebhookRequest is a request ready to send.
type RenderedWebhookRequest struct {
	Method   string
	URL      string
	Headers  map[string]string
	Body     []byte
	Username string
	Password string
}

// Render fills in the template's parameters. Values are query-escaped in the URL; in a JSON
// body they are substituted inside its strings, so a value can never break the document; a
// text body and headers take them as they are. Unknown parameters stay as written.
func (r WebhookRequest) Render(params map[string]string) (RenderedWebhookRequest, error) {
	out := RenderedWebhookRequest{Method: strings.ToUpper(r.Method), Username: substitute(r.Username, params, nil),
		Password: substitute(r.Password, params, nil)}
	out.URL = substitute(r.URL, params, url.QueryEscape)
	u, err := url.Parse(out.URL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return out, fmt.Errorf("the rendered URL %q is not an absolute URL", out.URL)
	}
	if len(r.Headers) > 0 {
		out.Headers = make(map[string]string, len(r.Headers))
		for k, v := range r.Headers {
			out.Headers[k] = substitute(v, params, nil)
		}
	}
	body, err := renderBody(r.Body, params)
	if err != nil {
		return out, err
	}
	out.Body = body
	return out, nil
}

func renderBody(raw json.RawMessage, params map[string]string) ([]byte, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("the webhook body is not valid JSON: %w", err)
	}
	if s, ok := v.(string); ok {
		return []byte(substitute(s, params, nil)), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(substituteJSON(v, params)); err != nil {
		return nil, fmt.Errorf("encode the webhook body: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func substituteJSON(v any, params map[string]string) any {
	switch t := v.(type) {
	case string:
		return substitute(t, params, nil)
	case []any:
		for i := range t {
			t[i] = substituteJSON(t[i], params)
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[substitute(k, params, nil)] = substituteJSON(val, params)
		}
		return out
	}
	return v
}

func substitute(s string, params map[string]string, escape func(string) string) string {
	if !strings.Contains(s, "${pactbroker.") {
		return s
	}
	return templateParam.ReplaceAllStringFunc(s, func(m string) string {
		val, ok := params[strings.TrimSuffix(strings.TrimPrefix(m, "${pactbroker."), "}")]
		if !ok {
			return m
		}
		if escape != nil {
			return escape(val)
		}
		return val
	})
}

// Statuses of a triggered webhook, as the reference broker names them.
const (
	DeliveryNotRun   = "not_run"
	DeliveryRetrying = "retrying"
	DeliverySuccess  = "success"
	DeliveryFailure  = "failure"
)

// TriggeredWebhook is one delivery: a webhook to send for one event, until it succeeds or
// its retries run out.
type TriggeredWebhook struct {
	UUID               string
	WebhookUUID        string
	WebhookDescription string
	Event              WebhookEvent
	Status             string
	AttemptsMade       int
	NextAttemptAt      *time.Time // when the next attempt is due; nil once finished
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Attempts           []WebhookAttempt // filled only when asked for the logs
}

// WebhookAttempt is the log of one attempt to send a webhook.
type WebhookAttempt struct {
	Success         bool
	Method          string
	URL             string
	RequestHeaders  map[string]string // secrets redacted
	RequestBody     string
	ResponseStatus  int // 0 when no response arrived
	ResponseHeaders map[string]string
	ResponseBody    string // at most the first MaxLoggedBody bytes
	Error           string
	Duration        time.Duration
	Logs            string // the attempt as text, as the reference broker shows it
	CreatedAt       time.Time
}

// MaxLoggedBody bounds the bodies kept in attempt logs.
const MaxLoggedBody = 16 << 10

// WebhookDelivery is a triggered webhook claimed by a delivery worker: what it needs to send
// it, and the claim that lets it record the outcome.
type WebhookDelivery struct {
	ID         int64
	UUID       string
	ClaimToken string
	Attempts   int // attempts made before this one
	Webhook    Webhook
	Event      WebhookEvent
}

// WebhookOutcome is what became of an attempt: the delivery succeeded, failed for good, or
// is retried after RetryAfter.
type WebhookOutcome struct {
	Attempt    WebhookAttempt
	Status     string
	RetryAfter time.Duration
}

// TriggeredWebhookQuery selects triggered webhooks: of one webhook, of one consumer
// version's pact with a provider, or of one verification. Limit 0 means 100.
type TriggeredWebhookQuery struct {
	WebhookUUID     string
	Consumer        string
	Provider        string
	ConsumerVersion string
	VerificationID  int64
	Limit           int
}
