package steps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"

	"github.com/treaty-dev/treaty/pipelines"
)

// shell runs a command line with sh -c in the step's directory and environment. Its output
// goes to stdout (the step's live output when nil) and its errors to the step's output. The
// command runs in a process group of its own, so a timeout or a cancel kills whatever it
// started, not only the shell.
func shell(ctx context.Context, sc *pipelines.StepContext, script string, stdout io.Writer, extraEnv ...string) error {
	cmd := exec.CommandContext(ctx, "sh", "-c", script)
	cmd.Dir = sc.Dir
	cmd.Env = append(append([]string{}, sc.Env...), extraEnv...)
	if stdout == nil {
		stdout = sc.Out
	}
	cmd.Stdout, cmd.Stderr = stdout, sc.Out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	// A grandchild that keeps the output open must not keep the step waiting.
	cmd.WaitDelay = 2 * time.Second
	fmt.Fprintf(sc.Out, "$ %s\n", script)
	err := cmd.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("%q exited with status %d", firstLine(script), exit.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("run %q: %w", firstLine(script), err)
	}
	return nil
}

func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i] + " …"
		}
	}
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// background starts a command line that keeps running (a service for a step to test), and
// returns how to stop it.
func background(sc *pipelines.StepContext, script string, extraEnv ...string) (stop func(), err error) {
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = sc.Dir
	cmd.Env = append(append([]string{}, sc.Env...), extraEnv...)
	cmd.Stdout, cmd.Stderr = sc.Out, sc.Out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second
	fmt.Fprintf(sc.Out, "$ %s &\n", script)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %q: %w", firstLine(script), err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	return func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = killGroup(cmd)
			<-done
		}
	}, nil
}
