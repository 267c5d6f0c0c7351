package gates

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/treaty-dev/treaty/broker"
)

// Candidate is one build of one service: a pacticipant version (usually the commit id) and the
// artifacts built from it. The same artifacts, by digest, move through every environment.
type Candidate struct {
	Pacticipant string `json:"pacticipant"`
	Version     string `json:"version"`
	// Author made the change; approvals by the author do not count.
	Author    string     `json:"author,omitempty"`
	BuildURL  string     `json:"buildUrl,omitempty"`
	Artifacts []Artifact `json:"artifacts"`
	CreatedAt time.Time  `json:"createdAt"`
}

// Artifact is an image built from a candidate. Its digest never changes once recorded: a
// different image is a different build, so a different version.
type Artifact struct {
	// Name is the image repository, such as registry.example/order-service.
	Name   string `json:"name"`
	Tag    string `json:"tag,omitempty"`
	Digest string `json:"digest,omitempty"` // sha256:<64 hex digits>
	// RecordedAt is when the artifact was first recorded.
	RecordedAt time.Time `json:"recordedAt"`
}

// Ref is the artifact's reference, name[:tag][@digest].
func (a Artifact) Ref() string {
	ref := a.Name
	if a.Tag != "" {
		ref += ":" + a.Tag
	}
	if a.Digest != "" {
		ref += "@" + a.Digest
	}
	return ref
}

var (
	digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	// A repository is lower-case path components, optionally behind a registry host (which
	// may have a port); a tag is what OCI allows.
	repositoryPattern = regexp.MustCompile(`^([A-Za-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$`)
	tagPattern        = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// ParseImage reads an image reference, name[:tag][@sha256:digest], reporting problems against
// field.
func ParseImage(field, ref string) (Artifact, error) {
	var a Artifact
	rest, digest, hasDigest := strings.Cut(strings.TrimSpace(ref), "@")
	if hasDigest {
		if !digestPattern.MatchString(digest) {
			return a, broker.Invalid(field, "%q: the digest must be sha256: followed by 64 lower-case hex digits", ref)
		}
		a.Digest = digest
	}
	// A colon after the last slash starts the tag; one before it belongs to a registry port.
	name := rest
	if i := strings.LastIndexByte(rest, ':'); i > strings.LastIndexByte(rest, '/') {
		name, a.Tag = rest[:i], rest[i+1:]
		if !tagPattern.MatchString(a.Tag) {
			return a, broker.Invalid(field, "%q: %q is not a valid tag", ref, a.Tag)
		}
	}
	if !repositoryPattern.MatchString(name) {
		return a, broker.Invalid(field, "%q is not an image reference such as registry.example/order-service:a3f9c21@sha256:…", ref)
	}
	a.Name = name
	return a, nil
}

// Digest identifies what the candidate would deploy: the digest of its one artifact, or with
// several a digest over all of them. It is "" while any artifact lacks a digest, or there is
// none: such a candidate cannot move past its first environment.
func (c Candidate) Digest() string {
	if len(c.Artifacts) == 0 {
		return ""
	}
	lines := make([]string, len(c.Artifacts))
	for i, a := range c.Artifacts {
		if a.Digest == "" {
			return ""
		}
		lines[i] = a.Name + "@" + a.Digest
	}
	if len(lines) == 1 {
		return c.Artifacts[0].Digest
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// MergeArtifact adds a to existing, the artifacts already recorded for a candidate. Recording
// the same artifact again changes nothing and adding a digest to one recorded without is
// allowed, but changing a recorded digest is a conflict: it would be another build.
func MergeArtifact(existing []Artifact, a Artifact) (merged Artifact, changed bool, err error) {
	for _, old := range existing {
		if old.Name != a.Name {
			continue
		}
		if old.Digest != "" && a.Digest != "" && old.Digest != a.Digest {
			return old, false, &broker.ConflictError{Field: "image", Message: fmt.Sprintf(
				"%s is already recorded for this version with digest %s: a different image is a different build, so record it under a new version", a.Name, old.Digest)}
		}
		if old.Tag != "" && a.Tag != "" && old.Tag != a.Tag {
			return old, false, &broker.ConflictError{Field: "image", Message: fmt.Sprintf(
				"%s is already recorded for this version with tag %s, not %s", a.Name, old.Tag, a.Tag)}
		}
		merged = old
		if merged.Digest == "" && a.Digest != "" {
			merged.Digest, changed = a.Digest, true
		}
		if merged.Tag == "" && a.Tag != "" {
			merged.Tag, changed = a.Tag, true
		}
		return merged, changed, nil
	}
	return a, true, nil
}

// ShortDigest abbreviates a digest for people: sha256:0123456789ab.
func ShortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}
