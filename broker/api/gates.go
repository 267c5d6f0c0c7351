package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/gates/github"
)

// GatesConfig is what the release gates' API needs beyond the broker's store.
type GatesConfig struct {
	// Store keeps the gates' data; nil means the broker's store, which keeps them too when it
	// is Treaty's own.
	Store gates.Store
	// Now is the gates' clock; nil means time.Now.
	Now func() time.Time
	// GitHub turns on the deployment protection rule adapter, POST /gates/github.
	GitHub *github.Config
	// Notify is called after every write that may change a pending decision, so whoever
	// waits for decisions looks again at once.
	Notify func()
}

// gateRoutes registers Treaty's own JSON API of the release gates: candidates and their
// facts, approvals and rejections; checks; the policy and its history; the decision log;
// holds; and GitHub's protection rule webhook.
func (s *Server) gateRoutes() {
	if s.gateStore() == nil {
		return
	}
	e := s.engine
	c := e.Group("/candidates/:pacticipant/:version")
	c.GET("", s.getCandidate)
	c.POST("/artifacts", s.recordArtifact)
	c.GET("/results", s.listResults)
	c.POST("/results", s.recordResult)
	c.GET("/reviews", s.listReviews)
	c.POST("/approvals", s.recordReview(gates.Approve))
	c.POST("/rejections", s.recordReview(gates.Reject))

	g := e.Group("/gates")
	g.POST("/check", s.checkGate)
	g.GET("/policy", s.getPolicy)
	g.PUT("/policy", s.applyPolicy)
	g.GET("/policy/default", s.defaultPolicy)
	g.GET("/policy/versions", s.policyVersions)
	g.GET("/policy/versions/:number", s.getPolicyVersion)
	g.GET("/decisions", s.listDecisions)
	g.GET("/decisions/verify", s.verifyDecisions)
	g.GET("/decisions/:id", s.getDecision)
	g.GET("/decisions/:id/explain", s.explainDecision)
	g.GET("/holds", s.listHolds)
	g.POST("/holds", s.placeHold)
	g.POST("/holds/release", s.releaseHold)
	g.POST("/github", s.githubWebhook)
}

func (s *Server) gateStore() gates.Store {
	if s.cfg.Gates.Store != nil {
		return s.cfg.Gates.Store
	}
	gs, _ := s.store.(gates.Store)
	return gs
}

func (s *Server) gateEngine() *gates.Engine {
	now := s.cfg.Gates.Now
	if now == nil {
		now = time.Now
	}
	return &gates.Engine{Store: s.gateStore(), Contracts: gates.MatrixContracts{Data: s.store}, Now: now}
}

// changed tells whoever waits for decisions that one may have changed.
func (s *Server) changed() {
	if s.cfg.Gates.Notify != nil {
		s.cfg.Gates.Notify()
	}
}

type candidateView struct {
	gates.Candidate
	Digest string `json:"digest,omitempty"`
}

func (s *Server) getCandidate(c *gin.Context) {
	ctx := c.Request.Context()
	in, err := s.gateStore().GateInput(ctx, c.Param("pacticipant"), c.Param("version"), "")
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, obj{"candidate": candidateView{in.Candidate, in.Candidate.Digest()}, "results": in.Facts,
		"reviews": in.Reviews, "deployments": in.Deployments})
}

type artifactBody struct {
	Image    string `json:"image"`
	Author   string `json:"author"`
	BuildURL string `json:"buildUrl"`
}

func (s *Server) recordArtifact(c *gin.Context) {
	ctx := c.Request.Context()
	var body artifactBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	a, err := gates.ParseImage("image", body.Image)
	if err != nil {
		_ = c.Error(err)
		return
	}
	cand, err := s.gateStore().RecordArtifact(ctx, gates.ArtifactRequest{Pacticipant: c.Param("pacticipant"), Version: c.Param("version"),
		Artifact: a, Author: body.Author, BuildURL: body.BuildURL})
	if err != nil {
		_ = c.Error(err)
		return
	}
	s.changed()
	render(c, http.StatusCreated, obj{"candidate": candidateView{cand, cand.Digest()}})
}

type resultBody struct {
	Name        string `json:"name"`
	Status      string `json:"status"`
	Environment string `json:"environment"`
	URL         string `json:"url"`
	RecordedBy  string `json:"recordedBy"`
	// Details is the scanner's report: a JSON document, or its text as a string (for reports
	// that are a stream of documents, as govulncheck's).
	Details json.RawMessage       `json:"details"`
	Counts  *gates.SeverityCounts `json:"counts"`
}

func (b resultBody) fact() (gates.Fact, error) {
	f := gates.Fact{Name: b.Name, Status: gates.Status(b.Status), Environment: b.Environment, URL: b.URL, RecordedBy: b.RecordedBy, Counts: b.Counts}
	if b.Counts != nil {
		f.Format = gates.FormatCounts
	}
	details := []byte(strings.TrimSpace(string(b.Details)))
	if len(details) == 0 || string(details) == "null" {
		return f, nil
	}
	if b.Counts != nil {
		return f, broker.Invalid("details", "give counts or details, not both")
	}
	var text string
	if json.Unmarshal(details, &text) == nil {
		details = []byte(text)
	}
	counts, format, err := gates.ParseScanReport(details)
	if err != nil {
		return f, broker.Invalid("details", "%v", err)
	}
	f.Counts, f.Format = &counts, format
	return f, nil
}

func (s *Server) recordResult(c *gin.Context) {
	ctx := c.Request.Context()
	var body resultBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	f, err := body.fact()
	if err == nil {
		err = f.Validate()
	}
	if err != nil {
		_ = c.Error(err)
		return
	}
	f, err = s.gateStore().RecordFact(ctx, c.Param("pacticipant"), c.Param("version"), f)
	if err != nil {
		_ = c.Error(err)
		return
	}
	s.changed()
	render(c, http.StatusCreated, f)
}

func (s *Server) listResults(c *gin.Context) {
	facts, err := s.gateStore().Facts(c.Request.Context(), c.Param("pacticipant"), c.Param("version"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, obj{"results": facts})
}

type reviewBody struct {
	Environment string `json:"environment"`
	By          string `json:"by"`
	Comment     string `json:"comment"`
}

func (s *Server) recordReview(decision string) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		var body reviewBody
		if err := s.decodeJSON(c, &body); err != nil {
			_ = c.Error(err)
			return
		}
		r, err := s.gateStore().RecordReview(ctx, c.Param("pacticipant"), c.Param("version"),
			gates.Review{Environment: body.Environment, Decision: decision, By: body.By, Comment: body.Comment})
		if err != nil {
			_ = c.Error(err)
			return
		}
		s.changed()
		render(c, http.StatusCreated, r)
	}
}

func (s *Server) listReviews(c *gin.Context) {
	reviews, err := s.gateStore().Reviews(c.Request.Context(), c.Param("pacticipant"), c.Param("version"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, obj{"reviews": reviews})
}

func (s *Server) checkGate(c *gin.Context) {
	ctx := c.Request.Context()
	var req gates.CheckRequest
	if err := s.decodeJSON(c, &req); err != nil {
		_ = c.Error(err)
		return
	}
	if req.Source == "" {
		req.Source = "api"
	}
	entry, err := s.gateEngine().Check(ctx, req)
	if err != nil {
		_ = c.Error(err)
		return
	}
	c.Header("Location", s.baseURL(c)+"/gates/decisions/"+strconv.FormatInt(entry.ID, 10))
	render(c, http.StatusCreated, entry)
}

func (s *Server) getPolicy(c *gin.Context) {
	pv, err := s.gateStore().CurrentPolicy(c.Request.Context())
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, pv)
}

// policyBody applies a policy: document is the policy's text, YAML or JSON, so that problems
// name its lines; or policy is the policy as a JSON object.
type policyBody struct {
	Document  *string         `json:"document"`
	Policy    json.RawMessage `json:"policy"`
	AppliedBy string          `json:"appliedBy"`
	Comment   string          `json:"comment"`
}

func (s *Server) applyPolicy(c *gin.Context) {
	ctx := c.Request.Context()
	var body policyBody
	var doc []byte
	if mt := c.ContentType(); mt == "application/yaml" || mt == "application/x-yaml" || mt == "text/yaml" {
		data, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
		if err != nil {
			_ = c.Error(statusError(http.StatusRequestEntityTooLarge, "", "The request body is larger than the limit of %d bytes", s.cfg.MaxBodyBytes))
			return
		}
		doc, body.AppliedBy, body.Comment = data, c.Query("appliedBy"), c.Query("comment")
	} else {
		if err := s.decodeJSON(c, &body); err != nil {
			_ = c.Error(err)
			return
		}
		switch {
		case body.Document != nil && len(body.Policy) > 0:
			_ = c.Error(broker.Invalid("policy", "give document or policy, not both"))
			return
		case body.Document != nil:
			doc = []byte(*body.Document)
		case len(body.Policy) > 0 && string(body.Policy) != "null":
			doc = body.Policy
		default:
			_ = c.Error(broker.Invalid("policy", "is missing: send the policy as document (its YAML or JSON text) or as policy (a JSON object)"))
			return
		}
	}
	p, err := gates.ParsePolicy(doc)
	if err != nil {
		_ = c.Error(err)
		return
	}
	pv, created, err := s.gateStore().ApplyPolicy(ctx, gates.PolicyVersion{Policy: p, AppliedBy: body.AppliedBy, Comment: body.Comment})
	if err != nil {
		_ = c.Error(err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.changed()
	}
	render(c, status, pv)
}

func (s *Server) defaultPolicy(c *gin.Context) {
	pv := gates.DefaultPolicyVersion()
	render(c, http.StatusOK, obj{"version": 0, "policy": pv.Policy, "digest": pv.Digest, "document": string(gates.DefaultPolicyYAML())})
}

func (s *Server) policyVersions(c *gin.Context) {
	list, err := s.gateStore().PolicyVersions(c.Request.Context())
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, obj{"versions": list})
}

func (s *Server) getPolicyVersion(c *gin.Context) {
	n, err := strconv.Atoi(c.Param("number"))
	if err != nil || n < 0 {
		_ = c.Error(broker.Invalid("version", "%q is not a policy version number", c.Param("number")))
		return
	}
	pv, err := s.gateStore().PolicyVersion(c.Request.Context(), n)
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, pv)
}

// decisionSummary is a decision in a list: everything but the input and the gates.
type decisionSummary struct {
	ID            int64            `json:"id"`
	Time          time.Time        `json:"time"`
	Source        string           `json:"source,omitempty"`
	Pacticipant   string           `json:"pacticipant"`
	Version       string           `json:"version"`
	Digest        string           `json:"digest,omitempty"`
	Transition    gates.Transition `json:"transition"`
	Environment   string           `json:"environment,omitempty"`
	PolicyVersion int              `json:"policyVersion"`
	Result        gates.Verdict    `json:"result"`
	Reason        string           `json:"reason"`
	NextCheck     *time.Time       `json:"nextCheck,omitempty"`
	Hash          string           `json:"hash"`
}

func summariseDecision(e gates.Entry) decisionSummary {
	return decisionSummary{ID: e.ID, Time: e.Time, Source: e.Source, Pacticipant: e.Pacticipant, Version: e.Version, Digest: e.Digest,
		Transition: e.Transition, Environment: e.Environment, PolicyVersion: e.PolicyVersion, Result: e.Decision.Result,
		Reason: e.Decision.Reason, NextCheck: e.Decision.NextCheck, Hash: e.Hash}
}

// jsonLines is the media type of the decision log's export.
const jsonLines = "application/x-ndjson"

// listDecisions lists decisions, newest first, filtered by pacticipant, version,
// environment and result; format=jsonl (or Accept: application/x-ndjson) exports the whole
// log instead, oldest first, one canonical entry with its hash per line.
func (s *Server) listDecisions(c *gin.Context) {
	ctx := c.Request.Context()
	if c.Query("format") == "jsonl" || strings.Contains(c.GetHeader("Accept"), jsonLines) {
		s.exportDecisions(c)
		return
	}
	q := gates.DecisionQuery{Pacticipant: c.Query("pacticipant"), Version: c.Query("version"), Environment: c.Query("environment"),
		Result: gates.Verdict(c.Query("result"))}
	v := &broker.ValidationError{}
	switch q.Result {
	case "", gates.Allow, gates.Deny, gates.Pending:
	default:
		v.Add("result", "%q is not allow, deny or pending", q.Result)
	}
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 1000 {
			v.Add("limit", "must be a number from 1 to 1000")
		}
		q.Limit = n
	}
	if raw := c.Query("after"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			v.Add("after", "must be a decision id")
		}
		q.AfterID = n
	}
	if err := v.Err(); err != nil {
		_ = c.Error(err)
		return
	}
	list, err := s.gateStore().Decisions(ctx, q)
	if err != nil {
		_ = c.Error(err)
		return
	}
	out := make([]decisionSummary, 0, len(list))
	for _, sealed := range list {
		e, err := sealed.Entry()
		if err != nil {
			_ = c.Error(err)
			return
		}
		out = append(out, summariseDecision(e))
	}
	render(c, http.StatusOK, obj{"decisions": out})
}

func (s *Server) exportDecisions(c *gin.Context) {
	ctx := c.Request.Context()
	c.Header("Content-Type", jsonLines)
	c.Status(http.StatusOK)
	err := s.gateStore().WalkDecisions(ctx, func(e gates.SealedEntry) error {
		line, err := e.Line()
		if err != nil {
			return err
		}
		_, err = c.Writer.Write(append(line, '\n'))
		return err
	})
	if err != nil {
		// The status is sent: all that is left is to stop, and log why.
		s.log.ErrorContext(ctx, "export the decision log", "error", err)
	}
}

func (s *Server) verifyDecisions(c *gin.Context) {
	report, err := gates.VerifyLog(c.Request.Context(), s.gateStore())
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, report)
}

func decisionID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, broker.NotFound("decision %q", c.Param("id"))
	}
	return id, nil
}

func (s *Server) getDecision(c *gin.Context) {
	id, err := decisionID(c)
	if err == nil {
		var e gates.Entry
		if e, err = s.gateStore().Decision(c.Request.Context(), id); err == nil {
			render(c, http.StatusOK, e)
			return
		}
	}
	_ = c.Error(err)
}

func (s *Server) explainDecision(c *gin.Context) {
	id, err := decisionID(c)
	if err == nil {
		var x gates.Explanation
		if x, err = s.gateEngine().Explain(c.Request.Context(), id); err == nil {
			render(c, http.StatusOK, x)
			return
		}
	}
	_ = c.Error(err)
}

func (s *Server) listHolds(c *gin.Context) {
	holds, err := s.gateStore().Holds(c.Request.Context(), c.Query("environment"))
	if err != nil {
		_ = c.Error(err)
		return
	}
	render(c, http.StatusOK, obj{"holds": holds})
}

type holdBody struct {
	Environment string `json:"environment"`
	Pacticipant string `json:"pacticipant"`
	By          string `json:"by"`
	Reason      string `json:"reason"`
}

func (s *Server) placeHold(c *gin.Context) {
	var body holdBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	h, created, err := s.gateStore().PlaceHold(c.Request.Context(), gates.Hold{Environment: body.Environment, Pacticipant: body.Pacticipant, By: body.By, Reason: body.Reason})
	if err != nil {
		_ = c.Error(err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.changed()
	}
	render(c, status, h)
}

func (s *Server) releaseHold(c *gin.Context) {
	var body holdBody
	if err := s.decodeJSON(c, &body); err != nil {
		_ = c.Error(err)
		return
	}
	if body.Environment == "" {
		_ = c.Error(broker.Invalid("environment", "cannot be blank"))
		return
	}
	h, err := s.gateStore().ReleaseHold(c.Request.Context(), body.Environment, body.Pacticipant, body.By)
	if err != nil {
		_ = c.Error(err)
		return
	}
	s.changed()
	render(c, http.StatusOK, h)
}

// githubWebhook receives GitHub's deployment_protection_rule webhook. The delivery proves it
// comes from GitHub by its HMAC signature (this path needs no other credentials); the request
// is queued for the waiter, which checks the gate and calls GitHub back.
func (s *Server) githubWebhook(c *gin.Context) {
	ctx := c.Request.Context()
	cfg := s.cfg.Gates.GitHub
	if cfg == nil || cfg.Secret == "" {
		_ = c.Error(broker.NotFound("the GitHub adapter (start treaty serve with --github-webhook-secret)"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		_ = c.Error(statusError(http.StatusRequestEntityTooLarge, "", "The request body is larger than the limit of %d bytes", s.cfg.MaxBodyBytes))
		return
	}
	if err := github.VerifySignature(cfg.Secret, body, c.GetHeader("X-Hub-Signature-256")); err != nil {
		_ = c.Error(err)
		return
	}
	switch event := c.GetHeader("X-GitHub-Event"); event {
	case "ping":
		render(c, http.StatusOK, obj{"message": "pong"})
		return
	case "deployment_protection_rule":
	default:
		render(c, http.StatusAccepted, obj{"message": "ignored: Treaty acts on deployment_protection_rule events only", "event": event})
		return
	}
	ev, err := github.ParseProtectionRuleEvent(body, *cfg)
	if err != nil {
		_ = c.Error(err)
		return
	}
	if ev.Action != "requested" {
		render(c, http.StatusAccepted, obj{"message": "ignored: action " + ev.Action})
		return
	}
	req := github.Request{CallbackURL: ev.DeploymentCallbackURL, Environment: ev.Environment, Repository: ev.Repository.FullName, SHA: ev.SHA}
	env := ev.Environment
	if mapped, ok := cfg.Environments[env]; ok {
		env = mapped
	}
	pacticipants, _, err := s.store.Pacticipants(ctx, broker.ListQuery{})
	if err != nil {
		_ = c.Error(err)
		return
	}
	pacticipant, found := github.Pacticipant(ev.Repository, cfg.Repositories, pacticipants)
	if !found {
		req.Reject = "no pacticipant is known for the repository " + ev.Repository.FullName +
			": set a pacticipant's repositoryUrl to it, or map it with --github-repository " + ev.Repository.FullName + "=PACTICIPANT"
	} else if envs, err := s.store.Environments(ctx, env); err != nil {
		_ = c.Error(err)
		return
	} else if len(envs) == 0 {
		req.Reject = "no environment is named " + env + ": create it, or map the GitHub environment with --github-environment " + ev.Environment + "=NAME"
	}
	payload, _ := json.Marshal(req)
	w, created, err := s.gateStore().AddWait(ctx, gates.Wait{Kind: github.WaitKind, Key: ev.DeploymentCallbackURL + "#" + ev.Environment,
		Pacticipant: pacticipant, Version: ev.SHA, Environment: env, Payload: payload})
	if err != nil {
		_ = c.Error(err)
		return
	}
	s.changed()
	out := obj{"wait": w.ID, "pacticipant": pacticipant, "version": ev.SHA, "environment": env, "queued": created}
	if req.Reject != "" {
		out["reject"] = req.Reject
	}
	render(c, http.StatusAccepted, out)
}
