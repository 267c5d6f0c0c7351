// Package httpsvc is the little plumbing the example services share: a router that counts
// requests for Prometheus and turns handler errors into JSON, the Pact provider-state request,
// flag defaults from the environment, and a server that prints where it listens and shuts down
// cleanly. It exists so that each service's own code is only its API.
package httpsvc
