package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/treaty-dev/treaty/broker/store/storetest"
	"github.com/treaty-dev/treaty/cmd/treaty/cli"
)

// The end-to-end suite: every script in testdata/script starts a real `treaty serve` process
// with a database of its own and drives it with the official Pact CLI (`pact broker …`), so what
// is asserted is what a user of the Pact ecosystem sees.

// TestMain makes the test binary double as the treaty command: testscript puts a copy of it on
// $PATH under the name "treaty", and running that copy runs cli.Main, the real entry point.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"treaty": func() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar against SQLite, and against PostgreSQL too when
// TREATY_TEST_POSTGRES_DSN names a server.
func TestScripts(t *testing.T) {
	pactCLI := os.Getenv("PACT_CLI")
	if pactCLI == "" {
		t.Skip("PACT_CLI is not set: these tests drive the official pact CLI " +
			"(`make setup` installs it in .tools/bin; `make test` sets PACT_CLI)")
	}
	// Expose the CLI to the scripts as plain `pact`, as in a shell session.
	bin := t.TempDir()
	if err := os.Symlink(pactCLI, filepath.Join(bin, "pact")); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath(filepath.Join(bin, "pact")); err != nil {
		t.Fatalf("PACT_CLI=%s is not an executable: %v", pactCLI, err)
	}

	backends := []string{"sqlite"}
	dsn := os.Getenv(storetest.DSNVariable)
	if dsn != "" {
		backends = append(backends, "postgres")
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			testscript.Run(t, testscript.Params{
				Dir: filepath.Join("testdata", "script"),
				Setup: func(env *testscript.Env) error {
					env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))
					env.Setenv("PACT_DO_NOT_TRACK", "true")
					// The CLI retries 5xx answers with exponential back-off (8 times by default):
					// a server error must fail the script at once, not after minutes.
					env.Setenv("PACT_BROKER_HTTP_RETRIES", "0")
					database := filepath.Join(env.WorkDir, "treaty.db")
					if backend == "postgres" {
						var err error
						if database, err = postgresSchema(env.T().(testing.TB), dsn); err != nil {
							return err
						}
					}
					return setupBroker(env, database)
				},
				Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
					"broker-start": cmdBrokerStart,
					"broker-stop":  cmdBrokerStop,
					"http-get":     cmdHTTPGet,
					"jsonpath":     cmdJSONPath,
					// e2e_cmds_test.go
					"http-post":      cmdHTTPPost,
					"exec-status":    cmdExecStatus,
					"provider-start": cmdProviderStart,
					// e2e_webhook_test.go
					"receiver-start": cmdReceiverStart,
					"receiver-wait":  cmdReceiverWait,
				},
				RequireExplicitExec: true,
				RequireUniqueNames:  true,
			})
		})
	}
}

// postgresSchema creates an empty schema for one script and returns a DSN that selects it; the
// schema is dropped when the script ends (after its broker has stopped).
func postgresSchema(tb testing.TB, dsn string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "e2e_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", storetest.DSNVariable, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", fmt.Errorf("create schema %s: %w", schema, err)
	}
	// Env.T's Cleanup runs after every Env.Defer function, so after the broker has stopped.
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", storetest.DSNVariable, err)
	}
	q := u.Query()
	q.Set("search_path", schema) // pgx passes unknown parameters on as run-time settings
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// brokerKey finds a script's brokerProcess in its testscript values.
type brokerKey struct{}

// brokerProcess is the `treaty serve` process of one script.
type brokerProcess struct {
	database string
	logPath  string // the process's stdout and stderr, $WORK/broker.log
	url      string

	cmd       *exec.Cmd
	exited    chan struct{} // closed once the process has been waited for
	waitErr   error
	stopped   bool
	logOffset int // where this run's lines start in the log: a script may restart its broker
}

// setupBroker prepares a script's broker and makes sure it never outlives the script: a script
// that ends (or fails) without broker-stop gets its broker stopped, and checked, here.
func setupBroker(env *testscript.Env, database string) error {
	b := &brokerProcess{database: database, logPath: filepath.Join(env.WorkDir, "broker.log")}
	env.Values[brokerKey{}] = b
	env.Setenv("BROKER_LOG", b.logPath)
	tb := env.T().(testing.TB)
	env.Defer(func() {
		if b.cmd == nil || b.stopped {
			return
		}
		if err := b.stop(); err != nil {
			tb.Errorf("broker: %v", err)
		}
		if tb.Failed() {
			if log, err := os.ReadFile(b.logPath); err == nil {
				tb.Logf("broker log (%s):\n%s", b.logPath, log)
			}
		}
	})
	return nil
}

func brokerOf(ts *testscript.TestScript) *brokerProcess {
	return ts.Value(brokerKey{}).(*brokerProcess)
}

// cmdBrokerStart implements `broker-start [serve flags…]`: it runs `treaty serve` as a process
// of its own on a free loopback port, waits until /readyz answers 200, and sets $BROKER to its
// base URL.
func cmdBrokerStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! broker-start")
	}
	b := brokerOf(ts)
	if b.cmd != nil && !b.stopped {
		ts.Fatalf("broker-start: a broker is already running at %s", b.url)
	}
	// A restart keeps the database and the log; the new run's address comes after the old lines.
	b.cmd, b.url, b.stopped = nil, "", false
	if fi, err := os.Stat(b.logPath); err == nil {
		b.logOffset = int(fi.Size())
	}
	treaty, err := exec.LookPath("treaty") // the test binary itself, installed by testscript.Main
	ts.Check(err)
	log, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	ts.Check(err)
	defer log.Close()

	// Port 0: the kernel picks a free port and the broker logs the address it listens on, so
	// parallel scripts never race for a port.
	serveArgs := append([]string{"serve", "--listen", "127.0.0.1:0", "--database", b.database, "--no-demo"}, args...)
	cmd := exec.Command(treaty, serveArgs...)
	cmd.Dir = ts.Getenv("WORK")
	// A clean environment: no TREATY_* settings leak in from the developer's shell.
	cmd.Env = []string{"PATH=" + ts.Getenv("PATH"), "HOME=" + ts.Getenv("WORK"), "TMPDIR=" + ts.Getenv("TMPDIR")}
	for _, name := range []string{"GOCOVERDIR", "GORACE"} {
		if v := os.Getenv(name); v != "" {
			cmd.Env = append(cmd.Env, name+"="+v)
		}
	}
	cmd.Stdout, cmd.Stderr = log, log
	ts.Check(cmd.Start())
	b.cmd, b.exited = cmd, make(chan struct{})
	go func() {
		b.waitErr = cmd.Wait()
		close(b.exited)
	}()

	if err := b.waitReady(15 * time.Second); err != nil {
		_ = b.stop()
		b.stopped = true
		logText, _ := os.ReadFile(b.logPath)
		ts.Fatalf("broker-start: %v\nbroker log:\n%s", err, logText)
	}
	ts.Setenv("BROKER", b.url)
	ts.Logf("broker at %s (treaty %s)", b.url, strings.Join(serveArgs, " "))
}

var servingLine = regexp.MustCompile(`msg="treaty is serving" url=(http://\S+)`)

// waitReady waits for the log line that names the listening address, then for /readyz.
func (b *brokerProcess) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-b.exited:
			return fmt.Errorf("treaty serve exited before it was ready: %v", b.waitErr)
		default:
		}
		if b.url == "" {
			if log, err := os.ReadFile(b.logPath); err == nil && len(log) >= b.logOffset {
				if m := servingLine.FindSubmatch(log[b.logOffset:]); m != nil {
					b.url = string(m[1])
				}
			}
		}
		if b.url != "" {
			if resp, err := client.Get(b.url + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %s (url %q)", timeout, b.url)
}

// cmdBrokerStop implements `broker-stop`, the last line of every script: it stops the broker
// with SIGTERM and fails when the broker answered any request with a 5xx, did not shut down
// cleanly, or logged an error or a panic.
func cmdBrokerStop(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: broker-stop")
	}
	b := brokerOf(ts)
	if b.cmd == nil || b.stopped {
		ts.Fatalf("broker-stop: no broker is running")
	}
	err := b.stop()
	b.stopped = true
	if err != nil {
		ts.Fatalf("broker-stop: %v", err)
	}
}

// stop stops the process and reports everything that went wrong in its life.
func (b *brokerProcess) stop() error {
	var problems []error
	if b.url != "" {
		if errs, err := b.serverErrors(); err != nil {
			problems = append(problems, err)
		} else if len(errs) > 0 {
			problems = append(problems, fmt.Errorf("the broker answered with server errors:\n\t%s", strings.Join(errs, "\n\t")))
		}
	}
	select {
	case <-b.exited:
		problems = append(problems, fmt.Errorf("treaty serve exited on its own: %v", b.waitErr))
	default:
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.exited:
			if b.waitErr != nil {
				problems = append(problems, fmt.Errorf("treaty serve exited badly after SIGTERM: %v", b.waitErr))
			}
		case <-time.After(10 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.exited
			problems = append(problems, errors.New("treaty serve did not stop within 10s of SIGTERM; killed it"))
		}
	}
	if bad, err := logProblems(b.logPath); err != nil {
		problems = append(problems, err)
	} else if len(bad) > 0 {
		problems = append(problems, fmt.Errorf("%s has errors:\n\t%s", b.logPath, strings.Join(bad, "\n\t")))
	}
	return errors.Join(problems...)
}

// serverErrors lists the 5xx series of the broker's request counter: a 5xx is a server bug
// whatever the client sent.
func (b *brokerProcess) serverErrors() ([]string, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(b.url + "/metrics")
	if err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read metrics: %s %v", resp.Status, err)
	}
	var errs []string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "treaty_http_requests_total{") && strings.Contains(line, `status="5`) {
			errs = append(errs, line)
		}
	}
	return errs, nil
}

// logProblems returns the lines of a broker log that report an error, a panic or a crash.
func logProblems(path string) ([]string, error) {
	log, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var bad []string
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, "level=ERROR") || strings.HasPrefix(line, "panic:") ||
			strings.HasPrefix(line, "fatal error:") || strings.Contains(line, "DATA RACE") {
			bad = append(bad, line)
		}
	}
	return bad, nil
}

// cmdHTTPGet implements `http-get URL FILE`: GET URL and write the body to FILE. It fails unless
// the status is 2xx (with !, unless it is not).
func cmdHTTPGet(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: http-get URL FILE")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(args[0])
	ts.Check(err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), body, 0o666))
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case ok && neg:
		ts.Fatalf("GET %s: unexpected %s", args[0], resp.Status)
	case !ok && !neg:
		ts.Fatalf("GET %s: %s\n%s", args[0], resp.Status, body)
	}
}

// cmdJSONPath implements
//
//	jsonpath FILE PATH [WANT]     assert that PATH exists (and is not null), or equals WANT
//	jsonpath -set VAR FILE PATH   set $VAR to the value at PATH
//
// FILE may be stdout or stderr (of the last exec). PATH is a dotted path into the document:
// object keys, array indexes (items.0 or items[0]), filters that pick the first array element
// whose field equals a value (environments[name=staging], fields may be paths themselves), and
// "length" for the number of elements of an array (or keys of an object without that key). A
// string value compares as itself, any other value as its compact JSON (true, 2, {"a":1}).
func cmdJSONPath(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 4 && args[0] == "-set" {
		if neg {
			ts.Fatalf("unsupported: ! jsonpath -set")
		}
		v, err := lookupJSON(ts.ReadFile(args[2]), args[3])
		if err != nil {
			ts.Fatalf("jsonpath %s %s: %v", args[2], args[3], err)
		}
		ts.Setenv(args[1], formatJSON(v))
		return
	}
	if len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: jsonpath FILE PATH [WANT] | jsonpath -set VAR FILE PATH")
	}
	file, path := args[0], args[1]
	v, err := lookupJSON(ts.ReadFile(file), path)
	var ok bool
	var got string
	switch {
	case err != nil:
		got = err.Error()
	case len(args) == 2:
		ok, got = v != nil, formatJSON(v)
	default:
		got = formatJSON(v)
		ok = got == args[2]
	}
	switch {
	case ok && neg:
		ts.Fatalf("jsonpath %s %s: unexpectedly %s", file, path, got)
	case !ok && !neg && len(args) == 2:
		ts.Fatalf("jsonpath %s %s: %s", file, path, got)
	case !ok && !neg:
		ts.Fatalf("jsonpath %s %s:\n\tgot:  %s\n\twant: %s", file, path, got, args[2])
	}
}

// lookupJSON decodes doc and follows path through it.
func lookupJSON(doc, path string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	segments, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	return follow(v, segments)
}

// splitPath splits a.b[0].c[k=v] into a, b, [0], c, [k=v]; dots inside brackets do not split.
func splitPath(path string) ([]string, error) {
	var segs []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			segs = append(segs, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '.':
			if cur.Len() == 0 && (i == 0 || path[i-1] != ']') {
				return nil, fmt.Errorf("path %q: empty segment", path)
			}
			flush()
		case '[':
			flush()
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q: unclosed [", path)
			}
			segs = append(segs, path[i:i+end+1])
			i += end
		default:
			cur.WriteByte(c)
		}
	}
	if strings.HasSuffix(path, ".") {
		return nil, fmt.Errorf("path %q: empty segment", path)
	}
	flush()
	return segs, nil
}

func follow(v any, segs []string) (any, error) {
	for i, seg := range segs {
		where := strings.Join(segs[:i], ".")
		if where == "" {
			where = "the document"
		}
		if seg == "length" {
			switch x := v.(type) {
			case []any:
				v = json.Number(strconv.Itoa(len(x)))
				continue
			case map[string]any:
				if _, isKey := x[seg]; !isKey {
					v = json.Number(strconv.Itoa(len(x)))
					continue
				}
			}
		}
		if inner, isSelector := strings.CutPrefix(seg, "["); isSelector {
			inner = strings.TrimSuffix(inner, "]")
			arr, isArray := v.([]any)
			if !isArray {
				return nil, fmt.Errorf("%s is not an array: %s", where, formatJSON(v))
			}
			field, want, isFilter := strings.Cut(inner, "=")
			if !isFilter {
				seg = inner // an index, handled below
			} else {
				fieldPath, err := splitPath(field)
				if err != nil {
					return nil, err
				}
				found := false
				for _, el := range arr {
					if got, err := follow(el, fieldPath); err == nil && formatJSON(got) == want {
						v, found = el, true
						break
					}
				}
				if !found {
					return nil, fmt.Errorf("no element of %s has %s=%s", where, field, want)
				}
				continue
			}
		}
		switch x := v.(type) {
		case map[string]any:
			next, has := x[seg]
			if !has {
				return nil, fmt.Errorf("%s has no key %q", where, seg)
			}
			v = next
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || n >= len(x) {
				return nil, fmt.Errorf("%s has %d elements; no element %q", where, len(x), seg)
			}
			v = x[n]
		default:
			return nil, fmt.Errorf("%s is %s, not an object or array", where, formatJSON(v))
		}
	}
	return v, nil
}

// formatJSON renders a string as itself and anything else as compact JSON.
func formatJSON(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// TestLookupJSON pins the path language of the jsonpath script command, which every script relies on.
func TestLookupJSON(t *testing.T) {
	doc := `{"items":[{"name":"a","n":1,"tags":{"x":true}},{"name":"b.c","n":2,"meta":{"k":"v"}}],
		"obj":{"length":7,"z":null},"s":"text"}`
	tests := []struct {
		path, want, err string
	}{
		{path: "s", want: "text"},
		{path: "items.length", want: "2"},
		{path: "items.0.name", want: "a"},
		{path: "items[1].n", want: "2"},
		{path: "items[name=b.c].n", want: "2"},
		{path: "items[meta.k=v].name", want: "b.c"},
		{path: "items[n=1].tags", want: `{"x":true}`},
		{path: "obj.length", want: "7"},
		{path: "obj.z", want: "null"},
		{path: "items.2", err: "has 2 elements"},
		{path: "items[name=zz]", err: "no element"},
		{path: "obj.missing", err: `no key "missing"`},
		{path: "s.length", err: "not an object or array"},
		{path: "items.", err: "empty segment"},
		{path: "items..n", err: "empty segment"},
		{path: "items[0", err: "unclosed"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			v, err := lookupJSON(doc, tt.path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("lookupJSON(%q) = %s, %v; want error containing %q", tt.path, formatJSON(v), err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("lookupJSON(%q): %v", tt.path, err)
			}
			if got := formatJSON(v); got != tt.want {
				t.Errorf("lookupJSON(%q) = %s; want %s", tt.path, got, tt.want)
			}
		})
	}
}
