// Package cli holds the treaty command line: one file per verb, each a thin layer over the
// broker client or the server. Exit codes mean something: 0 yes or done, 1 no or failed,
// 2 usage or an error reaching the broker.
package cli
