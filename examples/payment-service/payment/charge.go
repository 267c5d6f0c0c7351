package payment

import (
	"crypto/rand"
	"net/http"
	"strings"

	"github.com/treaty-dev/treaty/examples/internal/httpsvc"
)

// Charge statuses.
const (
	StatusApproved = "approved"
	StatusDeclined = "declined"
)

type chargeRequest struct {
	OrderID   string `json:"order_id"`
	Amount    int64  `json:"amount"`
	CardToken string `json:"card_token"`
}

type chargeResponse struct {
	Status        string `json:"status"`
	TransactionID string `json:"transaction_id"`
}

// breakingChargeResponse is what the careless release sends: the field renamed, the
// meaning unchanged, and every consumer that reads transaction_id broken.
type breakingChargeResponse struct {
	Status string `json:"status"`
	TxnID  string `json:"txn_id"`
}

func (s *Server) handleCharge(w http.ResponseWriter, r *http.Request) error {
	if s.injectFailure() {
		return httpsvc.Errorf(http.StatusInternalServerError, "payment network unavailable (injected failure)")
	}
	var req chargeRequest
	if err := httpsvc.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.OrderID == "":
		return httpsvc.Errorf(http.StatusBadRequest, "order_id: required")
	case req.Amount <= 0:
		return httpsvc.Errorf(http.StatusBadRequest, "amount: must be a positive number of cents, got %d", req.Amount)
	case req.CardToken == "":
		return httpsvc.Errorf(http.StatusBadRequest, "card_token: required")
	}

	// A card the store does not know is declined, as a payment network would.
	status, code := StatusDeclined, http.StatusPaymentRequired
	if cs, _ := s.cards.Status(req.CardToken); cs == CardValid {
		status, code = StatusApproved, http.StatusOK
	}
	// A declined attempt gets a transaction id too, so support can look it up.
	txn := "txn_" + strings.ToLower(rand.Text()[:16])
	if s.breaking {
		httpsvc.WriteJSON(w, code, breakingChargeResponse{Status: status, TxnID: txn})
		return nil
	}
	httpsvc.WriteJSON(w, code, chargeResponse{Status: status, TransactionID: txn})
	return nil
}

// injectFailure reports whether this charge is one of the ErrorRate fraction that fail:
// the nth charge fails when floor(n·rate) steps up, which spreads failures evenly.
func (s *Server) injectFailure() bool {
	if s.failPPM == 0 {
		return false
	}
	n := s.charges.Add(1)
	return n*s.failPPM/1e6 > (n-1)*s.failPPM/1e6
}
