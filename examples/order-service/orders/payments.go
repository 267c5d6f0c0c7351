package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Charge statuses, as payment-service reports them.
const (
	ChargeApproved = "approved"
	ChargeDeclined = "declined"
)

// ChargeRequest asks payment-service to charge a card for an order. Amount is in cents.
type ChargeRequest struct {
	OrderID   string `json:"order_id"`
	Amount    int64  `json:"amount"`
	CardToken string `json:"card_token"`
}

// Charge is payment-service's answer: approved or declined, with a transaction id either way.
type Charge struct {
	Status        string `json:"status"`
	TransactionID string `json:"transaction_id"`
}

// PaymentClient calls payment-service. Its use of POST /charge is recorded in
// pacts/order-service-payment-service.json by the consumer tests.
type PaymentClient struct {
	BaseURL string
	HTTP    *http.Client // nil: a client with DefaultTimeout
}

// Charge charges a card. A declined charge is an answer, not an error; anything that is
// neither an approval nor a decline is an error.
func (c *PaymentClient) Charge(ctx context.Context, req ChargeRequest) (Charge, error) {
	const path = "/charge"
	status, body, err := call(ctx, c.HTTP, http.MethodPost, c.BaseURL, path, req)
	if err != nil {
		return Charge{}, fmt.Errorf("charge order %s: %w", req.OrderID, err)
	}
	want := map[int]string{http.StatusOK: ChargeApproved, http.StatusPaymentRequired: ChargeDeclined}[status]
	if want == "" {
		return Charge{}, unexpected(http.MethodPost, path, status, body)
	}
	var ch Charge
	if err := json.Unmarshal(body, &ch); err != nil {
		return Charge{}, fmt.Errorf("POST %s: response is not a charge: %w", path, err)
	}
	// A release that renames or drops transaction_id lands here: the order cannot be
	// reconciled without it, so it is a failed dependency, not a success.
	if ch.TransactionID == "" {
		return Charge{}, fmt.Errorf("POST %s: response has no transaction_id: %s", path, body)
	}
	if ch.Status != want {
		return Charge{}, fmt.Errorf("POST %s: status %d says %q, want %q", path, status, ch.Status, want)
	}
	return ch, nil
}
