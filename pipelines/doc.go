// Package pipelines runs each service's own pipeline, stage by stage (build, test, publish,
// staging, production), asks the gate engine before every transition, and performs the
// deployment itself through a deployer: a GitOps commit, local processes, or a command.
//
// Read it in this order: spec.go (treaty.yaml: stages of steps, path filters, variables,
// timeouts and retries, the deploy and watch sections, checked whole before anything runs,
// every problem reported as FILE:LINE: FIELD: MESSAGE), vars.go (${commit}, ${short_commit},
// ${service}, ${environment}, … and ${env.NAME}), registry.go (the registry of named steps
// and deployers, and what a step is given), runner.go (one run: gate checks, steps with
// timeouts and retries, every result recorded as a fact against the candidate, the deploy
// under a lease per service and environment, the watch, the rollback), record.go (the runs
// and steps the broker keeps, and the deploy locks), notify.go (webhooks and Slack-compatible
// messages when a run stops, fails or rolls back) and paths.go (what changed, and whose it is).
//
// A treaty.yaml, in short:
//
//	service: payment-service                 # the pacticipant
//	paths:                                   # doublestar globs from the repository's root
//	  include: [services/payment/**, go.mod]
//	  exclude: ["**/*.md"]
//	variables:
//	  registry: 127.0.0.1:5000
//	defaults: {timeout: 10m, retries: 0}
//	deploy:                                  # for staging and production, unless they say
//	  deployer: gitops
//	  with: {repo: ../config.git, file: envs/${environment}/kustomization.yaml}
//	notify: {webhooks: [https://hooks.example/treaty], slack: [https://hooks.slack.example/T/B/X]}
//	stages:
//	  build:   {steps: [{uses: image-build}]}
//	  test:
//	    steps:
//	      - name: unit-tests
//	        run: go test ./...               # a command; its result is the fact unit-tests
//	        timeout: 5m
//	        retries: 2
//	      - uses: security-scan
//	        with: {scanner: govulncheck}
//	  publish: {steps: [{uses: image-push, with: {registry: "${registry}"}}]}
//	  staging: {steps: [{uses: smoke-test, run: ./smoke.sh ${environment}}]}
//	  production:
//	    watch: {prometheus: http://prometheus:9090, query: …, window: 5m, interval: 30s, max: 0.05}
//
// The steps themselves (pipelines/steps), the deployers (pipelines/deploy), the images
// (pipelines/image) and the exports to other CI engines (pipelines/export) live beside it.
package pipelines
