package gates

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
)

// cel: a CEL expression over the candidate, the environment and the facts must be true: the
// escape hatch for what no other gate says. It is compiled and type-checked when the policy
// is applied; one that cannot be evaluated (a missing map key, say) denies.
//
//	gates:
//	  - type: cel
//	    expression: '!environment.production || candidate.author != ""'
//	    message: production takes only builds whose author is known
//
// The variables: candidate (pacticipant, version, author, buildUrl, digest, artifacts,
// createdAt), environment (name, production, transition), results (the latest result of each
// name recorded without an environment), environmentResults (environment → name → result),
// approvals (of the target environment that count: by, comment, at) and now. A result has
// name, environment, status, passed, digest, recordedAt, hasCounts and the counts critical,
// high, medium, low and unknown.
func init() {
	register("cel", []string{"expression", "message"}, func(s *GateSpec, c *compileContext) Gate {
		if strings.TrimSpace(s.Expression) == "" {
			c.failField("expression", "is missing: a CEL expression that must be true")
			return nil
		}
		prg, problems := compileCEL(s.Expression)
		for _, p := range problems {
			c.failField("expression", "%s", p)
		}
		if len(problems) > 0 {
			return nil
		}
		return celGate{expr: s.Expression, message: s.Message, prg: prg}
	})
}

// The types CEL sees. Field names come from the cel tags.
type (
	CELCandidate struct {
		Pacticipant string        `cel:"pacticipant"`
		Version     string        `cel:"version"`
		Author      string        `cel:"author"`
		BuildURL    string        `cel:"buildUrl"`
		Digest      string        `cel:"digest"`
		Artifacts   []CELArtifact `cel:"artifacts"`
		CreatedAt   time.Time     `cel:"createdAt"`
	}
	CELArtifact struct {
		Name   string `cel:"name"`
		Tag    string `cel:"tag"`
		Digest string `cel:"digest"`
	}
	CELEnvironment struct {
		Name       string `cel:"name"`
		Production bool   `cel:"production"`
		Transition string `cel:"transition"`
	}
	CELResult struct {
		Name        string    `cel:"name"`
		Environment string    `cel:"environment"`
		Status      string    `cel:"status"`
		Passed      bool      `cel:"passed"`
		Digest      string    `cel:"digest"`
		RecordedAt  time.Time `cel:"recordedAt"`
		HasCounts   bool      `cel:"hasCounts"`
		Critical    int       `cel:"critical"`
		High        int       `cel:"high"`
		Medium      int       `cel:"medium"`
		Low         int       `cel:"low"`
		Unknown     int       `cel:"unknown"`
	}
	CELApproval struct {
		By      string    `cel:"by"`
		Comment string    `cel:"comment"`
		At      time.Time `cel:"at"`
	}
)

// celCostLimit bounds the work of one evaluation.
const celCostLimit = 1_000_000

var celEnv = sync.OnceValues(func() (*cel.Env, error) {
	obj := func(t any) *cel.Type { return cel.ObjectType("gates." + reflect.TypeOf(t).Name()) }
	return cel.NewEnv(
		ext.NativeTypes(reflect.TypeOf(CELCandidate{}), reflect.TypeOf(CELArtifact{}), reflect.TypeOf(CELEnvironment{}),
			reflect.TypeOf(CELResult{}), reflect.TypeOf(CELApproval{}), ext.ParseStructTags(true)),
		ext.Strings(),
		cel.Variable("candidate", obj(CELCandidate{})),
		cel.Variable("environment", obj(CELEnvironment{})),
		cel.Variable("results", cel.MapType(cel.StringType, obj(CELResult{}))),
		cel.Variable("environmentResults", cel.MapType(cel.StringType, cel.MapType(cel.StringType, obj(CELResult{})))),
		cel.Variable("approvals", cel.ListType(obj(CELApproval{}))),
		cel.Variable("now", cel.TimestampType),
	)
})

// compileCEL parses and type-checks an expression, which must be a bool. Problems name their
// line and column in the expression.
func compileCEL(expr string) (cel.Program, []string) {
	env, err := celEnv()
	if err != nil {
		return nil, []string{"the CEL environment: " + err.Error()}
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		var out []string
		for _, e := range iss.Errors() {
			msg := strings.TrimSuffix(e.Message, " (in container '')")
			out = append(out, fmt.Sprintf("CEL error at line %d, column %d: %s", e.Location.Line(), e.Location.Column()+1, msg))
		}
		return nil, out
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, []string{fmt.Sprintf("CEL error at line 1, column 1: the expression is a %s, and must be a bool", ast.OutputType())}
	}
	prg, err := env.Program(ast, cel.CostLimit(celCostLimit))
	if err != nil {
		return nil, []string{"CEL error: " + err.Error()}
	}
	return prg, nil
}

type celGate struct {
	expr    string
	message string
	prg     cel.Program
}

func (g celGate) Evaluate(e *Evaluation) GateResult {
	out, _, err := g.prg.Eval(celActivation(e))
	unblock := "whoever can make it true, or the policy's owners: " + g.expr
	if err != nil {
		return deny(unblock, "could not evaluate %s: %v", g.expr, err)
	}
	if ok, isBool := out.Value().(bool); isBool && ok {
		return allow("%s", orWord(g.message, g.expr)+" holds")
	}
	if g.message != "" {
		return deny(unblock, "%s (%s is false)", g.message, g.expr)
	}
	return deny(unblock, "%s is false", g.expr)
}

func celResult(f Fact) CELResult {
	r := CELResult{Name: f.Name, Environment: f.Environment, Status: string(f.Status), Passed: f.Status == Passed,
		Digest: f.Digest, RecordedAt: f.RecordedAt}
	if f.Counts != nil {
		r.HasCounts = true
		r.Critical, r.High, r.Medium, r.Low, r.Unknown = f.Counts.Critical, f.Counts.High, f.Counts.Medium, f.Counts.Low, f.Counts.Unknown
	}
	return r
}

func celActivation(e *Evaluation) map[string]any {
	c := e.Candidate
	cand := CELCandidate{Pacticipant: c.Pacticipant, Version: c.Version, Author: c.Author, BuildURL: c.BuildURL,
		Digest: e.Digest, CreatedAt: c.CreatedAt, Artifacts: []CELArtifact{}}
	for _, a := range c.Artifacts {
		cand.Artifacts = append(cand.Artifacts, CELArtifact{Name: a.Name, Tag: a.Tag, Digest: a.Digest})
	}
	env := CELEnvironment{Transition: string(e.Transition)}
	if e.Environment != nil {
		env.Name, env.Production = e.Environment.Name, e.Environment.Production
	}
	results := map[string]CELResult{}
	byEnv := map[string]map[string]CELResult{}
	for _, f := range e.Facts { // oldest first: the latest wins
		if f.Environment == "" {
			results[f.Name] = celResult(f)
			continue
		}
		if byEnv[f.Environment] == nil {
			byEnv[f.Environment] = map[string]CELResult{}
		}
		byEnv[f.Environment][f.Name] = celResult(f)
	}
	approvals := []CELApproval{}
	rejected := false
	for _, r := range e.Reviews {
		if r.Environment == e.Target && r.Decision == Reject {
			rejected = true
		}
	}
	for _, r := range e.Reviews {
		if !rejected && r.Environment == e.Target && r.Decision == Approve && r.Digest == e.Digest &&
			!(c.Author != "" && samePerson(r.By, c.Author)) {
			approvals = append(approvals, CELApproval{By: r.By, Comment: r.Comment, At: r.At})
		}
	}
	sort.SliceStable(approvals, func(i, j int) bool { return approvals[i].At.Before(approvals[j].At) })
	return map[string]any{"candidate": cand, "environment": env, "results": results, "environmentResults": byEnv,
		"approvals": approvals, "now": e.Now}
}
