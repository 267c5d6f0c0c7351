package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/treaty-dev/treaty/examples/payment-service/payment"
	"github.com/treaty-dev/treaty/examples/user-service/users"
)

// The example providers for the end-to-end scripts. A script verifies the real example
// services (payment.New, users.New, not a stand-in) with
//
//	exec with-example payment-service [--breaking] -- treaty verify --provider-base-url {provider} …
//
// with-example starts the service on a free loopback port, puts its URL where the command
// says {provider}, runs the command and exits as it does. Running in the foreground is what
// lets a script use a provider whose port the kernel picked.
//
// The scripts run under TestScripts, whose commands are registered in e2e_test.go; so
// with-example is a program instead: testdata/bin/with-example, a shell script that runs this
// test binary again with withExampleVar set, which the init function below turns into the
// helper before TestMain runs (the helper-process pattern of os/exec's tests).

// withExampleVar makes the test binary act as with-example.
const withExampleVar = "TREATY_E2E_WITH_EXAMPLE"

func init() {
	if os.Getenv(withExampleVar) != "" {
		os.Exit(withExample(os.Args[1:], os.Stdout, os.Stderr))
	}
	// Put testdata/bin on the PATH the scripts inherit. go test runs the binary in the
	// package's directory; the copies of the binary that scripts run as treaty inherit this.
	if bin, err := filepath.Abs(filepath.Join("testdata", "bin")); err == nil {
		if _, err := os.Stat(filepath.Join(bin, "with-example")); err == nil &&
			!strings.Contains(os.Getenv("PATH"), bin) {
			os.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		}
	}
}

// withExample implements `with-example SERVICE [--breaking] -- PROGRAM [ARGS…]`.
func withExample(args []string, stdout, stderr io.Writer) int {
	usage := func(msg string) int {
		fmt.Fprintf(stderr, "with-example: %s\nusage: with-example payment-service|user-service [--breaking] -- PROGRAM [ARGS...]\n", msg)
		return 2
	}
	sep := -1
	for i, a := range args {
		if a == "--" {
			sep = i
			break
		}
	}
	if sep < 1 || sep == len(args)-1 {
		return usage("want a service, --, and a command")
	}
	service, flags, command := args[0], args[1:sep], args[sep+1:]
	breaking := false
	for _, f := range flags {
		if f != "--breaking" || service != "payment-service" {
			return usage(fmt.Sprintf("unknown option %q for %s", f, service))
		}
		breaking = true
	}
	var h http.Handler
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	switch service {
	case "payment-service":
		srv, err := payment.New(payment.Options{Breaking: breaking, Logger: log})
		if err != nil {
			return usage(err.Error())
		}
		h = srv
	case "user-service":
		h = users.New(log)
	default:
		return usage(fmt.Sprintf("unknown service %q", service))
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(stderr, "with-example:", err)
		return 2
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String()

	for i, a := range command {
		command[i] = strings.ReplaceAll(a, "{provider}", url)
	}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// The command must not become with-example in turn.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, withExampleVar+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	default:
		fmt.Fprintln(stderr, "with-example:", err)
		return 2
	}
}
