package monitor_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/treaty-dev/treaty/pipelines/deploy"
	"github.com/treaty-dev/treaty/pipelines/monitor"
)

var t0 = time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)

// stepClock runs a window instantly: waiting moves its time forward by the wait.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// step is one scripted answer: values, or an error.
type step struct {
	values []float64
	err    error
}

func v(values ...float64) step { return step{values: values} }

var (
	noData  = step{}
	nan     = v(math.NaN())
	refused = step{err: errors.New("dial tcp 127.0.0.1:9: connect: connection refused")}
)

// scripted answers each query with its next step; the last step repeats.
type scripted struct {
	mu    sync.Mutex
	steps map[string][]step
	calls map[string][]time.Time
}

func script(query string, steps ...step) *scripted {
	return &scripted{steps: map[string][]step{query: steps}, calls: map[string][]time.Time{}}
}

func (s *scripted) and(query string, steps ...step) *scripted {
	s.steps[query] = steps
	return s
}

func (s *scripted) Query(ctx context.Context, query string, at time.Time) (monitor.Sample, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	steps, ok := s.steps[query]
	if !ok {
		return monitor.Sample{}, errors.New("unexpected query " + query)
	}
	s.calls[query] = append(s.calls[query], at)
	n := min(len(s.calls[query]), len(steps)) - 1
	st := steps[n]
	return monitor.Sample{Values: st.values}, st.err
}

const errorRate = "error_rate"

func errorRateAnalysis(modify ...func(*monitor.Analysis)) monitor.Analysis {
	a := monitor.Analysis{
		Name:             "error-rate",
		Query:            errorRate,
		SuccessCondition: "result < 0.05",
		FailureCondition: "result >= 0.05",
	}
	for _, m := range modify {
		m(&a)
	}
	return a
}

func TestAnalysis(t *testing.T) {
	for _, tc := range []struct {
		name     string
		analysis monitor.Analysis
		source   *scripted
		outcome  monitor.Outcome
		measured int // measurements taken
		elapsed  time.Duration
		reason   string // part of the reason
		phases   string // the measurements' phases, initials: s f i e k
	}{
		{
			name: "healthy for the whole window", analysis: errorRateAnalysis(),
			source:  script(errorRate, v(0.01)),
			outcome: monitor.Passed, measured: 11, elapsed: 5 * time.Minute, phases: "sssssssssss",
			reason: "error-rate passed: 11 of 11 measurements successful over 5m0s",
		},
		{
			name: "one failure fails at once by default", analysis: errorRateAnalysis(),
			source:  script(errorRate, v(0.01), v(0.02), v(0.5)),
			outcome: monitor.Failed, measured: 3, elapsed: time.Minute, phases: "ssf",
			reason: "error-rate failed: 1 failed measurements, 0 tolerated (result 0.5: result >= 0.05)",
		},
		{
			name:     "failure limit counts the total",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.FailureLimit = 1 }),
			source:   script(errorRate, v(0.01), v(0.5), v(0.01), v(0.01), v(0.3), v(0.01)),
			outcome:  monitor.Failed, measured: 5, phases: "sfssf", reason: "2 failed measurements, 1 tolerated",
		},
		{
			name:     "consecutive failures reset on a success",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.FailureLimit = 1; a.ConsecutiveFailures = true }),
			source:   script(errorRate, v(0.01), v(0.5), v(0.01), v(0.01), v(0.3), v(0.01)),
			outcome:  monitor.Passed, measured: 11, phases: "sfssfssssss",
		},
		{
			name:     "consecutive failures fail",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.FailureLimit = 1; a.ConsecutiveFailures = true }),
			source:   script(errorRate, v(0.01), v(0.5), v(0.01), v(0.5), v(0.3)),
			outcome:  monitor.Failed, measured: 5, phases: "sfsff", reason: "2 failed measurements in a row, 1 tolerated",
		},
		{
			name:     "failure limit -1 never fails on a count",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.FailureLimit = -1 }),
			source:   script(errorRate, v(0.5), v(0.01)),
			outcome:  monitor.Passed, measured: 11, phases: "fssssssssss",
		},
		{
			name: "no data is inconclusive, never a pass", analysis: errorRateAnalysis(),
			source:  script(errorRate, noData),
			outcome: monitor.Inconclusive, measured: 1, phases: "i",
			reason: "error-rate inconclusive: 1 inconclusive measurements, 0 tolerated (no data: the query returned no values)",
		},
		{
			name: "NaN (0/0, no traffic) is no data", analysis: errorRateAnalysis(),
			source:  script(errorRate, nan),
			outcome: monitor.Inconclusive, measured: 1, phases: "i", reason: "no data",
		},
		{
			name:     "no data may be retried",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.OnNoData = monitor.Retry }),
			source:   script(errorRate, noData, nan, v(0.01)),
			outcome:  monitor.Passed, measured: 11, phases: "kksssssssss", reason: "9 of 11 measurements successful",
		},
		{
			name:     "no data all the window long is inconclusive even when retried",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.OnNoData = monitor.Retry }),
			source:   script(errorRate, noData),
			outcome:  monitor.Inconclusive, measured: 11, phases: "kkkkkkkkkkk",
			reason: "error-rate inconclusive: 0 successful measurements in 5m0s, 1 needed (0 failed, 0 inconclusive, 0 errors, 11 without data)",
		},
		{
			name:     "no data may fail",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.OnNoData = monitor.CountFailed }),
			source:   script(errorRate, v(0.01), noData),
			outcome:  monitor.Failed, measured: 2, phases: "sf", reason: "no data: the query returned no values (counted as failed)",
		},
		{
			name:     "no data passes only when told to, and says so",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.OnNoData = monitor.CountPassed; a.Window = time.Minute }),
			source:   script(errorRate, noData),
			outcome:  monitor.Passed, measured: 3, phases: "sss",
		},
		{
			name: "errors in a row end it inconclusive", analysis: errorRateAnalysis(),
			source:  script(errorRate, v(0.01), refused),
			outcome: monitor.Inconclusive, measured: 6, phases: "seeeee",
			reason: "error-rate inconclusive: 5 measurements in a row could not be taken (dial tcp 127.0.0.1:9: connect: connection refused)",
		},
		{
			name: "errors between successes are tolerated", analysis: errorRateAnalysis(),
			source:  script(errorRate, refused, refused, v(0.01), refused, refused, refused, refused, v(0.01)),
			outcome: monitor.Passed, measured: 11, phases: "eeseeeessss",
		},
		{
			name:     "no error tolerated",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.ConsecutiveErrorLimit = -1 }),
			source:   script(errorRate, refused),
			outcome:  monitor.Inconclusive, measured: 1, phases: "e",
		},
		{
			name: "too few samples are inconclusive, whatever the rate",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) {
				a.MinSamples = &monitor.SampleFloor{Query: "requests", Min: 100}
			}),
			source:  script(errorRate, v(0.5)).and("requests", v(20)),
			outcome: monitor.Inconclusive, measured: 1, phases: "i", reason: "too few samples: 20, 100 needed",
		},
		{
			name: "too few samples may be retried until traffic comes",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) {
				a.MinSamples = &monitor.SampleFloor{Query: "requests", Min: 100}
				a.OnTooFewSamples = monitor.Retry
			}),
			source:  script(errorRate, v(0.5)).and("requests", noData, v(20), v(150)),
			outcome: monitor.Failed, measured: 3, phases: "kkf",
		},
		{
			name:     "a value between the conditions is inconclusive",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.SuccessCondition = "result < 0.01"; a.InconclusiveLimit = 1 }),
			source:   script(errorRate, v(0.001), v(0.03), v(0.001), v(0.02)),
			outcome:  monitor.Inconclusive, measured: 4, phases: "sisi",
			reason: "result 0.02: neither result < 0.01 nor result >= 0.05",
		},
		{
			name:     "only a success condition",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.FailureCondition = "" }),
			source:   script(errorRate, v(0.01), v(0.07)),
			outcome:  monitor.Failed, measured: 2, phases: "sf", reason: "result 0.07: not result < 0.05",
		},
		{
			name:     "only a failure condition",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.SuccessCondition = "" }),
			source:   script(errorRate, v(0.04), v(0.07)),
			outcome:  monitor.Failed, measured: 2, phases: "sf", reason: "result 0.07: result >= 0.05",
		},
		{
			name:     "no condition: any value succeeds",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.SuccessCondition, a.FailureCondition = "", "" }),
			source:   script(errorRate, v(42)),
			outcome:  monitor.Passed, measured: 11,
		},
		{
			name: "conditions over every series",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) {
				a.SuccessCondition = "results.all(r, r < 0.05)"
				a.FailureCondition = "results.exists(r, r >= 0.05) || math.isNaN(result)"
				a.Window = time.Minute
			}),
			source:  script(errorRate, v(0.01, 0.02), v(0.01, 0.09)),
			outcome: monitor.Failed, measured: 2, phases: "sf",
		},
		{
			name:     "a condition that cannot be evaluated is an error, not a pass",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) { a.SuccessCondition = "results[3] < 0.05"; a.FailureCondition = "" }),
			source:   script(errorRate, v(0.01)),
			outcome:  monitor.Inconclusive, measured: 5, phases: "eeeee", reason: "index",
		},
		{
			name: "initial delay, interval and window",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) {
				a.Window, a.Interval, a.InitialDelay = time.Minute, 20*time.Second, 15*time.Second
			}),
			source:  script(errorRate, v(0.01)),
			outcome: monitor.Passed, measured: 3, elapsed: 55 * time.Second, phases: "sss",
		},
		{
			name: "min measurements",
			analysis: errorRateAnalysis(func(a *monitor.Analysis) {
				a.MinMeasurements = 5
				a.OnNoData = monitor.Retry
				a.Window = 2 * time.Minute
			}),
			source:  script(errorRate, noData, noData, v(0.01)),
			outcome: monitor.Inconclusive, measured: 5, phases: "kksss", reason: "3 successful measurements in 2m0s, 5 needed",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &stepClock{now: t0}
			var seen []monitor.Measurement
			m := &monitor.Monitor{Source: tc.source, Clock: clock, OnMeasurement: func(x monitor.Measurement) { seen = append(seen, x) }}
			res, err := m.Run(context.Background(), tc.analysis)
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.outcome || len(res.Measurements) != tc.measured {
				t.Errorf("outcome %s after %d measurements (%s), want %s after %d", res.Outcome, len(res.Measurements), res.Reason, tc.outcome, tc.measured)
			}
			if !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", res.Reason, tc.reason)
			}
			if tc.phases != "" {
				var got strings.Builder
				for _, x := range res.Measurements {
					got.WriteByte(map[monitor.Phase]byte{monitor.Successful: 's', monitor.Failure: 'f', monitor.Undecided: 'i', monitor.Errored: 'e', monitor.Skipped: 'k'}[x.Phase])
				}
				if got.String() != tc.phases {
					t.Errorf("phases %s, want %s", got.String(), tc.phases)
				}
			}
			if tc.elapsed != 0 && res.Finished.Sub(res.Started) != tc.elapsed {
				t.Errorf("took %v of the clock, want %v", res.Finished.Sub(res.Started), tc.elapsed)
			}
			if len(seen) != len(res.Measurements) {
				t.Errorf("OnMeasurement saw %d measurements of %d", len(seen), len(res.Measurements))
			}
			// Measurements are evidence: they must travel as JSON, NaN and all.
			if _, err := json.Marshal(res); err != nil {
				t.Errorf("result does not marshal: %v", err)
			}
		})
	}
}

func TestAnalysisMeasuresOnSchedule(t *testing.T) {
	clock := &stepClock{now: t0}
	src := script(errorRate, v(0.01))
	a := errorRateAnalysis(func(a *monitor.Analysis) {
		a.Window, a.Interval, a.InitialDelay = time.Minute, 20*time.Second, 15*time.Second
	})
	if _, err := (&monitor.Monitor{Source: src, Clock: clock}).Run(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{t0.Add(15 * time.Second), t0.Add(35 * time.Second), t0.Add(55 * time.Second)}
	got := src.calls[errorRate]
	if len(got) != len(want) {
		t.Fatalf("queried at %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("query %d at %v, want %v", i, got[i], want[i])
		}
	}
}

func TestAnalysisValidate(t *testing.T) {
	for _, tc := range []struct {
		modify func(*monitor.Analysis)
		want   string
	}{
		{func(a *monitor.Analysis) { a.Query = " " }, "query: required"},
		{func(a *monitor.Analysis) { a.SuccessCondition = "result <" }, "successCondition"},
		{func(a *monitor.Analysis) { a.FailureCondition = "result + 1.0" }, "want a condition (a bool)"},
		{func(a *monitor.Analysis) { a.FailureCondition = "rate > 1" }, "undeclared reference to 'rate'"},
		{func(a *monitor.Analysis) { a.OnNoData = "ignore" }, `onNoData "ignore"`},
		{func(a *monitor.Analysis) { a.InitialDelay = time.Hour }, "longer than the window"},
		{func(a *monitor.Analysis) { a.MinSamples = &monitor.SampleFloor{Min: 10} }, "minSamples.query"},
		{func(a *monitor.Analysis) { a.FailureLimit = -2 }, "failureLimit"},
	} {
		a := errorRateAnalysis(tc.modify)
		err := a.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate: %v, want it to mention %q", err, tc.want)
		}
		// Run refuses it too, before measuring anything.
		src := script(errorRate, v(0.01))
		if _, err := (&monitor.Monitor{Source: src, Clock: &stepClock{now: t0}}).Run(context.Background(), a); err == nil || len(src.calls[errorRate]) != 0 {
			t.Errorf("Run of an invalid analysis: %v after %d queries", err, len(src.calls[errorRate]))
		}
	}
	if err := errorRateAnalysis().Validate(); err != nil {
		t.Errorf("a good analysis: %v", err)
	}
	if err := errorRateAnalysis(func(a *monitor.Analysis) { a.SuccessCondition = "result < 1" }).Validate(); err != nil {
		t.Errorf("comparing a double with an integer: %v", err)
	}
}

// blockedClock never fires: a watch waiting on it ends only with its context.
type blockedClock struct{}

func (blockedClock) Now() time.Time                       { return t0 }
func (blockedClock) After(time.Duration) <-chan time.Time { return nil }

func TestAnalysisStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m := &monitor.Monitor{Source: script(errorRate, v(0.01)), Clock: blockedClock{},
		OnMeasurement: func(monitor.Measurement) { cancel() }}
	res, err := m.Run(ctx, errorRateAnalysis())
	if !errors.Is(err, context.Canceled) || res.Outcome != monitor.Inconclusive || len(res.Measurements) != 1 {
		t.Errorf("cancelled watch: %s after %d measurements, %v", res.Outcome, len(res.Measurements), err)
	}
}

// recorder is a deployer that records rollbacks.
type recorder struct {
	rollbacks []string
	err       error
}

func (r *recorder) Plan(context.Context, deploy.Request) (deploy.Plan, error) {
	return deploy.Plan{}, nil
}
func (r *recorder) Apply(context.Context, deploy.Plan) (deploy.Deployment, error) {
	return deploy.Deployment{}, nil
}
func (r *recorder) Status(context.Context, deploy.Deployment) (deploy.Status, error) {
	return deploy.Status{}, nil
}
func (r *recorder) Rollback(_ context.Context, d deploy.Deployment, reason string) (deploy.Deployment, error) {
	r.rollbacks = append(r.rollbacks, reason)
	back := d.Request
	back.Version = d.Previous
	return deploy.Deployment{Request: back, Ref: "rollback"}, r.err
}

func TestGuard(t *testing.T) {
	d := deploy.Deployment{Request: deploy.Request{Service: "payment-service", Environment: "production", Version: "a3f9c21"}, Previous: "0b1c2d3"}
	for _, tc := range []struct {
		name       string
		source     *scripted
		rollBackOn []monitor.Outcome
		rollbackTo string
	}{
		{"failed rolls back", script(errorRate, v(0.01), v(0.5)), nil, "0b1c2d3"},
		{"passed stays", script(errorRate, v(0.01)), nil, ""},
		{"inconclusive waits for a person", script(errorRate, noData), nil, ""},
		{"inconclusive rolls back when told to", script(errorRate, noData), []monitor.Outcome{monitor.Failed, monitor.Inconclusive}, "0b1c2d3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			g := &monitor.Guard{Monitor: &monitor.Monitor{Source: tc.source, Clock: &stepClock{now: t0}}, Deployer: rec, RollBackOn: tc.rollBackOn}
			verdict, err := g.Watch(context.Background(), d, errorRateAnalysis())
			if err != nil {
				t.Fatal(err)
			}
			if tc.rollbackTo == "" {
				if verdict.Rollback != nil || len(rec.rollbacks) != 0 {
					t.Errorf("rolled back after %s", verdict.Result.Outcome)
				}
				return
			}
			if verdict.Rollback == nil || verdict.Rollback.Request.Version != tc.rollbackTo || len(rec.rollbacks) != 1 {
				t.Fatalf("verdict %+v, rollbacks %q", verdict, rec.rollbacks)
			}
			if !strings.HasPrefix(rec.rollbacks[0], "payment-service a3f9c21 in production: error-rate ") {
				t.Errorf("rollback reason %q", rec.rollbacks[0])
			}
		})
	}
	rec := &recorder{err: errors.New("push refused")}
	g := &monitor.Guard{Monitor: &monitor.Monitor{Source: script(errorRate, v(0.5)), Clock: &stepClock{now: t0}}, Deployer: rec}
	verdict, err := g.Watch(context.Background(), d, errorRateAnalysis())
	if err == nil || !strings.Contains(err.Error(), "the rollback failed: push refused") || verdict.Result.Outcome != monitor.Failed {
		t.Errorf("failed rollback: %v (%s)", err, verdict.Result.Outcome)
	}
}
