// Package maintest runs an example service's main loop inside a test, the way a person or the
// demo starts it: on a free port, reading the URL it prints.
package maintest

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"testing"
	"time"
)

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// Start calls run in the background with a context and the writer for its standard output,
// waits for the "listening on URL" line and returns the URL. When the test ends it cancels the
// context and fails the test unless run returns 0.
func Start(t *testing.T, run func(ctx context.Context, stdout io.Writer) int) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		code := run(ctx, pw)
		pw.Close()
		exit <- code
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exit:
			if code != 0 {
				t.Errorf("service exited with %d after shutdown, want 0", code)
			}
		case <-time.After(10 * time.Second):
			t.Error("service did not shut down within 10s")
		}
	})

	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
				break
			}
		}
		close(urls)
		_, _ = io.Copy(io.Discard, pr) // keep the service from blocking on later output
	}()
	select {
	case url, ok := <-urls:
		if !ok {
			t.Fatal("service exited without printing the URL it listens on")
		}
		return url
	case <-time.After(10 * time.Second):
		t.Fatal("service did not print the URL it listens on within 10s")
		return ""
	}
}
