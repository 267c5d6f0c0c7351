// Package orders is the HTTP API of order-service, Treaty's example consumer: to place an
// order it fetches the user from user-service and charges the card through payment-service.
// The clients for those two providers (users.go, payments.go) are what its pacts describe.
package orders

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/treaty-dev/treaty/examples/internal/httpsvc"
)

// firstOrder is the number before the first order id, so ids read o-1001, o-1002, …
const firstOrder = 1000

// Server serves the order API. It is safe for concurrent use.
type Server struct {
	users     *UserClient
	payments  *PaymentClient
	mux       *httpsvc.Mux
	lastOrder atomic.Int64
}

// New returns a Server that calls the two providers through the given clients; a nil logger
// discards.
func New(users *UserClient, payments *PaymentClient, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{users: users, payments: payments, mux: httpsvc.NewMux(log)}
	s.lastOrder.Store(firstOrder)
	s.mux.Handle("POST /orders", s.handleCreateOrder)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type createOrderRequest struct {
	UserID    int64  `json:"user_id"`
	Amount    int64  `json:"amount"`
	CardToken string `json:"card_token"`
}

type orderResponse struct {
	OrderID       string    `json:"order_id"`
	Status        string    `json:"status"`
	TransactionID string    `json:"transaction_id"`
	User          orderUser `json:"user"`
}

type orderUser struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func (s *Server) handleCreateOrder(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var req createOrderRequest
	if err := httpsvc.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.UserID <= 0:
		return httpsvc.Errorf(http.StatusBadRequest, "user_id: must be a positive integer, got %d", req.UserID)
	case req.Amount <= 0:
		return httpsvc.Errorf(http.StatusBadRequest, "amount: must be a positive number of cents, got %d", req.Amount)
	case req.CardToken == "":
		return httpsvc.Errorf(http.StatusBadRequest, "card_token: required")
	}

	user, err := s.users.GetUser(ctx, req.UserID)
	if errors.Is(err, ErrUserNotFound) {
		return httpsvc.Errorf(http.StatusBadRequest, "user_id: there is no user %d", req.UserID)
	}
	if err != nil {
		return &httpsvc.StatusError{Status: http.StatusBadGateway, Message: "user-service failed", Err: err}
	}

	orderID := fmt.Sprintf("o-%d", s.lastOrder.Add(1))
	charge, err := s.payments.Charge(ctx, ChargeRequest{OrderID: orderID, Amount: req.Amount, CardToken: req.CardToken})
	if err != nil {
		return &httpsvc.StatusError{Status: http.StatusBadGateway, Message: "payment-service failed", Err: err}
	}
	code := http.StatusCreated
	if charge.Status == ChargeDeclined {
		code = http.StatusPaymentRequired
	}
	httpsvc.WriteJSON(w, code, orderResponse{
		OrderID:       orderID,
		Status:        charge.Status,
		TransactionID: charge.TransactionID,
		User:          orderUser{ID: user.ID, Name: user.Name},
	})
	return nil
}
