// Package payment is the HTTP API of payment-service, Treaty's example provider: it charges
// cards for orders. order-service consumes it, and its pacts are verified against it.
package payment

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/treaty-dev/treaty/examples/internal/httpsvc"
)

// Options configure a Server. The zero value is the service as intended.
type Options struct {
	// Breaking renames transaction_id to txn_id in charge responses: the careless release
	// the demo uses to show a verification failing. openapi.yaml keeps the intended name.
	Breaking bool
	// ErrorRate is the fraction of charges, from 0 to 1, answered with a 500, for the
	// rollback demo. Failures are spread evenly rather than drawn at random (0.25 fails
	// every 4th charge) so that tests and the demo see exact numbers.
	ErrorRate float64
	Logger    *slog.Logger
}

// Server serves the payment API. It is safe for concurrent use.
type Server struct {
	cards    *Cards
	mux      *httpsvc.Mux
	breaking bool
	// failPPM is ErrorRate in parts per million, so that deciding which charge fails is
	// integer arithmetic with no rounding drift.
	failPPM uint64
	charges atomic.Uint64
}

// New returns a Server with the seeded card store.
func New(opts Options) (*Server, error) {
	if opts.ErrorRate < 0 || opts.ErrorRate > 1 {
		return nil, fmt.Errorf("error rate %v: want a fraction between 0 and 1", opts.ErrorRate)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cards:    NewCards(),
		mux:      httpsvc.NewMux(log),
		breaking: opts.Breaking,
		failPPM:  uint64(opts.ErrorRate*1e6 + 0.5),
	}
	s.mux.Handle("POST /charge", s.handleCharge)
	s.mux.Handle("POST "+httpsvc.StatesPath, s.handleProviderStates)
	return s, nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Cards is the server's card store, which provider states configure.
func (s *Server) Cards() *Cards { return s.cards }
