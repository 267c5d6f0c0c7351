// Package monitor watches a deployment for a window of time and decides whether to keep it:
// analysis in the style of Argo Rollouts. A query (PromQL, through client_golang's API
// client) is measured every interval; each measurement is judged by success and failure
// conditions (CEL over result, the first value, and results, all of them); limits on
// failed, inconclusive and errored measurements end the watch early; and the window's end
// passes what was not stopped. The outcome is Passed, Failed or Inconclusive, with every
// measurement as evidence.
//
// What Argo and Flagger users keep tripping over is decided here, never silently passed: a
// query with no data is Inconclusive unless the analysis says otherwise (OnNoData), a
// measurement taken on too little traffic (MinSamples) is Inconclusive, and an unreachable
// Prometheus gives errors, which end as Inconclusive — not Passed.
//
// Guard ties a watch to a deployer: a Failed outcome rolls the deployment back through the
// same deployer that applied it, with the analysis's reason.
package monitor
