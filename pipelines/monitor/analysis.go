package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
)

// Outcome is how an analysis ended.
type Outcome string

// Outcomes.
const (
	Passed       Outcome = "passed"
	Failed       Outcome = "failed"
	Inconclusive Outcome = "inconclusive"
)

// Phase is how one measurement was judged.
type Phase string

// Measurement phases.
const (
	Successful Phase = "successful"
	Failure    Phase = "failed"
	// Undecided is a measurement neither condition settled, or one without enough data.
	Undecided Phase = "inconclusive"
	// Errored is a measurement that could not be taken: Prometheus unreachable, a bad query,
	// a condition that could not be evaluated.
	Errored Phase = "error"
	// Skipped is a measurement without data under OnNoData (or OnTooFewSamples) "retry": it
	// counts for nothing, and the next interval tries again.
	Skipped Phase = "skipped"
)

// DataPolicy says what a measurement without (enough) data counts as.
type DataPolicy string

// Data policies. The default is Inconclusive: no data is never a silent pass.
const (
	CountInconclusive DataPolicy = "inconclusive"
	CountFailed       DataPolicy = "fail"
	CountPassed       DataPolicy = "pass"
	Retry             DataPolicy = "retry"
)

// Defaults.
const (
	DefaultWindow                = 5 * time.Minute
	DefaultInterval              = 30 * time.Second
	DefaultConsecutiveErrorLimit = 4
	DefaultQueryTimeout          = 10 * time.Second
)

// Analysis is what to watch and how to judge it. The zero values of the limits are Argo
// Rollouts' defaults.
type Analysis struct {
	// Name names the analysis in reasons and logs ("error-rate").
	Name string
	// Query is measured every Interval: a PromQL instant query.
	Query string
	// SuccessCondition and FailureCondition are CEL expressions over result (the first
	// value, a double) and results (all values, list(double)), such as "result < 0.05" and
	// "result >= 0.05". ext.Math's math.isNaN and friends are available. With neither, any
	// value succeeds; with one, the other is its negation; a value that meets neither is
	// inconclusive.
	SuccessCondition, FailureCondition string

	// Window is how long to watch; default 5 minutes. Interval is the time between
	// measurements (default 30s), InitialDelay the time before the first (default 0).
	// Measurements are taken at InitialDelay, then every Interval, up to the window's end.
	Window, Interval, InitialDelay time.Duration

	// FailureLimit is how many failed measurements are tolerated: one more fails the
	// analysis at once. Default 0; -1 never fails on a count (only a person reads them).
	FailureLimit int
	// ConsecutiveFailures counts failures in a row (a success resets the count) rather than
	// in total.
	ConsecutiveFailures bool
	// InconclusiveLimit is how many inconclusive measurements are tolerated; one more ends
	// the analysis Inconclusive. Default 0.
	InconclusiveLimit int
	// ConsecutiveErrorLimit is how many errored measurements in a row are tolerated; one more
	// ends the analysis Inconclusive. 0 means the default, 4; a negative value tolerates
	// none.
	ConsecutiveErrorLimit int
	// MinMeasurements is how many successful measurements a pass needs by the window's end;
	// default 1. Fewer (all skipped, say) is Inconclusive.
	MinMeasurements int

	// OnNoData is what a query result without values (or with only NaN values, such as 0/0
	// on no traffic) counts as; default CountInconclusive.
	OnNoData DataPolicy
	// MinSamples, when set, is a traffic floor: its query (the request count in the
	// measured range, say) must reach Min, or the measurement counts as OnTooFewSamples
	// says (default CountInconclusive), whatever the main query says.
	MinSamples *SampleFloor
	// OnTooFewSamples is what a measurement under the MinSamples floor counts as.
	OnTooFewSamples DataPolicy

	// QueryTimeout bounds each query; default 10s, and never more than the interval.
	QueryTimeout time.Duration
}

// SampleFloor is a minimum amount of data for a measurement to count.
type SampleFloor struct {
	Query string
	Min   float64
}

// Measurement is one evaluation of the query.
type Measurement struct {
	At    time.Time `json:"at"`
	Phase Phase     `json:"phase"`
	// Value is the first value (nil when there was none); Values all of them.
	Value  *float64  `json:"value,omitempty"`
	Values []float64 `json:"values,omitempty"`
	// Samples is the MinSamples query's value, when there is a floor.
	Samples  *float64 `json:"samples,omitempty"`
	Message  string   `json:"message"`
	Warnings []string `json:"warnings,omitempty"`
}

// Result is an analysis's outcome and its evidence.
type Result struct {
	Name         string        `json:"name"`
	Outcome      Outcome       `json:"outcome"`
	Reason       string        `json:"reason"`
	Started      time.Time     `json:"started"`
	Finished     time.Time     `json:"finished"`
	Measurements []Measurement `json:"measurements"`
	// Counts by phase.
	Successful   int `json:"successful"`
	Failed       int `json:"failed"`
	Inconclusive int `json:"inconclusive"`
	Errored      int `json:"errored"`
	Skipped      int `json:"skipped"`
}

// Source measures a query at a time.
type Source interface {
	Query(ctx context.Context, query string, at time.Time) (Sample, error)
}

// Sample is a query's values.
type Sample struct {
	Values   []float64
	Warnings []string
}

// Clock tells the time and waits: the real one, or a test's that runs a window instantly.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Monitor runs analyses against a source.
type Monitor struct {
	Source Source
	// Clock defaults to the real one.
	Clock Clock
	// OnMeasurement, when set, sees each measurement as it is taken: live progress, facts.
	OnMeasurement func(Measurement)
	Logger        *slog.Logger
}

func (a Analysis) withDefaults() Analysis {
	if a.Name == "" {
		a.Name = "analysis"
	}
	if a.Window == 0 {
		a.Window = DefaultWindow
	}
	if a.Interval == 0 {
		a.Interval = DefaultInterval
	}
	if a.ConsecutiveErrorLimit == 0 {
		a.ConsecutiveErrorLimit = DefaultConsecutiveErrorLimit
	} else if a.ConsecutiveErrorLimit < 0 {
		a.ConsecutiveErrorLimit = 0
	}
	if a.MinMeasurements == 0 {
		a.MinMeasurements = 1
	}
	if a.OnNoData == "" {
		a.OnNoData = CountInconclusive
	}
	if a.OnTooFewSamples == "" {
		a.OnTooFewSamples = CountInconclusive
	}
	if a.QueryTimeout == 0 {
		a.QueryTimeout = DefaultQueryTimeout
	}
	a.QueryTimeout = min(a.QueryTimeout, a.Interval)
	return a
}

// Validate checks an analysis, conditions compiled, before anything is watched.
func (a Analysis) Validate() error {
	_, err := a.compile()
	return err
}

type compiled struct {
	Analysis
	success, failure *condition
}

func (a Analysis) compile() (*compiled, error) {
	a = a.withDefaults()
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(a.Query) == "" {
		add("query: required")
	}
	if a.Window < 0 || a.Interval < 0 || a.InitialDelay < 0 || a.QueryTimeout < 0 {
		add("window, interval, initialDelay and queryTimeout must not be negative")
	}
	if a.InitialDelay > a.Window {
		add("initialDelay %v: longer than the window %v, so nothing would be measured", a.InitialDelay, a.Window)
	}
	if a.FailureLimit < -1 || a.InconclusiveLimit < 0 || a.MinMeasurements < 0 {
		add("failureLimit must be -1 or more, inconclusiveLimit and minMeasurements 0 or more")
	}
	for field, p := range map[string]DataPolicy{"onNoData": a.OnNoData, "onTooFewSamples": a.OnTooFewSamples} {
		switch p {
		case CountInconclusive, CountFailed, CountPassed, Retry:
		default:
			add("%s %q: want %s, %s, %s or %s", field, p, CountInconclusive, CountFailed, CountPassed, Retry)
		}
	}
	if a.MinSamples != nil && strings.TrimSpace(a.MinSamples.Query) == "" {
		add("minSamples.query: required with a floor")
	}
	c := &compiled{Analysis: a}
	var err error
	if a.SuccessCondition != "" {
		if c.success, err = compileCondition(a.SuccessCondition); err != nil {
			add("successCondition: %v", err)
		}
	}
	if a.FailureCondition != "" {
		if c.failure, err = compileCondition(a.FailureCondition); err != nil {
			add("failureCondition: %v", err)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("analysis %s: %s", a.Name, strings.Join(problems, "; "))
	}
	return c, nil
}

// Run watches for the analysis's window and returns its outcome. It returns an error only
// for an invalid analysis, or when ctx ends first (with the measurements so far).
func (m *Monitor) Run(ctx context.Context, a Analysis) (Result, error) {
	c, err := a.compile()
	if err != nil {
		return Result{Name: a.Name, Outcome: Inconclusive, Reason: err.Error()}, err
	}
	clock := m.Clock
	if clock == nil {
		clock = realClock{}
	}
	log := m.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a = c.Analysis
	res := Result{Name: a.Name, Started: clock.Now()}
	end := res.Started.Add(a.Window)
	next := res.Started.Add(a.InitialDelay)
	var failuresInARow, errorsInARow int
	finish := func(o Outcome, format string, args ...any) (Result, error) {
		res.Outcome, res.Reason, res.Finished = o, fmt.Sprintf(format, args...), clock.Now()
		log.Info("analysis finished", "analysis", a.Name, "outcome", o, "reason", res.Reason)
		return res, nil
	}
	for !next.After(end) {
		if wait := next.Sub(clock.Now()); wait > 0 {
			select {
			case <-ctx.Done():
				res.Outcome, res.Finished = Inconclusive, clock.Now()
				res.Reason = fmt.Sprintf("stopped after %d measurements: %v", len(res.Measurements), ctx.Err())
				return res, ctx.Err()
			case <-clock.After(wait):
			}
		}
		meas := m.measure(ctx, c, clock.Now())
		res.Measurements = append(res.Measurements, meas)
		log.Info("measurement", "analysis", a.Name, "phase", meas.Phase, "value", meas.Value, "message", meas.Message)
		if m.OnMeasurement != nil {
			m.OnMeasurement(meas)
		}
		if ctx.Err() != nil {
			res.Outcome, res.Finished = Inconclusive, clock.Now()
			res.Reason = fmt.Sprintf("stopped after %d measurements: %v", len(res.Measurements), ctx.Err())
			return res, ctx.Err()
		}
		switch meas.Phase {
		case Successful:
			res.Successful++
			failuresInARow, errorsInARow = 0, 0
		case Failure:
			res.Failed++
			failuresInARow++
			errorsInARow = 0
		case Undecided:
			res.Inconclusive++
			errorsInARow = 0
		case Errored:
			res.Errored++
			errorsInARow++
		case Skipped:
			res.Skipped++
		}
		failures := res.Failed
		if a.ConsecutiveFailures {
			failures = failuresInARow
		}
		switch {
		case a.FailureLimit >= 0 && failures > a.FailureLimit:
			return finish(Failed, "%s failed: %s (%s)", a.Name, m.countFailures(a, failures), meas.Message)
		case res.Inconclusive > a.InconclusiveLimit:
			return finish(Inconclusive, "%s inconclusive: %d inconclusive measurements, %d tolerated (%s)",
				a.Name, res.Inconclusive, a.InconclusiveLimit, meas.Message)
		case errorsInARow > a.ConsecutiveErrorLimit:
			return finish(Inconclusive, "%s inconclusive: %d measurements in a row could not be taken (%s)",
				a.Name, errorsInARow, meas.Message)
		}
		next = next.Add(a.Interval)
	}
	if res.Successful < a.MinMeasurements {
		return finish(Inconclusive, "%s inconclusive: %d successful measurements in %v, %d needed (%d failed, %d inconclusive, %d errors, %d without data)",
			a.Name, res.Successful, a.Window, a.MinMeasurements, res.Failed, res.Inconclusive, res.Errored, res.Skipped)
	}
	return finish(Passed, "%s passed: %d of %d measurements successful over %v", a.Name, res.Successful, len(res.Measurements), a.Window)
}

func (m *Monitor) countFailures(a Analysis, n int) string {
	if a.ConsecutiveFailures {
		return fmt.Sprintf("%d failed measurements in a row, %d tolerated", n, a.FailureLimit)
	}
	return fmt.Sprintf("%d failed measurements, %d tolerated", n, a.FailureLimit)
}

// measure takes and judges one measurement.
func (m *Monitor) measure(ctx context.Context, c *compiled, at time.Time) Measurement {
	meas := Measurement{At: at}
	query := func(q string) (Sample, error) {
		qctx, cancel := context.WithTimeout(ctx, c.QueryTimeout)
		defer cancel()
		s, err := m.Source.Query(qctx, q, at)
		if err != nil && errors.Is(qctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("no answer within %v: %w", c.QueryTimeout, err)
		}
		return s, err
	}
	if c.MinSamples != nil {
		s, err := query(c.MinSamples.Query)
		meas.Warnings = append(meas.Warnings, s.Warnings...)
		if err != nil {
			meas.Phase, meas.Message = Errored, "sample count: "+err.Error()
			return meas
		}
		n, ok := first(s.Values)
		if ok {
			meas.Samples = &n
		}
		if !ok || n < c.MinSamples.Min {
			got := "no data"
			if ok {
				got = formatFloat(n)
			}
			return judgeMissing(meas, c.OnTooFewSamples, fmt.Sprintf("too few samples: %s, %s needed", got, formatFloat(c.MinSamples.Min)))
		}
	}
	s, err := query(c.Query)
	meas.Warnings = append(meas.Warnings, s.Warnings...)
	if err != nil {
		meas.Phase, meas.Message = Errored, err.Error()
		return meas
	}
	meas.Values = finite(s.Values)
	v, ok := first(s.Values)
	if !ok {
		return judgeMissing(meas, c.OnNoData, "no data: the query returned no values")
	}
	if !math.IsInf(v, 0) {
		meas.Value = &v
	}
	phase, msg, err := c.judge(v, s.Values)
	if err != nil {
		meas.Phase, meas.Message = Errored, err.Error()
		return meas
	}
	meas.Phase, meas.Message = phase, msg
	return meas
}

// judgeMissing applies a data policy to a measurement that has no (or too little) data.
func judgeMissing(meas Measurement, p DataPolicy, what string) Measurement {
	switch p {
	case CountFailed:
		meas.Phase, meas.Message = Failure, what+" (counted as failed)"
	case CountPassed:
		meas.Phase, meas.Message = Successful, what+" (counted as passed, as configured)"
	case Retry:
		meas.Phase, meas.Message = Skipped, what+" (not counted; measured again next interval)"
	default:
		meas.Phase, meas.Message = Undecided, what
	}
	return meas
}

// judge applies the conditions as Argo Rollouts does.
func (c *compiled) judge(v float64, values []float64) (Phase, string, error) {
	val := formatFloat(v)
	switch {
	case c.success == nil && c.failure == nil:
		return Successful, "result " + val, nil
	case c.failure == nil:
		ok, err := c.success.eval(v, values)
		if err != nil {
			return "", "", err
		}
		if ok {
			return Successful, fmt.Sprintf("result %s: %s", val, c.SuccessCondition), nil
		}
		return Failure, fmt.Sprintf("result %s: not %s", val, c.SuccessCondition), nil
	case c.success == nil:
		bad, err := c.failure.eval(v, values)
		if err != nil {
			return "", "", err
		}
		if bad {
			return Failure, fmt.Sprintf("result %s: %s", val, c.FailureCondition), nil
		}
		return Successful, fmt.Sprintf("result %s: not %s", val, c.FailureCondition), nil
	}
	bad, err := c.failure.eval(v, values)
	if err != nil {
		return "", "", err
	}
	if bad {
		return Failure, fmt.Sprintf("result %s: %s", val, c.FailureCondition), nil
	}
	ok, err := c.success.eval(v, values)
	if err != nil {
		return "", "", err
	}
	if ok {
		return Successful, fmt.Sprintf("result %s: %s", val, c.SuccessCondition), nil
	}
	return Undecided, fmt.Sprintf("result %s: neither %s nor %s", val, c.SuccessCondition, c.FailureCondition), nil
}

// first is the first value that is a number.
func first(values []float64) (float64, bool) {
	for _, v := range values {
		if !math.IsNaN(v) {
			return v, true
		}
	}
	return 0, false
}

// finite drops NaN, which JSON cannot carry.
func finite(values []float64) []float64 {
	var out []float64
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	return out
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
