// Package client is the Go client of the broker's HTTP API: the Pact Broker's HAL resources
// that Treaty serves (publishing contracts, pacticipants, versions, environments,
// deployments and releases, and the compatibility matrix that can-i-deploy asks).
//
// Entry points are the well-known paths of the Pact Broker API; from there the client follows
// the links the broker returns, as the Pact CLI does, so it talks to a Pact Broker as well as
// to Treaty. Every method takes a context. A broker that answers with an error status yields
// a *Error carrying the broker's messages and notices; a broker that cannot be reached yields
// an error naming its URL.
package client
