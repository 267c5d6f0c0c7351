package payment

import "sync"

// CardStatus is what the payment network would say about a card.
type CardStatus string

const (
	CardValid   CardStatus = "valid"
	CardExpired CardStatus = "expired"
)

// seedCards are the cards a fresh service knows: the ones the demo and the consumers'
// provider states name.
var seedCards = map[string]CardStatus{
	"tok_visa":    CardValid,
	"tok_expired": CardExpired,
}

// Cards is an in-memory card store standing in for a payment network.
type Cards struct {
	mu    sync.Mutex
	cards map[string]CardStatus
}

// NewCards returns a store holding the seed cards.
func NewCards() *Cards {
	c := &Cards{}
	c.Reset()
	return c
}

// Status returns the status of a card token; ok is false for a token the store does not know.
func (c *Cards) Status(token string) (status CardStatus, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	status, ok = c.cards[token]
	return status, ok
}

// Set records a card's status.
func (c *Cards) Set(token string, status CardStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cards[token] = status
}

// Reset forgets every change since the store was created.
func (c *Cards) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cards = make(map[string]CardStatus, len(seedCards))
	for token, status := range seedCards {
		c.cards[token] = status
	}
}
