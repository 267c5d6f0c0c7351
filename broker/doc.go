// Package broker holds Treaty's domain: pacticipants (the services), their versions, branches
// and tags, environments and what is deployed or released there, and the contracts between
// them. It is plain Go: storage lives in broker/store and HTTP in broker/api, and both speak to
// the rest of the program through the types and the Store interface declared here.
//
// A newcomer reads it top-down: pact.go (contract content and its identity), publish.go (what a
// publication is and when it is valid), version.go, environment.go and deploy.go (where
// versions run), and store.go (everything the broker can be asked to remember).
package broker
