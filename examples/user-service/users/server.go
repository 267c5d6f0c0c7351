// Package users is the HTTP API of user-service, Treaty's example provider: it looks users
// up by id. order-service consumes it, and its pacts are verified against it.
package users

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/treaty-dev/treaty/examples/internal/httpsvc"
)

// Server serves the user API. It is safe for concurrent use.
type Server struct {
	store *Store
	mux   *httpsvc.Mux
}

// New returns a Server with the seeded user store; a nil logger discards.
func New(log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: NewStore(), mux: httpsvc.NewMux(log)}
	s.mux.Handle("GET /users/{id}", s.handleGetUser)
	s.mux.Handle("POST "+httpsvc.StatesPath, s.handleProviderStates)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Store is the server's user store, which provider states configure.
func (s *Server) Store() *Store { return s.store }

func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) error {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return httpsvc.Errorf(http.StatusBadRequest, "id: must be an integer, got %q", raw)
	}
	u, ok := s.store.Get(id)
	if !ok {
		return httpsvc.Errorf(http.StatusNotFound, "user %d not found", id)
	}
	httpsvc.WriteJSON(w, http.StatusOK, u)
	return nil
}
