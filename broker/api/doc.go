// Package api is the broker's HTTP face: the Pact Broker HAL API that the official Pact
// clients speak, served by gin. Handlers decode and render; the broker.Store does the work;
// errors are mapped to status codes in one place (errors.go).
package api
