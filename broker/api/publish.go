package api

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
)

// publishBody is the wire form of POST /contracts/publish.
type publishBody struct {
	PacticipantName          string     `json:"pacticipantName"`
	PacticipantVersionNumber string     `json:"pacticipantVersionNumber"`
	Branch                   *string    `json:"branch"`
	Tags                     []string   `json:"tags"`
	BuildURL                 string     `json:"buildUrl"`
	Contracts                []contract `json:"contracts"`
}

type contract struct {
	ConsumerName  string `json:"consumerName"`
	ProviderName  string `json:"providerName"`
	Specification string `json:"specification"`
	ContentType   string `json:"contentType"`
	Content       string `json:"content"`
	OnConflict    string `json:"onConflict"`
}

// request turns the wire form into a publish request; transport-level problems (base64,
// content types) are reported in the same per-field shape as the domain's own checks.
func (b publishBody) request() (broker.PublishRequest, error) {
	req := broker.PublishRequest{Pacticipant: b.PacticipantName, Version: b.PacticipantVersionNumber, Tags: b.Tags, BuildURL: b.BuildURL}
	v := &broker.ValidationError{}
	if b.Branch != nil {
		if strings.TrimSpace(*b.Branch) == "" {
			v.Add("branch", "cannot be blank")
		}
		req.Branch = *b.Branch
	}
	if b.Contracts == nil {
		v.Add("contracts", "is missing")
	}
	for i, c := range b.Contracts {
		field := fmt.Sprintf("contracts.%d", i)
		if c.Specification != "pact" {
			v.Add(field, "specification must be 'pact' (got %q)", c.Specification)
		}
		if c.ContentType != "application/json" {
			v.Add(field, "contentType must be 'application/json' (got %q)", c.ContentType)
		}
		content, err := base64.StdEncoding.Strict().DecodeString(c.Content)
		switch {
		case c.Content == "":
			v.Add(field, "content is missing")
		case err != nil:
			v.Add(field, "content is not valid base64: %v", err)
		}
		req.Contracts = append(req.Contracts, broker.ContractToPublish{Consumer: c.ConsumerName, Provider: c.ProviderName, Content: content, OnConflict: c.OnConflict})
	}
	if err := v.Err(); err != nil {
		return req, err
	}
	return req, nil
}

func (s *Server) publishContracts(c *gin.Context) {
	var body publishBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	req, err := body.request()
	if err != nil {
		_ = c.Error(err)
		return
	}
	res, err := s.store.Publish(c.Request.Context(), req)
	if err != nil {
		_ = c.Error(err)
		return
	}
	u := s.urls(c)
	notices := publishNotices(u, req, res)
	logs := make([]obj, len(notices))
	for i, n := range notices {
		logs[i] = obj{"level": n.Type, "message": n.Text, "deprecationWarning": "Replaced by notices"}
	}
	tags := make([]Link, len(req.Tags))
	for i, t := range req.Tags {
		tags[i] = Link{Href: u.tag(req.Pacticipant, req.Version, t), Title: "Tag", Name: t}
	}
	contracts := make([]Link, len(res.Pacts))
	for i, p := range res.Pacts {
		contracts[i] = Link{Href: u.pactVersion(p.Pact.Consumer, p.Pact.Provider, p.Pact.ConsumerVersion), Title: "Pact",
			Name: "Pact between " + p.Pact.Consumer + " (" + p.Pact.ConsumerVersion + ") and " + p.Pact.Provider}
	}
	render(c, http.StatusOK, obj{
		"notices": notices,
		"logs":    logs,
		"_embedded": obj{
			"pacticipant": obj{"name": res.Pacticipant.Name, "_links": obj{"self": Link{Href: u.pacticipant(res.Pacticipant.Name)}}},
			"version":     obj{"number": res.Version.Number, "_links": obj{"self": Link{Href: u.version(req.Pacticipant, req.Version), Title: "Version", Name: req.Version}}},
		},
		"_links": obj{
			"pb:pacticipant":              Link{Href: u.pacticipant(req.Pacticipant), Title: "Pacticipant", Name: req.Pacticipant},
			"pb:pacticipant-version":      Link{Href: u.version(req.Pacticipant, req.Version), Title: "Pacticipant version", Name: req.Version},
			"pb:pacticipant-version-tags": tags,
			"pb:contracts":                contracts,
		},
	})
}

// publishNotices tells the person publishing what happened and what to do next, in the
// words the Pact clients print.
func publishNotices(u urls, req broker.PublishRequest, res broker.PublishResult) []broker.Notice {
	action := "Updated"
	if res.VersionCreated {
		action = "Created"
	}
	text := fmt.Sprintf("%s %s version %s", action, req.Pacticipant, req.Version)
	switch {
	case req.Branch != "" && len(req.Tags) > 0:
		text += fmt.Sprintf(" with branch %s and tags %s", req.Branch, strings.Join(req.Tags, ", "))
	case req.Branch != "":
		text += " with branch " + req.Branch
	case len(req.Tags) > 0:
		text += " with tags " + strings.Join(req.Tags, ", ")
	}
	notices := []broker.Notice{{Type: broker.NoticeDebug, Text: text}}
	for _, p := range res.Pacts {
		var msg string
		switch p.Outcome {
		case broker.PactUnchanged:
			msg = fmt.Sprintf("Pact successfully republished for %s version %s and provider %s with no content changes.", p.Pact.Consumer, p.Pact.ConsumerVersion, p.Pact.Provider)
		case broker.PactMerged:
			msg = fmt.Sprintf("Pact successfully merged for %s version %s and provider %s.", p.Pact.Consumer, p.Pact.ConsumerVersion, p.Pact.Provider)
		default:
			msg = fmt.Sprintf("Pact successfully published for %s version %s and provider %s.", p.Pact.Consumer, p.Pact.ConsumerVersion, p.Pact.Provider)
		}
		notices = append(notices,
			broker.Notice{Type: broker.NoticeSuccess, Text: msg},
			broker.Notice{Type: broker.NoticeDebug, Text: "  View the published pact at " + u.pactVersion(p.Pact.Consumer, p.Pact.Provider, p.Pact.ConsumerVersion)})
		for _, t := range p.Triggered {
			notices = append(notices, webhookTriggeredNotice(u, t))
		}
	}
	if req.Branch == "" {
		notices = append(notices, broker.Notice{Type: broker.NoticePrompt,
			Text: "  Next steps:\n    * Configure the version branch to be the value of your repository branch."})
	}
	return notices
}
