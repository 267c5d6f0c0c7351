package gates

import "strings"

// artifact: the candidate's artifacts are recorded (published), by digest unless
// requireDigest is false.
//
//	gates:
//	  - type: artifact
func init() {
	register("artifact", []string{"requireDigest"}, func(s *GateSpec, c *compileContext) Gate {
		if s.RequireDigest == nil {
			t := true
			s.RequireDigest = &t
		}
		return artifactGate{requireDigest: *s.RequireDigest}
	})
}

type artifactGate struct{ requireDigest bool }

func (g artifactGate) Evaluate(e *Evaluation) GateResult {
	hint := "CI: publish the image, then treaty record-artifact --pacticipant " + e.Candidate.Pacticipant + " --version " + e.Candidate.Version + " --image REF@sha256:DIGEST"
	if len(e.Candidate.Artifacts) == 0 {
		return pending(nil, hint, "no artifact is recorded yet")
	}
	refs := make([]string, len(e.Candidate.Artifacts))
	for i, a := range e.Candidate.Artifacts {
		if g.requireDigest && a.Digest == "" {
			return pending(nil, hint, "%s is recorded without a digest", a.Ref())
		}
		refs[i] = a.Name
		if a.Digest != "" {
			refs[i] += "@" + ShortDigest(a.Digest)
		}
	}
	return allow("published: %s", strings.Join(refs, ", "))
}
