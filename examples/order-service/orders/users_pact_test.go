package orders

import (
	"context"
	"fmt"
	"testing"

	"github.com/pact-foundation/pact-go/v2/consumer"
	"github.com/pact-foundation/pact-go/v2/matchers"
	"github.com/pact-foundation/pact-go/v2/models"
)

// TestUserClientPact records what order-service needs from user-service's GET /users/{id}.
func TestUserClientPact(t *testing.T) {
	const provider = "user-service"
	pact, err := consumer.NewV4Pact(consumer.MockHTTPProviderConfig{
		Consumer: consumerName,
		Provider: provider,
		PactDir:  pactDir(t, provider),
	})
	if err != nil {
		t.Fatal(err)
	}
	err = pact.AddInteraction().
		GivenWithParameter(models.ProviderState{Name: "user 42 exists", Parameters: map[string]any{"id": 42}}).
		UponReceiving("a request for user 42").
		WithRequest("GET", "/users/42", func(b *consumer.V4RequestBuilder) {
			b.Header("Accept", matchers.S("application/json"))
		}).
		WillRespondWith(200, func(b *consumer.V4ResponseBuilder) {
			b.Header("Content-Type", matchers.S("application/json")).
				JSONBody(matchers.Map{
					"id":    matchers.Integer(42),
					"name":  matchers.Like("Ada Lovelace"),
					"email": matchers.Regex("ada@example.com", `^[^@\s]+@[^@\s]+\.[^@\s]+$`),
				})
		}).
		ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
			client := &UserClient{BaseURL: fmt.Sprintf("http://%s:%d", cfg.Host, cfg.Port)}
			u, err := client.GetUser(context.Background(), 42)
			if err != nil {
				return err
			}
			if u.ID != 42 || u.Name != "Ada Lovelace" {
				return fmt.Errorf("user %+v, want 42, Ada Lovelace", u)
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
}
