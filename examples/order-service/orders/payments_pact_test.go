package orders

import (
	"context"
	"fmt"
	"testing"

	"github.com/pact-foundation/pact-go/v2/consumer"
	"github.com/pact-foundation/pact-go/v2/matchers"
)

// TestPaymentClientPact records what order-service needs from payment-service's POST /charge.
func TestPaymentClientPact(t *testing.T) {
	const provider = "payment-service"
	pact, err := consumer.NewV4Pact(consumer.MockHTTPProviderConfig{
		Consumer: consumerName,
		Provider: provider,
		PactDir:  pactDir(t, provider),
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		description string
		state       string
		cardToken   string // exact: the provider state is about this card
		code        int
		status      string
	}{
		{"a charge for an order", "card tok_visa is valid", "tok_visa", 200, ChargeApproved},
		{"a charge with an expired card", "card tok_expired is expired", "tok_expired", 402, ChargeDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.description, func(t *testing.T) {
			err := pact.AddInteraction().
				Given(tt.state).
				UponReceiving(tt.description).
				WithRequest("POST", "/charge", func(b *consumer.V4RequestBuilder) {
					b.Header("Content-Type", matchers.S("application/json")).
						JSONBody(matchers.Map{
							"order_id":   matchers.Like("o-1001"),
							"amount":     matchers.Integer(1999),
							"card_token": matchers.S(tt.cardToken),
						})
				}).
				WillRespondWith(tt.code, func(b *consumer.V4ResponseBuilder) {
					// Types, not values: order-service passes the status and the
					// transaction id on and does not care which id it gets.
					b.Header("Content-Type", matchers.S("application/json")).
						JSONBody(matchers.Map{
							"status":         matchers.Like(tt.status),
							"transaction_id": matchers.Like("txn_k3v9q2m7x1c4b8n6"),
						})
				}).
				ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
					client := &PaymentClient{BaseURL: fmt.Sprintf("http://%s:%d", cfg.Host, cfg.Port)}
					ch, err := client.Charge(context.Background(), ChargeRequest{OrderID: "o-1001", Amount: 1999, CardToken: tt.cardToken})
					if err != nil {
						return err
					}
					if ch.Status != tt.status || ch.TransactionID == "" {
						return fmt.Errorf("charge %+v, want status %s and a transaction id", ch, tt.status)
					}
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
