package gates

import "strings"

// The implicit gates apply to every deployment and promotion whatever the policy says.

// rejectionGate: a candidate rejected for an environment is never allowed into it.
type rejectionGate struct{}

func (rejectionGate) Evaluate(e *Evaluation) GateResult {
	for _, r := range e.Reviews {
		if r.Decision == Reject && r.Environment == e.Target {
			reason := "rejected for " + e.Target + " by " + r.By + " at " + e.at(r.At)
			if r.Comment != "" {
				reason += ": " + r.Comment
			}
			return deny("nobody: a rejected candidate never goes to "+e.Target+"; build a new version", "%s", reason)
		}
	}
	return allow("not rejected for %s", e.Target)
}

// holdGate: a held environment keeps the versions deployed there.
type holdGate struct{}

func (holdGate) Evaluate(e *Evaluation) GateResult {
	if len(e.Holds) == 0 {
		return allow("%s is not held", e.Target)
	}
	h := e.Holds[0]
	what := e.Target
	if h.Pacticipant != "" {
		what = h.Pacticipant + " in " + e.Target
	}
	if contains(e.Deployed, e.Candidate.Version) {
		return allow("%s is held by %s, on the version deployed there, which is this one", what, h.By)
	}
	reason := what + " is held by " + h.By + " since " + e.at(h.At)
	if h.Reason != "" {
		reason += ": " + h.Reason
	}
	deployed := "nothing"
	if len(e.Deployed) > 0 {
		deployed = strings.Join(e.Deployed, ", ")
	}
	return deny(h.By+" or another operator: treaty gate release --environment "+e.Target+pacticipantFlag(h.Pacticipant),
		"%s (it stays on %s)", reason, deployed)
}

func pacticipantFlag(p string) string {
	if p == "" {
		return ""
	}
	return " --pacticipant " + p
}

// digestGate: past the first environment, the artifacts must be known by digest, so that what
// was tested upstream is what goes on.
type digestGate struct{}

func (digestGate) Evaluate(e *Evaluation) GateResult {
	if e.Digest != "" {
		return allow("artifacts pinned by digest %s", ShortDigest(e.Digest))
	}
	if len(e.Candidate.Artifacts) == 0 {
		return deny("CI: treaty record-artifact --pacticipant "+e.Candidate.Pacticipant+" --version "+e.Candidate.Version+" --image REF@sha256:DIGEST",
			"no artifact is recorded, and promotion past the first environment requires a digest")
	}
	return deny("CI: record the artifact with its digest (treaty record-artifact --image REF@sha256:DIGEST)",
		"an artifact has no digest, and promotion past the first environment requires one")
}
