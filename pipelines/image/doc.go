// Package image builds a Go service into an OCI image without a Docker daemon and moves it
// through registries by digest.
//
// Build compiles the service (CGO_ENABLED=0, a static binary) and puts it as one layer on top
// of a base image, or on nothing at all (FROM scratch), with a config that says how to run it
// and OCI labels that say where it came from. Push sends it to a registry under the tag
// SERVICE:COMMIT and returns the reference pinned to its digest (REF@sha256:…), the one
// identity that moves through every environment: Tag names an image that is already in the
// registry by another tag, so a promotion never rebuilds.
package image
