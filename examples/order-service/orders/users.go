package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// ErrUserNotFound is returned by UserClient.GetUser when user-service knows no such user.
var ErrUserNotFound = errors.New("user not found")

// User is what order-service needs to know about a user.
type User struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// UserClient calls user-service. Its use of GET /users/{id} is recorded in
// pacts/order-service-user-service.json by the consumer tests.
type UserClient struct {
	BaseURL string
	HTTP    *http.Client // nil: a client with DefaultTimeout
}

// GetUser fetches a user by id.
func (c *UserClient) GetUser(ctx context.Context, id int64) (User, error) {
	path := fmt.Sprintf("/users/%d", id)
	status, body, err := call(ctx, c.HTTP, http.MethodGet, c.BaseURL, path, nil)
	if err != nil {
		return User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	switch status {
	case http.StatusOK:
	case http.StatusNotFound:
		return User{}, fmt.Errorf("get user %d: %w", id, ErrUserNotFound)
	default:
		return User{}, unexpected(http.MethodGet, path, status, body)
	}
	var u User
	if err := json.Unmarshal(body, &u); err != nil {
		return User{}, fmt.Errorf("GET %s: response is not a user: %w", path, err)
	}
	if u.ID != id || u.Name == "" {
		return User{}, fmt.Errorf("GET %s: response lacks the user's id or name: %s", path, body)
	}
	return u, nil
}
