// Package openapi holds Treaty's provider contracts: OpenAPI documents, the comparison of a
// consumer's pact with a provider's document (bi-directional contract testing), and the
// consumer-aware diff of two versions of a document.
//
//   - Load reads OpenAPI 3.0/3.1 or Swagger 2.0, JSON or YAML, refusing references to other
//     documents and keeping kin-openapi's validation errors as warnings.
//   - Compare checks each HTTP interaction of a pact against a Document with the checks,
//     order and result codes of the reference comparator, @pactflow/openapi-pact-comparator,
//     so that tools reading PactFlow's results read Treaty's. DIFFERENCES.md lists where
//     Treaty judges differently on purpose. A Profile holds the reference's x-opc-config-*
//     switches.
//   - Diff lists oasdiff's changes between two documents; ChangesTouchingPacts keeps those
//     that touch what given pacts use.
//   - SelfVerify checks a running provider against its own document: each operation is
//     called with a request built from the document's examples, and request and response
//     are validated with kin-openapi's openapi3filter (a provider's self-verification).
//
// A Document indexes itself on first use (router, merged parameters, each operation's media
// types and responses, compiled patterns, merged allOf views), and comparisons share that
// index, so comparing many pacts with one document costs little past the first; a
// comparison allocates next to nothing unless it finds something, since the places in the
// pact and the document a finding names are written out only then. Load reads JSON and
// builds kin-openapi's types from the parsed tree in one pass, falling back to kin-openapi's
// own reading for what that pass does not reproduce exactly. testdata/bench/run.sh times
// both, cold and warm, against the reference comparator.
//
// Schemas are checked by Treaty's own validator over kin-openapi's types rather than by
// kin-openapi's, because a pact is not a request or response to validate: a response
// example may be a subset of what the provider sends, its matching rules widen what the
// consumer accepts, and every finding needs the place in the pact and in the document it
// is about.
package openapi
