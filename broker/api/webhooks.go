package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/broker/webhooks"
)

// WebhookConfig is what the webhook API needs beyond the store.
type WebhookConfig struct {
	// Sender sends test executions, and its policy is the one new webhooks must satisfy.
	// Nil means the default policy: POST over https to public hosts only.
	Sender *webhooks.Sender
}

// webhookRoutes registers the webhook API: CRUD, test execution, and the logs of triggered
// webhooks by webhook, by pact and by verification.
func (s *Server) webhookRoutes() {
	e := s.engine
	e.GET("/webhooks", s.listWebhooks)
	e.POST("/webhooks", s.createWebhook)
	e.POST("/webhooks/execute", s.executeUnsavedWebhook)
	e.POST("/webhooks/provider/:provider/consumer/:consumer", s.createWebhook)
	e.POST("/webhooks/provider/:provider", s.createWebhook)
	e.POST("/webhooks/consumer/:consumer", s.createWebhook)
	e.GET("/webhooks/:uuid", s.getWebhook)
	e.PUT("/webhooks/:uuid", s.putWebhook)
	e.DELETE("/webhooks/:uuid", s.deleteWebhook)
	e.POST("/webhooks/:uuid/execute", s.executeWebhook)
	e.GET("/webhooks/:uuid/triggered-webhooks", s.triggeredWebhooksOfWebhook)
	e.GET("/triggered-webhooks/:uuid", s.getTriggeredWebhook)
	e.GET("/triggered-webhooks/:uuid/logs", s.triggeredWebhookLogs)

	pair := "/pacts/provider/:provider/consumer/:consumer"
	e.GET(pair+"/webhooks", s.pactWebhooks)
	e.POST(pair+"/webhooks", s.createWebhook)
	e.GET(pair+"/version/:version/triggered-webhooks", s.triggeredWebhooksOfPact)
	e.GET(pair+"/pact-version/:sha/verification-results/:number/triggered-webhooks", s.triggeredWebhooksOfVerification)
	e.GET(pair+"/pact-version/:sha/metadata/:metadata/verification-results/:number/triggered-webhooks", s.triggeredWebhooksOfVerification)
}

func (s *Server) webhookSender() *webhooks.Sender {
	if s.cfg.Webhooks.Sender != nil {
		return s.cfg.Webhooks.Sender
	}
	return webhooks.NewSender(webhooks.Policy{}, webhooks.SenderOptions{})
}

// webhookBody is the wire form of a webhook, as the Pact clients send it.
type webhookBody struct {
	Description string              `json:"description"`
	Enabled     *bool               `json:"enabled"`
	Consumer    *webhookPacticipant `json:"consumer"`
	Provider    *webhookPacticipant `json:"provider"`
	Events      *[]webhookEventBody `json:"events"`
	Request     *webhookRequestBody `json:"request"`
}

type webhookPacticipant struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

type webhookEventBody struct {
	Name string `json:"name"`
}

type webhookRequestBody struct {
	Method   string            `json:"method"`
	URL      string            `json:"url"`
	Headers  map[string]string `json:"headers"`
	Body     json.RawMessage   `json:"body"`
	Username string            `json:"username"`
	Password string            `json:"password"`
}

// webhook turns the wire form into a webhook. As in the reference broker, a webhook without
// events reacts to contract_content_changed and one without "enabled" is enabled.
func (b webhookBody) webhook() (broker.Webhook, error) {
	w := broker.Webhook{Description: b.Description, Enabled: b.Enabled == nil || *b.Enabled}
	v := &broker.ValidationError{}
	for _, side := range []struct {
		field string
		p     *webhookPacticipant
		dst   *string
	}{{"consumer", b.Consumer, &w.Consumer}, {"provider", b.Provider, &w.Provider}} {
		switch {
		case side.p == nil:
		case side.p.Label != "":
			v.Add(side.field+".label", "Treaty has no pacticipant labels: name the %s instead", side.field)
		case side.p.Name == "":
			v.Add(side.field+".name", "cannot be blank")
		default:
			*side.dst = side.p.Name
		}
	}
	if b.Events == nil {
		w.Events = []string{broker.DefaultWebhookEvent}
	} else {
		w.Events = make([]string, 0, len(*b.Events))
		for _, e := range *b.Events {
			w.Events = append(w.Events, e.Name)
		}
	}
	if b.Request == nil {
		v.Add("request", "is missing")
	} else {
		r := b.Request
		w.Request = broker.WebhookRequest{Method: r.Method, URL: r.URL, Headers: r.Headers, Body: r.Body, Username: r.Username, Password: r.Password}
		if string(r.Body) == "null" {
			w.Request.Body = nil
		}
	}
	return w, v.Err()
}

// checkWebhook reports every problem at once: the domain's checks and the allow-lists.
func (s *Server) checkWebhook(ctx context.Context, w broker.Webhook) error {
	all := &broker.ValidationError{}
	for _, err := range []error{w.Validate(), s.webhookSender().Policy().Validate(ctx, w)} {
		var ve *broker.ValidationError
		if errors.As(err, &ve) {
			for field, msgs := range ve.Fields {
				for _, m := range msgs {
					all.Add(field, "%s", m)
				}
			}
		} else if err != nil {
			return err
		}
	}
	return all.Err()
}

// decodeWebhook reads and checks a webhook from the request body; the path's consumer and
// provider, when present, must exist (404) and override the body's.
func (s *Server) decodeWebhook(c *gin.Context) (broker.Webhook, error) {
	ctx := c.Request.Context()
	var body webhookBody
	if err := s.decodeJSON(c, &body); err != nil {
		return broker.Webhook{}, err
	}
	for _, side := range []struct {
		param string
		p     **webhookPacticipant
	}{{"consumer", &body.Consumer}, {"provider", &body.Provider}} {
		name := c.Param(side.param)
		if name == "" {
			continue
		}
		if _, err := s.store.Pacticipant(ctx, name); err != nil {
			return broker.Webhook{}, err
		}
		*side.p = &webhookPacticipant{Name: name}
	}
	w, err := body.webhook()
	if err != nil {
		return w, err
	}
	return w, s.checkWebhook(ctx, w)
}

func (s *Server) createWebhook(c *gin.Context) {
	w, err := s.decodeWebhook(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	w, err = s.store.CreateWebhook(c.Request.Context(), w)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	c.Header("Location", u.webhook(w.UUID))
	render(c, http.StatusCreated, u.renderWebhook(w))
}

// putWebhook creates the webhook with the UUID of the path or replaces it. A password or
// secret header sent back redacted, as a read shows it, keeps its stored value.
func (s *Server) putWebhook(c *gin.Context) {
	w, err := s.decodeWebhook(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	w, created, err := s.store.PutWebhook(c.Request.Context(), c.Param("uuid"), w)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	if created {
		c.Header("Location", u.webhook(w.UUID))
	}
	render(c, createdOr(created), u.renderWebhook(w))
}

func (s *Server) getWebhook(c *gin.Context) {
	w, err := s.store.Webhook(c.Request.Context(), c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderWebhook(w))
}

func (s *Server) deleteWebhook(c *gin.Context) {
	if err := s.store.DeleteWebhook(c.Request.Context(), c.Param("uuid")); err != nil {
		_ = c.Error(err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) listWebhooks(c *gin.Context) {
	list, err := s.store.Webhooks(c.Request.Context(), "", "")
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	render(c, http.StatusOK, u.renderWebhooks(list, u.path("webhooks"), "Webhooks"))
}

// pactWebhooks lists the webhooks that apply to an integration's pacts, global ones included.
func (s *Server) pactWebhooks(c *gin.Context) {
	consumer, provider := c.Param("consumer"), c.Param("provider")
	list, err := s.store.Webhooks(c.Request.Context(), consumer, provider)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	render(c, http.StatusOK, u.renderWebhooks(list, u.integration(consumer, provider)+"/webhooks",
		"Webhooks for the pact between "+consumer+" and "+provider))
}

// executeWebhook sends a saved webhook now, with the latest matching pact (and its latest
// verification) as example data, and answers with what was sent and received.
func (s *Server) executeWebhook(c *gin.Context) {
	w, err := s.store.Webhook(c.Request.Context(), c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	s.testExecution(c, w)
}

// executeUnsavedWebhook test-executes the webhook in the request body without saving it.
func (s *Server) executeUnsavedWebhook(c *gin.Context) {
	w, err := s.decodeWebhook(c)
	if err != nil {
		_ = c.Error(err)
		return
	}
	s.testExecution(c, w)
}

func (s *Server) testExecution(c *gin.Context, w broker.Webhook) {
	ctx := c.Request.Context()
	ev, err := s.store.WebhookTestEvent(ctx, w)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	a, _ := s.webhookSender().Execute(ctx, u.base, w, ev)
	out := renderAttempt(a)
	links := obj{"try-again": Link{Href: u.base + c.Request.URL.EscapedPath(), Title: "Execute the webhook again"}}
	if w.UUID != "" {
		links["webhook"] = Link{Href: u.webhook(w.UUID), Title: "Webhook"}
	}
	out["_links"] = links
	render(c, http.StatusOK, out)
}

func (s *Server) triggeredWebhooksOfWebhook(c *gin.Context) {
	id := c.Param("uuid")
	s.renderTriggeredList(c, broker.TriggeredWebhookQuery{WebhookUUID: id}, "Webhooks triggered for webhook "+id)
}

func (s *Server) triggeredWebhooksOfPact(c *gin.Context) {
	q := broker.TriggeredWebhookQuery{Consumer: c.Param("consumer"), Provider: c.Param("provider"), ConsumerVersion: c.Param("version")}
	s.renderTriggeredList(c, q, fmt.Sprintf("Webhooks triggered by the pact between %s (%s) and %s", q.Consumer, q.ConsumerVersion, q.Provider))
}

func (s *Server) triggeredWebhooksOfVerification(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("number"), 10, 64)
	if err != nil || id < 1 {
		_ = c.Error(broker.NotFound("verification result %q", c.Param("number")))
		return
	}
	// The path names the verification fully; one of another pact is not found here.
	if _, err := s.store.Verification(c.Request.Context(), c.Param("consumer"), c.Param("provider"), c.Param("sha"), id); err != nil {
		_ = c.Error(err)
		return
	}
	s.renderTriggeredList(c, broker.TriggeredWebhookQuery{VerificationID: id}, "Webhooks triggered by the publication of verification result "+c.Param("number"))
}

func (s *Server) renderTriggeredList(c *gin.Context, q broker.TriggeredWebhookQuery, title string) {
	list, err := s.store.TriggeredWebhooks(c.Request.Context(), q)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	items := make([]obj, len(list))
	for i, t := range list {
		items[i] = u.renderTriggered(t)
	}
	render(c, http.StatusOK, obj{"_embedded": obj{"triggeredWebhooks": items},
		"_links": obj{"self": Link{Href: u.base + c.Request.URL.EscapedPath(), Title: title}}})
}

func (s *Server) getTriggeredWebhook(c *gin.Context) {
	t, err := s.store.TriggeredWebhook(c.Request.Context(), c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, s.urls(c).renderTriggered(t))
}

// triggeredWebhookLogs shows every attempt of one delivery: what was sent, what came back.
func (s *Server) triggeredWebhookLogs(c *gin.Context) {
	t, err := s.store.TriggeredWebhook(c.Request.Context(), c.Param("uuid"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	executions := make([]obj, len(t.Attempts))
	for i, a := range t.Attempts {
		executions[i] = renderAttempt(a)
		executions[i]["createdAt"] = timestamp(a.CreatedAt)
	}
	out := obj{
		"uuid":          t.UUID,
		"eventName":     t.Event.Name,
		"consumerName":  t.Event.Consumer,
		"providerName":  t.Event.Provider,
		"status":        t.Status,
		"attemptsMade":  t.AttemptsMade,
		"executions":    executions,
		"_embedded":     obj{"triggeredWebhook": obj{"uuid": t.UUID}},
		"nextAttemptAt": nil,
		"_links": obj{
			"self":                 Link{Href: u.triggeredWebhook(t.UUID) + "/logs", Title: "Triggered webhook logs"},
			"pb:triggered-webhook": Link{Href: u.triggeredWebhook(t.UUID), Title: "Triggered webhook"},
			"pb:webhook":           Link{Href: u.webhook(t.WebhookUUID), Title: "Webhook", Name: t.WebhookDescription},
		},
	}
	if t.NextAttemptAt != nil {
		out["nextAttemptAt"] = timestamp(*t.NextAttemptAt)
	}
	render(c, http.StatusOK, out)
}

func (u urls) webhook(id string) string          { return u.path("webhooks", seg(id)) }
func (u urls) triggeredWebhook(id string) string { return u.path("triggered-webhooks", seg(id)) }

// renderWebhook is the reference broker's webhook resource; the password and secret headers
// are redacted.
func (u urls) renderWebhook(w broker.Webhook) obj {
	r := w.Request.Redact()
	request := obj{"method": r.Method, "url": r.URL}
	if len(r.Headers) > 0 {
		request["headers"] = r.Headers
	}
	if len(r.Body) > 0 {
		request["body"] = r.Body
	}
	if r.Username != "" {
		request["username"] = r.Username
	}
	if r.Password != "" {
		request["password"] = r.Password
	}
	events := make([]obj, len(w.Events))
	for i, e := range w.Events {
		events[i] = obj{"name": e}
	}
	o := obj{"uuid": w.UUID, "description": w.DisplayDescription(), "enabled": w.Enabled, "request": request, "events": events}
	timestamps(o, w.CreatedAt, w.UpdatedAt)
	links := obj{
		"self":                  Link{Href: u.webhook(w.UUID), Title: w.DisplayDescription()},
		"pb:execute":            Link{Href: u.webhook(w.UUID) + "/execute", Title: "Test the execution of the webhook with the latest matching pact or verification by sending a POST request to this URL"},
		"pb:webhooks":           Link{Href: u.path("webhooks"), Title: "All webhooks"},
		"pb:triggered-webhooks": Link{Href: u.webhook(w.UUID) + "/triggered-webhooks", Title: "Recent deliveries of this webhook"},
	}
	if w.Consumer != "" {
		o["consumer"] = obj{"name": w.Consumer}
		links["pb:consumer"] = Link{Href: u.pacticipant(w.Consumer), Title: "Consumer", Name: w.Consumer}
	}
	if w.Provider != "" {
		o["provider"] = obj{"name": w.Provider}
		links["pb:provider"] = Link{Href: u.pacticipant(w.Provider), Title: "Provider", Name: w.Provider}
	}
	if w.Consumer != "" && w.Provider != "" {
		links["pb:pact-webhooks"] = Link{Href: u.integration(w.Consumer, w.Provider) + "/webhooks",
			Title: "All webhooks for consumer " + w.Consumer + " and provider " + w.Provider}
	}
	o["_links"] = links
	return o
}

func (u urls) renderWebhooks(list []broker.Webhook, self, title string) obj {
	items := make([]obj, len(list))
	links := make([]Link, len(list))
	for i, w := range list {
		items[i] = u.renderWebhook(w)
		links[i] = Link{Href: u.webhook(w.UUID), Title: scopeDescription(w), Name: w.DisplayDescription()}
	}
	return obj{"_embedded": obj{"webhooks": items}, "_links": obj{
		"self":        Link{Href: self, Title: title},
		"pb:create":   Link{Href: self, Title: "POST to create a webhook"},
		"pb:webhooks": links,
	}}
}

func scopeDescription(w broker.Webhook) string {
	switch {
	case w.Consumer != "" && w.Provider != "":
		return "A webhook for the pact between " + w.Consumer + " and " + w.Provider
	case w.Consumer != "":
		return "A webhook for all pacts with consumer " + w.Consumer
	case w.Provider != "":
		return "A webhook for all pacts with provider " + w.Provider
	}
	return "A webhook for all pacts"
}

func (u urls) renderTriggered(t broker.TriggeredWebhook) obj {
	logs := u.triggeredWebhook(t.UUID) + "/logs"
	o := obj{
		"uuid":                  t.UUID,
		"name":                  t.WebhookDescription,
		"status":                t.Status,
		"attemptsMade":          t.AttemptsMade,
		"triggerType":           "resource_creation",
		"eventName":             t.Event.Name,
		"consumerName":          t.Event.Consumer,
		"providerName":          t.Event.Provider,
		"consumerVersionNumber": nilIfEmpty(t.Event.ConsumerVersion),
		"providerVersionNumber": nilIfEmpty(t.Event.ProviderVersion),
		"triggeredAt":           timestamp(t.CreatedAt),
		"nextAttemptAt":         nil,
		"_links": obj{
			"self":       Link{Href: u.triggeredWebhook(t.UUID), Title: "Triggered webhook", Name: t.WebhookDescription},
			"pb:logs":    Link{Href: logs, Title: "Webhook execution logs", Name: t.WebhookDescription},
			"logs":       Link{Href: logs, Title: "DEPRECATED - Use pb:logs", Name: t.WebhookDescription},
			"pb:webhook": Link{Href: u.webhook(t.WebhookUUID), Title: "Webhook", Name: t.WebhookDescription},
		},
	}
	if t.NextAttemptAt != nil {
		o["nextAttemptAt"] = timestamp(*t.NextAttemptAt)
	}
	return o
}

// renderAttempt is one attempt as the reference broker's execution result shows it, with
// the error and duration besides.
func renderAttempt(a broker.WebhookAttempt) obj {
	o := obj{
		"request":    obj{"method": a.Method, "url": a.URL, "headers": a.RequestHeaders, "body": jsonOrText(a.RequestBody)},
		"logs":       a.Logs,
		"success":    a.Success,
		"durationMs": a.Duration.Milliseconds(),
	}
	if a.ResponseStatus != 0 {
		o["response"] = obj{"status": a.ResponseStatus, "headers": a.ResponseHeaders, "body": jsonOrText(a.ResponseBody)}
	}
	if a.Error != "" {
		o["error"] = obj{"message": a.Error}
	}
	return o
}

// jsonOrText shows a body as JSON when it is JSON, else as text.
func jsonOrText(s string) any {
	if s == "" {
		return nil
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	return s
}

// webhookTriggeredNotice tells the person publishing that a webhook fired and where to see
// how its delivery went, in the reference broker's words.
func webhookTriggeredNotice(u urls, t broker.TriggeredWebhook) broker.Notice {
	desc := strconv.Quote(t.WebhookDescription)
	if t.WebhookDescription == "" {
		desc = t.WebhookUUID
	}
	return broker.Notice{Type: broker.NoticeDebug, Text: fmt.Sprintf("  Webhook %s triggered for event %s.\n    View logs at %s",
		desc, t.Event.Name, u.triggeredWebhook(t.UUID)+"/logs")}
}
