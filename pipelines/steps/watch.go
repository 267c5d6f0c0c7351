package steps

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/treaty-dev/treaty/pipelines"
	"github.com/treaty-dev/treaty/pipelines/monitor"
)

// Watcher watches a deployment with pipelines/monitor: the spec's query measured every
// interval for the window against Prometheus, in the manner of an Argo Rollouts analysis.
// A value above max (or below min) is a failed measurement, more than failure-limit of them
// fail the watch; no data counts as the spec's no-data says (inconclusive by default, never a
// silent pass); Prometheus not answering ends it inconclusive.
type Watcher struct {
	// Clock is the monitor's clock; nil for the real one.
	Clock monitor.Clock
}

// Analysis is the monitor's analysis for a watch spec.
func Analysis(spec pipelines.WatchSpec) monitor.Analysis {
	var fail []string
	if !math.IsNaN(spec.Max) {
		fail = append(fail, "result > "+strconv.FormatFloat(spec.Max, 'g', -1, 64))
	}
	if !math.IsNaN(spec.Min) {
		fail = append(fail, "result < "+strconv.FormatFloat(spec.Min, 'g', -1, 64))
	}
	return monitor.Analysis{Name: "watch", Query: spec.Query, FailureCondition: strings.Join(fail, " || "),
		Window: spec.Window, Interval: spec.Interval, FailureLimit: spec.FailureLimit,
		OnNoData: monitor.DataPolicy(spec.NoData), MinMeasurements: spec.MinSamples}
}

// Watch runs one watch to its verdict.
func (w Watcher) Watch(ctx context.Context, req pipelines.WatchRequest) (pipelines.WatchResult, error) {
	src, err := monitor.NewPrometheus(req.Spec.Prometheus, nil)
	if err != nil {
		return pipelines.WatchResult{}, err
	}
	m := &monitor.Monitor{Source: src, Clock: w.Clock, OnMeasurement: func(ms monitor.Measurement) {
		fmt.Fprintf(req.Out, "%s: %s\n", ms.Phase, ms.Message)
	}}
	res, err := m.Run(ctx, Analysis(req.Spec))
	if err != nil {
		return pipelines.WatchResult{}, err
	}
	verdict := pipelines.WatchInconclusive
	switch res.Outcome {
	case monitor.Passed:
		verdict = pipelines.WatchPassed
	case monitor.Failed:
		verdict = pipelines.WatchFailed
	}
	return pipelines.WatchResult{Verdict: verdict, Reason: res.Reason}, nil
}
