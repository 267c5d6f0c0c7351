package payment

import (
	"net/http"
	"regexp"

	"github.com/treaty-dev/treaty/examples/internal/httpsvc"
)

// cardState matches the states consumers give their interactions, such as
// "card tok_visa is valid" and "card tok_expired is expired".
var cardState = regexp.MustCompile(`^card (\S+) is (valid|expired)$`)

// handleProviderStates sets up the card store for an interaction a verifier is about to
// replay, and restores the seed cards on teardown so interactions cannot leak into each other.
func (s *Server) handleProviderStates(w http.ResponseWriter, r *http.Request) error {
	sc, err := httpsvc.DecodeStateChange(w, r)
	if err != nil {
		return err
	}
	for _, st := range sc.States {
		m := cardState.FindStringSubmatch(st.Name)
		if m == nil {
			return httpsvc.UnknownState(st.Name)
		}
		if sc.Action == "setup" {
			s.cards.Set(m[1], CardStatus(m[2]))
		}
	}
	if sc.Action == "teardown" {
		s.cards.Reset()
	}
	httpsvc.WriteJSON(w, http.StatusOK, httpsvc.StateResult)
	return nil
}
