// Package verifier checks a running provider against its consumers' pacts, inside the
// provider's own pipeline: it fetches the pacts the broker says to verify (or takes pact files
// and URLs), replays every interaction against the provider with the Pact engine
// (libpact_ffi, the engine of pact-go and of the official pact CLI), and publishes the
// results. It is the only package that links the Pact engine.
//
// Verify serves the `treaty verify` command and reports per interaction; VerifyProvider is the
// Go API for provider tests, built on pact-go's provider verifier so Go state handlers work.
package verifier
