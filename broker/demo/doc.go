// Package demo loads the seed's story into an empty broker, so that a newcomer who runs
// `make run` sees real services, contracts, environments and deployments: order-service
// consumes payment-service and user-service, all three run in staging and production.
package demo
