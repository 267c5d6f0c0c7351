package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// receiver is an HTTP endpoint playing a CI server that webhooks call: it answers 500 to its
// first requests, as a CI server that is down would, then 200, and writes every request body
// to $WORK/NAME.requests.
type receiver struct {
	mu       sync.Mutex
	fails    int
	attempts int
	ok       int
	log      *os.File
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	status := http.StatusOK
	if r.attempts <= r.fails {
		status = http.StatusInternalServerError
	} else {
		r.ok++
	}
	fmt.Fprintf(r.log, "%d %s %s %s\n", status, req.Method, req.URL.Path, body)
	w.WriteHeader(status)
}

type receiverKey string

// cmdReceiverStart implements `receiver-start NAME FAILS`: it starts a receiver on loopback,
// sets NAME_URL, and stops it when the script ends.
func cmdReceiverStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: receiver-start NAME FAILS")
	}
	fails, err := strconv.Atoi(args[1])
	ts.Check(err)
	log, err := os.Create(filepath.Join(ts.Getenv("WORK"), args[0]+".requests"))
	ts.Check(err)
	r := &receiver{fails: fails, log: log}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	ts.Defer(func() {
		_ = srv.Close()
		_ = log.Close()
	})
	receivers.Store(ts.Getenv("WORK")+"/"+args[0], r)
	ts.Setenv(args[0]+"_URL", "http://"+ln.Addr().String()+"/hooks/"+args[0])
}

// receivers holds the running receivers by $WORK/NAME (scripts run in parallel).
var receivers sync.Map

// cmdReceiverWait implements `receiver-wait NAME attempts|ok N`: it waits up to 30 s until
// the receiver has had N requests (attempts) or N successful deliveries (ok).
func cmdReceiverWait(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 || (args[1] != "attempts" && args[1] != "ok") {
		ts.Fatalf("usage: receiver-wait NAME attempts|ok N")
	}
	v, ok := receivers.Load(ts.Getenv("WORK") + "/" + args[0])
	if !ok {
		ts.Fatalf("receiver-wait: no receiver %s", args[0])
	}
	r := v.(*receiver)
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r.mu.Lock()
		got := r.attempts
		if args[1] == "ok" {
			got = r.ok
		}
		r.mu.Unlock()
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("receiver-wait: %s has %d %s after 30s, want %d", args[0], got, args[1], want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
