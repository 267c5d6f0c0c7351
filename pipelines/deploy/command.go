package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Command deploys by running a program of the team's own (a shell script around kubectl,
// nomad, ssh, …): the escape hatch for anything the other deployers do not do. For every
// call it runs the program once, writes a CommandInput as JSON to its standard input, and
// reads one CommandOutput as JSON from its standard output; TREATY_ACTION, TREATY_SERVICE,
// TREATY_ENVIRONMENT and TREATY_VERSION say the same in the environment, for scripts that
// need not parse JSON. Standard error is for people. A non-zero exit, output that is not
// one JSON object of the known fields, or an answer missing what the action needs is an
// error that says which.
type Command struct {
	// Path is the program; Args come before nothing else (the input is on stdin).
	Path string
	Args []string
	// Env are extra KEY=VALUE variables; Dir is the working directory.
	Env []string
	Dir string
	// Timeout bounds one call; default 5 minutes.
	Timeout time.Duration
	// Stderr, when set, receives the program's standard error as it runs.
	Stderr io.Writer
}

var _ Deployer = (*Command)(nil)

// The actions a Command program is asked to do.
const (
	ActionPlan     = "plan"
	ActionApply    = "apply"
	ActionStatus   = "status"
	ActionRollback = "rollback"
)

// CommandInput is what a Command program reads on standard input.
type CommandInput struct {
	Action  string         `json:"action"`
	Request CommandRequest `json:"request"`
	// Previous and PreviousImage are what runs before the request (apply, from the plan) or
	// what to return to (rollback).
	Previous      string `json:"previous,omitempty"`
	PreviousImage string `json:"previousImage,omitempty"`
	// Ref is the deployment's ref as apply answered it (status, rollback).
	Ref string `json:"ref,omitempty"`
	// Reason is why a rollback is asked for.
	Reason string `json:"reason,omitempty"`
}

// CommandRequest is a Request in JSON.
type CommandRequest struct {
	Service     string `json:"service"`
	Environment string `json:"environment"`
	Version     string `json:"version"`
	Image       string `json:"image"`
	Why         string `json:"why,omitempty"`
	Author      string `json:"author,omitempty"`
}

// CommandOutput is what a Command program writes on standard output. Apply and rollback must
// say a ref, status a health; plan may say what runs now and what would change.
type CommandOutput struct {
	Ref     string `json:"ref,omitempty"`
	Health  Health `json:"health,omitempty"`
	Message string `json:"message,omitempty"`
	// For plan.
	Previous      string   `json:"previous,omitempty"`
	PreviousImage string   `json:"previousImage,omitempty"`
	Changes       []string `json:"changes,omitempty"`
	NoOp          bool     `json:"noop,omitempty"`
}

func commandRequest(r Request) CommandRequest {
	return CommandRequest{Service: r.Service, Environment: r.Environment, Version: r.Version, Image: r.Image, Why: r.Why, Author: r.Author}
}

// Plan asks the program what the deployment would change.
func (c *Command) Plan(ctx context.Context, req Request) (Plan, error) {
	out, err := c.run(ctx, CommandInput{Action: ActionPlan, Request: commandRequest(req)})
	if err != nil {
		return Plan{}, err
	}
	return Plan{Request: req, Previous: out.Previous, PreviousImage: out.PreviousImage, Changes: out.Changes, NoOp: out.NoOp}, nil
}

// Apply asks the program to deploy.
func (c *Command) Apply(ctx context.Context, plan Plan) (Deployment, error) {
	in := CommandInput{Action: ActionApply, Request: commandRequest(plan.Request), Previous: plan.Previous, PreviousImage: plan.PreviousImage}
	out, err := c.run(ctx, in)
	if err != nil {
		return Deployment{}, err
	}
	return Deployment{Request: plan.Request, Previous: plan.Previous, PreviousImage: plan.PreviousImage, Ref: out.Ref, AppliedAt: time.Now()}, nil
}

// Status asks the program how the deployment is doing.
func (c *Command) Status(ctx context.Context, d Deployment) (Status, error) {
	out, err := c.run(ctx, CommandInput{Action: ActionStatus, Request: commandRequest(d.Request), Ref: d.Ref,
		Previous: d.Previous, PreviousImage: d.PreviousImage})
	if err != nil {
		return Status{Health: Unknown}, err
	}
	return Status{Health: out.Health, Message: out.Message}, nil
}

// Rollback asks the program to return to the previous version.
func (c *Command) Rollback(ctx context.Context, d Deployment, reason string) (Deployment, error) {
	out, err := c.run(ctx, CommandInput{Action: ActionRollback, Request: commandRequest(d.Request), Ref: d.Ref,
		Previous: d.Previous, PreviousImage: d.PreviousImage, Reason: reason})
	if err != nil {
		return Deployment{}, err
	}
	back := d.Request
	back.Version, back.Image, back.Why = d.Previous, d.PreviousImage, reason
	return Deployment{Request: back, Previous: d.Request.Version, PreviousImage: d.Request.Image, Ref: out.Ref, AppliedAt: time.Now()}, nil
}

// maxCommandOutput bounds what is read from a program's standard output.
const maxCommandOutput = 1 << 20

func (c *Command) run(ctx context.Context, in CommandInput) (CommandOutput, error) {
	name := c.Path
	fail := func(format string, args ...any) error {
		return fmt.Errorf("deploy command %s %s for %s %s in %s: %s", name, in.Action, in.Request.Service,
			in.Request.Version, in.Request.Environment, fmt.Sprintf(format, args...))
	}
	if c.Path == "" {
		return CommandOutput{}, fail("no program configured")
	}
	input, err := json.Marshal(in)
	if err != nil {
		return CommandOutput{}, fail("%v", err)
	}
	timeout := durationOr(c.Timeout, 5*time.Minute)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Env = append(cmd.Env, "TREATY_ACTION="+in.Action, "TREATY_SERVICE="+in.Request.Service,
		"TREATY_ENVIRONMENT="+in.Request.Environment, "TREATY_VERSION="+in.Request.Version)
	cmd.Stdin = bytes.NewReader(input)
	var stdout limitedBuffer
	stdout.max = maxCommandOutput
	stderr := &tailBuffer{max: 4 << 10}
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	if c.Stderr != nil {
		cmd.Stderr = io.MultiWriter(stderr, c.Stderr)
	}
	// The program runs in a process group of its own, so that stopping it stops what it
	// started too (a script's kubectl, its sleep): SIGTERM to the group; when the program
	// has not exited and let go of its output 2s later, it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 2 * time.Second

	err = cmd.Run()
	detail := lastLines(stderr.String(), 5)
	if detail != "" {
		detail = ": " + detail
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return CommandOutput{}, fail("timed out after %v%s", timeout, detail)
	case ctx.Err() != nil:
		return CommandOutput{}, fail("%v%s", ctx.Err(), detail)
	case err != nil:
		return CommandOutput{}, fail("%v%s", err, detail)
	case stdout.overflow:
		return CommandOutput{}, fail("wrote more than %d bytes on standard output", maxCommandOutput)
	}

	raw := bytes.TrimSpace(stdout.buf.Bytes())
	if len(raw) == 0 {
		return CommandOutput{}, fail(`printed nothing; want one JSON object such as {"ref": "...", "health": "healthy", "message": "..."}`)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var out CommandOutput
	if err := dec.Decode(&out); err != nil {
		return CommandOutput{}, fail("its output is not the JSON answer expected (%v; fields are ref, health, message, previous, previousImage, changes, noop): %s", err, quoteStart(raw))
	}
	if dec.More() {
		return CommandOutput{}, fail("its output has more than one JSON value: %s", quoteStart(raw))
	}
	switch in.Action {
	case ActionApply, ActionRollback:
		if out.Ref == "" {
			return CommandOutput{}, fail(`answered without a "ref" naming the change it made`)
		}
	case ActionStatus:
		switch out.Health {
		case Healthy, Progressing, Degraded, Unknown:
		case "":
			return CommandOutput{}, fail(`answered without a "health"`)
		default:
			return CommandOutput{}, fail(`"health": %q: want %s, %s, %s or %s`, out.Health, Healthy, Progressing, Degraded, Unknown)
		}
	}
	return out, nil
}

func quoteStart(b []byte) string {
	s := string(b)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// limitedBuffer keeps the first max bytes and notes whether there were more.
type limitedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - b.buf.Len(); n > room {
		b.overflow = true
		p = p[:max(room, 0)]
	}
	b.buf.Write(p)
	return n, nil
}
