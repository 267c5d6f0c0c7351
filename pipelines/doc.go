// Package pipelines runs each service's own pipeline, stage by stage (build, test, publish,
// staging, production), asks the gate engine before every transition, and performs the
// deployment itself through a deployer: a GitOps commit, local processes, or a command.
//
// The spec (treaty.yaml) and the runner live here; the named steps are registered in a
// registry; deployers live in pipelines/deploy, and the watch-and-roll-back monitor in
// pipelines/monitor.
package pipelines
