// Package ui is Treaty's web pages: server-rendered html/template pages with embedded CSS and
// no JavaScript, for people who want to see which services talk to which, whether a version
// is compatible with what runs in production, why a deployment is blocked and what changed.
//
// Pages is a plain http.Handler mounted under /ui by the API server, which also serves the
// overview at / to browsers. Every page reads through the same store queries as the API, and
// the matrix and can-i-deploy pages call broker.Matrix: the rules live in one place. The state
// of a page is in its URL, so a link can be shared; bad input in a URL gets a readable error
// page with a 4xx status, never a 500.
//
// Read it in this order: ui.go (routing, rendering, errors), params.go (reading URLs),
// links.go (writing them), format.go (what templates share), then one file per page:
// overview.go, network.go (with its layout), matrix.go (and can-i-deploy), contract.go with
// diff.go, verification.go with testresults.go, providercontract.go with operations.go (a
// provider's OpenAPI document by operation) and comparison.go (the broker's comparison of a
// pact with that document, which a bi-directional cell of the matrix links to),
// environments.go, and releases.go (the gate engine's decisions). The templates are in
// templates/, one per page, partials start with _.
package ui
