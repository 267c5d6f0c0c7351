package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/treaty-dev/treaty/broker"
	"github.com/treaty-dev/treaty/gates"
	"github.com/treaty-dev/treaty/pipelines"
)

// GateRecords is what the releases pages read of the gate engine's records: its decision
// log, and each candidate's facts, reviews and the holds in force. A store without them
// gets a page that says there are none.
type GateRecords interface {
	Decisions(ctx context.Context, q gates.DecisionQuery) ([]gates.SealedEntry, error)
	Candidate(ctx context.Context, pacticipant, version string) (gates.Candidate, error)
	Facts(ctx context.Context, pacticipant, version string) ([]gates.Fact, error)
	Reviews(ctx context.Context, pacticipant, version string) ([]gates.Review, error)
	Holds(ctx context.Context, environment string) ([]gates.Hold, error)
}

// PipelineRecords is what the releases pages read of the pipelines' runs.
type PipelineRecords interface {
	Runs(ctx context.Context, q pipelines.RunQuery) ([]pipelines.Run, error)
	Run(ctx context.Context, id int64) (pipelines.Run, error)
}

const (
	// decisionsPerPage bounds the decisions a releases page lists; runsPerPage its runs.
	decisionsPerPage = 50
	runsPerPage      = 20
)

type releasesData struct {
	Recorded     bool // the store keeps gate records at all
	Pipelines    bool // the store keeps pipeline runs
	Runs         []runView
	Pacticipant  string
	Environment  string
	Result       string
	Filtered     bool
	Names        []string
	Environments []broker.Environment
	Decisions    []decisionView
	More         bool
	Holds        []holdView
}

type decisionView struct {
	ID              int64
	When            stamp
	Pacticipant     string
	Version         string
	CandidateURL    string
	Transition      string
	Environment     string
	Result          string
	Reason          string
	PolicyVersion   int
	Gates           []gates.GateResult
	Digest          string
	Unreadable      bool
	EnvironmentURL  string
	PacticipantURL  string
	DecisionJSONURL string
}

type holdView struct {
	Environment string
	Pacticipant string
	By          string
	Reason      string
	Since       stamp
}

type candidateData struct {
	Runs        []runView
	Pacticipant string
	Version     string
	Author      string
	BuildURL    string
	Digest      string
	Artifacts   []gates.Artifact
	Facts       []factView
	Reviews     []reviewView
	Decisions   []decisionView
	MatrixURL   string
	CanIDeploy  string
}

type factView struct {
	gates.Fact
	When stamp
}

type reviewView struct {
	gates.Review
	When stamp
}

// runView is a pipeline run as the pages show it.
type runView struct {
	pipelines.Run
	URL          string
	CandidateURL string
	Started      stamp
	Duration     string
	Steps        []stepView
}

type stepView struct {
	pipelines.StepRun
	Duration string
}

func (p *Pages) runView(r pipelines.Run) runView {
	v := runView{Run: r, URL: p.links.PipelineRun(r.ID), CandidateURL: p.links.Candidate(r.Service, r.Version),
		Started: p.stamp(r.StartedAt), Duration: millis(r.DurationMillis)}
	for _, st := range r.Steps {
		v.Steps = append(v.Steps, stepView{StepRun: st, Duration: millis(st.DurationMillis)})
	}
	return v
}

func millis(ms int64) string {
	if ms <= 0 {
		return ""
	}
	d := time.Duration(ms) * time.Millisecond
	if d < time.Second {
		return d.String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// runClass maps a run's or step's status onto the pages' three colours.
func runClass(status any) string {
	switch pipelines.Status(fmt.Sprint(status)) {
	case pipelines.Succeeded:
		return resultSuccess
	case pipelines.Failed, pipelines.RolledBack:
		return resultFailed
	}
	return resultUnverified
}

// gateResultClass maps the gates' verdicts onto the pages' three colours.
func gateResultClass(v any) string {
	switch gates.Verdict(fmt.Sprint(v)) {
	case gates.Allow:
		return resultSuccess
	case gates.Deny:
		return resultFailed
	}
	return resultUnverified
}

// releases lists the gate engine's latest decisions, every gate with its reason, and the
// holds in force.
func (p *Pages) releases(r *http.Request) (*page, error) {
	ctx := r.Context()
	in := readParams(r)
	d := releasesData{Pacticipant: in.name("pacticipant"), Environment: in.name("environment"),
		Result: in.choice("result", string(gates.Allow), string(gates.Deny), string(gates.Pending))}
	if err := in.err(); err != nil {
		return nil, err
	}
	d.Filtered = d.Pacticipant != "" || d.Environment != "" || d.Result != ""
	pg := &page{template: "releases", title: "Releases", nav: "releases", data: &d}
	gr, ok := p.store.(GateRecords)
	if !ok {
		return pg, nil
	}
	d.Recorded = true
	if err := p.formLists(ctx, &d.Names, &d.Environments); err != nil {
		return nil, err
	}
	if d.Pacticipant != "" {
		if _, err := p.store.MatrixPacticipant(ctx, d.Pacticipant); err != nil {
			return nil, err
		}
	}
	if d.Environment != "" && !hasEnvironment(d.Environments, d.Environment) {
		return nil, notFound("There is no environment named %q.", d.Environment)
	}
	entries, err := gr.Decisions(ctx, gates.DecisionQuery{Pacticipant: d.Pacticipant, Environment: d.Environment,
		Result: gates.Verdict(d.Result), Limit: decisionsPerPage + 1})
	if err != nil {
		return nil, err
	}
	if len(entries) > decisionsPerPage {
		entries, d.More = entries[:decisionsPerPage], true
	}
	d.Decisions = p.decisionViews(entries)
	holds, err := gr.Holds(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, h := range holds {
		d.Holds = append(d.Holds, holdView{Environment: h.Environment, Pacticipant: h.Pacticipant, By: h.By, Reason: h.Reason, Since: p.stamp(h.At)})
	}
	if pr, ok := p.store.(PipelineRecords); ok {
		d.Pipelines = true
		runs, err := pr.Runs(ctx, pipelines.RunQuery{Service: d.Pacticipant, Limit: runsPerPage})
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			d.Runs = append(d.Runs, p.runView(r))
		}
	}
	return pg, nil
}

// pipelineRun shows one pipeline run with its steps.
func (p *Pages) pipelineRun(r *http.Request, idText string) (*page, error) {
	ctx := r.Context()
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id < 1 {
		return nil, badRequest("%q is not a run number: it must be a whole number from 1.", truncate(idText, 40))
	}
	if err := readParams(r).err(); err != nil {
		return nil, err
	}
	pr, ok := p.store.(PipelineRecords)
	if !ok {
		return nil, notFound("This broker keeps no pipeline runs.")
	}
	run, err := pr.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	return &page{template: "run", title: fmt.Sprintf("Pipeline run %d: %s %s", run.ID, run.Service, run.Version), nav: "releases", data: p.runView(run)}, nil
}

func (p *Pages) decisionViews(entries []gates.SealedEntry) []decisionView {
	out := make([]decisionView, 0, len(entries))
	for _, s := range entries {
		v := decisionView{ID: s.ID, Pacticipant: s.Pacticipant, Version: s.Version, Transition: s.Transition, Environment: s.Environment,
			Result: s.Result, CandidateURL: p.links.Candidate(s.Pacticipant, s.Version), PacticipantURL: p.links.PacticipantMatrix(s.Pacticipant),
			DecisionJSONURL: p.links.DecisionJSON(s.ID)}
		if s.Environment != "" {
			v.EnvironmentURL = p.links.Environment(s.Environment)
		}
		e, err := s.Entry()
		if err != nil {
			v.Unreadable = true
		} else {
			v.When, v.Reason, v.Gates, v.PolicyVersion, v.Digest = p.stamp(e.Time), e.Decision.Reason, e.Decision.Gates, e.PolicyVersion, e.Digest
		}
		out = append(out, v)
	}
	return out
}

// candidate shows one release candidate: its artifacts, facts, reviews and every decision
// taken on it.
func (p *Pages) candidate(r *http.Request, pacticipant, version string) (*page, error) {
	ctx := r.Context()
	if err := checkNames("pacticipant", pacticipant, "version", version); err != nil {
		return nil, err
	}
	if err := readParams(r).err(); err != nil {
		return nil, err
	}
	gr, ok := p.store.(GateRecords)
	if !ok {
		return nil, notFound("This broker keeps no release candidates.")
	}
	c, err := gr.Candidate(ctx, pacticipant, version)
	if err != nil {
		return nil, err
	}
	d := candidateData{Pacticipant: c.Pacticipant, Version: c.Version, Author: c.Author, BuildURL: c.BuildURL, Digest: c.Digest(),
		Artifacts: c.Artifacts, MatrixURL: p.links.VersionMatrix(c.Pacticipant, c.Version), CanIDeploy: p.links.CanIDeploy(c.Pacticipant, c.Version, "", "")}
	facts, err := gr.Facts(ctx, pacticipant, version)
	if err != nil {
		return nil, err
	}
	for i := len(facts) - 1; i >= 0; i-- {
		d.Facts = append(d.Facts, factView{Fact: facts[i], When: p.stamp(facts[i].RecordedAt)})
	}
	reviews, err := gr.Reviews(ctx, pacticipant, version)
	if err != nil {
		return nil, err
	}
	for i := len(reviews) - 1; i >= 0; i-- {
		d.Reviews = append(d.Reviews, reviewView{Review: reviews[i], When: p.stamp(reviews[i].At)})
	}
	entries, err := gr.Decisions(ctx, gates.DecisionQuery{Pacticipant: c.Pacticipant, Version: c.Version, Limit: decisionsPerPage})
	if err != nil && !errors.Is(err, broker.ErrNotFound) {
		return nil, err
	}
	d.Decisions = p.decisionViews(entries)
	if pr, ok := p.store.(PipelineRecords); ok {
		// Runs are listed by service; this candidate's are among the service's latest.
		runs, err := pr.Runs(ctx, pipelines.RunQuery{Service: c.Pacticipant, Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, r := range runs {
			if r.Version == c.Version {
				d.Runs = append(d.Runs, p.runView(r))
			}
		}
	}
	return &page{template: "candidate", title: "Release candidate " + c.Pacticipant + " " + c.Version, nav: "releases", data: d}, nil
}
