// Package registrytest starts a real container registry for tests: Debian's docker-registry
// (the CNCF distribution registry, /usr/bin/docker-registry) on a free loopback port, with its
// storage in a temporary directory, stopped when the test ends.
package registrytest

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Binary is where Debian's docker-registry package installs the registry.
const Binary = "/usr/bin/docker-registry"

// Registry is a running registry.
type Registry struct {
	// Host is the registry's host:port on loopback, the first part of an image reference
	// ("127.0.0.1:PORT/order-service:a3f9c21"). go-containerregistry talks plain HTTP to
	// loopback hosts.
	Host string
	// Dir is the registry's storage directory.
	Dir string
}

// Start starts a registry that lives until the test ends. Without the binary it skips the
// test, unless CI is set: CI must run these tests (.ci/install-tools.sh installs it).
func Start(t testing.TB) *Registry {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatalf("%s is missing: CI must run the registry tests (.ci/install-tools.sh installs Debian's docker-registry)", Binary)
		}
		t.Skipf("skipping: %s is not installed (apt-get install docker-registry, or make setup as root)", Binary)
	}
	dir := t.TempDir()
	// A free port can be taken between choosing it and the registry binding it; try again then.
	var lastErr error
	for range 3 {
		r, err := start(t, dir)
		if err == nil {
			return r
		}
		lastErr = err
	}
	t.Fatalf("start %s: %v", Binary, lastErr)
	return nil
}

func start(t testing.TB, dir string) (*Registry, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	host := "127.0.0.1:" + strconv.Itoa(port)
	storage := filepath.Join(dir, "storage")
	config := filepath.Join(dir, "config.yml")
	// Only the API listener; no debug listener, no notifications, no proxying to any upstream.
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
http:
  addr: %q
`, storage, host)
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	var logs syncBuffer
	cmd := exec.Command(Binary, "serve", config)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}

	deadline := time.Now().Add(10 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("registry exited before it was ready (%v): %s", err, logs.String())
		default:
		}
		if resp, err := client.Get("http://" + host + "/v2/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("registry on %s not ready within 10s: %s", host, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("docker-registry output:\n%s", logs.String())
		}
	})
	return &Registry{Host: host, Dir: storage}, nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Closed returns a loopback host:port where nothing listens: an unreachable registry.
func Closed(t testing.TB) string {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + strconv.Itoa(port)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 { // keep the last part of long logs only
		b.buf.Reset()
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
