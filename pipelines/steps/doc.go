// Package steps holds the pipeline steps Treaty ships, registered by name: command,
// image-build and image-push (pipelines/image), contract-test, verify (the verifier),
// security-scan (counted with the gates' scan parser), smoke-test, e2e-test and
// can-i-deploy; the deployers (pipelines/deploy) and the watch (pipelines/monitor) the runner
// drives; and Broker, the runner's view of the broker through its HTTP client.
package steps
