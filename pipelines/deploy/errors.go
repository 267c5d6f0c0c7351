package deploy

import (
	"errors"
	"fmt"

	"github.com/treaty-dev/treaty/broker"
)

// ConflictError is a change someone else made since the plan: the place the deployer was
// to change no longer names what the plan saw, nor what the deployer wanted to write. It is
// reported, never overwritten, and retrying does not help; it is a broker.ErrConflict.
type ConflictError struct {
	File  string // the file, or the environment for deployers without files
	Field string
	// Expected is what the plan saw, Found what is there now, Wanted what was to be written.
	Expected, Found, Wanted string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("conflict in %s: %s is %s, but the plan saw %s; someone changed it since, so it was not overwritten with %s",
		e.File, e.Field, orNone(e.Found), orNone(e.Expected), e.Wanted)
}

// Is makes a ConflictError a broker.ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == broker.ErrConflict }

// ErrNoPrevious is returned by a rollback of a deployment that replaced nothing, when the
// deployer cannot take the service out instead.
var ErrNoPrevious = errors.New("nothing to roll back to: the deployment replaced no earlier version")
