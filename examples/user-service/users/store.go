package users

import (
	"fmt"
	"maps"
	"sync"
)

// User is a user as the API shows it.
type User struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// seedUsers are the users a fresh service knows: the one the demo and the consumers'
// provider states name.
var seedUsers = map[int64]User{
	42: {ID: 42, Name: "Ada Lovelace", Email: "ada@example.com"},
}

// Store is an in-memory user store standing in for a database.
type Store struct {
	mu    sync.Mutex
	users map[int64]User
}

// NewStore returns a store holding the seed users.
func NewStore() *Store {
	s := &Store{}
	s.Reset()
	return s
}

// Get returns the user with the id; ok is false when there is none.
func (s *Store) Get(id int64) (u User, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok = s.users[id]
	return u, ok
}

// Ensure makes sure a user with the id exists, creating one when needed: the seed user for
// a seed id, otherwise a generated "User N".
func (s *Store) Ensure(id int64) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[id]; ok {
		return u
	}
	u, ok := seedUsers[id]
	if !ok {
		u = User{ID: id, Name: fmt.Sprintf("User %d", id), Email: fmt.Sprintf("user%d@example.com", id)}
	}
	s.users[id] = u
	return u
}

// Delete removes the user with the id, if there is one.
func (s *Store) Delete(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, id)
}

// Reset forgets every change since the store was created.
func (s *Store) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = maps.Clone(seedUsers)
}
