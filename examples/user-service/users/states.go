package users

import (
	"net/http"
	"regexp"
	"strconv"

	"github.com/treaty-dev/treaty/examples/internal/httpsvc"
)

// userState matches "user 42 exists" and "user 7 does not exist". Consumers also pass the id
// as a parameter ({"id": 42}); when they do, the parameter is the one that counts.
var userState = regexp.MustCompile(`^user (-?\d+) (exists|does not exist)$`)

// handleProviderStates sets up the user store for an interaction a verifier is about to
// replay, and restores the seed users on teardown so interactions cannot leak into each other.
func (s *Server) handleProviderStates(w http.ResponseWriter, r *http.Request) error {
	sc, err := httpsvc.DecodeStateChange(w, r)
	if err != nil {
		return err
	}
	for _, st := range sc.States {
		m := userState.FindStringSubmatch(st.Name)
		if m == nil {
			return httpsvc.UnknownState(st.Name)
		}
		nameID, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return httpsvc.Errorf(http.StatusBadRequest, "state %q: %v", st.Name, err)
		}
		id, err := st.IntParam("id", nameID)
		if err != nil {
			return err
		}
		if sc.Action != "setup" {
			continue
		}
		if m[2] == "exists" {
			s.store.Ensure(id)
		} else {
			s.store.Delete(id)
		}
	}
	if sc.Action == "teardown" {
		s.store.Reset()
	}
	httpsvc.WriteJSON(w, http.StatusOK, httpsvc.StateResult)
	return nil
}
