package pipelines

import (
	"context"
	"time"

	"github.com/treaty-dev/treaty/broker"
)

// Status is the state of a run or of one of its steps.
type Status string

// Statuses of runs and steps.
const (
	Running    Status = "running"
	Succeeded  Status = "succeeded"
	Failed     Status = "failed"
	Stopped    Status = "stopped" // a gate denied or has not decided: nothing went wrong
	RolledBack Status = "rolled-back"
	Skipped    Status = "skipped"
	Canceled   Status = "canceled"
)

// Done reports whether the status is final.
func (s Status) Done() bool { return s != Running && s != "" }

// Valid reports whether the status is one of the known ones.
func (s Status) Valid() bool {
	switch s {
	case Running, Succeeded, Failed, Stopped, RolledBack, Skipped, Canceled:
		return true
	}
	return false
}

// Run is one run of a service's pipeline as the broker records it.
type Run struct {
	ID      int64  `json:"id"`
	Service string `json:"service"`
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Branch  string `json:"branch,omitempty"`
	// From and Until are the first and last stages asked for.
	From   string `json:"from,omitempty"`
	Until  string `json:"until,omitempty"`
	Status Status `json:"status"`
	// Stage is the stage running, or the one the run ended in.
	Stage string `json:"stage,omitempty"`
	// Message says why a run stopped, failed or rolled back.
	Message    string     `json:"message,omitempty"`
	Author     string     `json:"author,omitempty"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// DurationMillis is the run's length once it is done.
	DurationMillis int64     `json:"durationMillis,omitempty"`
	Steps          []StepRun `json:"steps,omitempty"`
}

// StepRun is one step of a run: a named step, a gate check, a deploy, a watch or a rollback.
type StepRun struct {
	ID          int64      `json:"id,omitempty"`
	Stage       string     `json:"stage"`
	Name        string     `json:"name"`
	Uses        string     `json:"uses"`
	Environment string     `json:"environment,omitempty"`
	Status      Status     `json:"status"`
	Attempts    int        `json:"attempts,omitempty"`
	Message     string     `json:"message,omitempty"`
	StartedAt   time.Time  `json:"startedAt"`
	FinishedAt  *time.Time `json:"finishedAt,omitempty"`
	// DurationMillis is the step's length once it is done.
	DurationMillis int64 `json:"durationMillis,omitempty"`
	// LogTail is the end of the step's output.
	LogTail string `json:"logTail,omitempty"`
}

// Limits of what a run record holds.
const (
	MaxLogTail = 8 << 10
	MaxMessage = 4 << 10
)

// Validate checks a run before it is recorded.
func (r *Run) Validate() error {
	v := &broker.ValidationError{}
	if err := broker.CheckName("service", r.Service); err != nil {
		v.Add("service", "cannot be blank")
	}
	if err := broker.CheckVersionNumber("version", r.Version); err != nil {
		v.Add("version", "cannot be blank")
	}
	if r.Status != "" && !r.Status.Valid() {
		v.Add("status", "%q is not a run status", r.Status)
	}
	for _, st := range []struct{ field, name string }{{"from", r.From}, {"until", r.Until}, {"stage", r.Stage}} {
		if st.name != "" && StageIndex(st.name) < 0 {
			v.Add(st.field, "%q is not a stage", st.name)
		}
	}
	if len(r.Message) > MaxMessage {
		v.Add("message", "must be at most %d bytes", MaxMessage)
	}
	if len(r.Commit) > broker.MaxNameLength || len(r.Branch) > broker.MaxNameLength || len(r.Author) > broker.MaxNameLength {
		v.Add("commit", "commit, branch and author must be at most %d characters", broker.MaxNameLength)
	}
	return v.Err()
}

// Validate checks a step before it is recorded.
func (s *StepRun) Validate() error {
	v := &broker.ValidationError{}
	if StageIndex(s.Stage) < 0 {
		v.Add("stage", "%q is not a stage", s.Stage)
	}
	if s.Name == "" || len(s.Name) > broker.MaxNameLength {
		v.Add("name", "cannot be blank or longer than %d characters", broker.MaxNameLength)
	}
	if !s.Status.Valid() {
		v.Add("status", "%q is not a step status", s.Status)
	}
	if len(s.LogTail) > MaxLogTail {
		v.Add("logTail", "must be at most %d bytes", MaxLogTail)
	}
	if len(s.Message) > MaxMessage {
		v.Add("message", "must be at most %d bytes", MaxMessage)
	}
	return v.Err()
}

// RunQuery selects runs, newest first; zero fields select everything.
type RunQuery struct {
	Service string
	Status  Status
	// BeforeID pages back: only runs older than it. Limit bounds the list (0: 50).
	BeforeID int64
	Limit    int
}

// Lock is a lease on deploying one service to one environment: whoever holds it may deploy
// there until it expires, unless they renew it.
type Lock struct {
	Service     string    `json:"service"`
	Environment string    `json:"environment"`
	Holder      string    `json:"holder"`
	ExpiresAt   time.Time `json:"expiresAt"`
	AcquiredAt  time.Time `json:"acquiredAt"`
}

// Store keeps the runs and the deploy locks. broker/store implements it on the broker's
// database; the broker's client implements it over HTTP. Errors are the broker's vocabulary:
// an unknown run is broker.ErrNotFound, a lock held by someone else broker.ErrConflict.
type Store interface {
	CreateRun(ctx context.Context, r Run) (Run, error)
	// UpdateRun records a run's status, stage and message (and its end, once done).
	UpdateRun(ctx context.Context, r Run) (Run, error)
	// RecordStep adds a step to a run, or updates the step of the same stage and name.
	RecordStep(ctx context.Context, runID int64, s StepRun) (StepRun, error)
	// Run is one run with its steps.
	Run(ctx context.Context, id int64) (Run, error)
	// Runs lists runs without their steps, newest first.
	Runs(ctx context.Context, q RunQuery) ([]Run, error)
	// AcquireLock takes or renews the lease on (service, environment) for holder, for ttl.
	// It fails with a conflict while another holder's lease runs.
	AcquireLock(ctx context.Context, service, environment, holder string, ttl time.Duration) (Lock, error)
	// ReleaseLock gives the lease up; releasing a lease one does not hold is a no-op.
	ReleaseLock(ctx context.Context, service, environment, holder string) error
	// Locks lists the leases that have not expired.
	Locks(ctx context.Context) ([]Lock, error)
}
