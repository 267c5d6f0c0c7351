package pipelines

import (
	"bytes"
	"io"
	"sync"
)

// prefixWriter writes whole lines, each with a prefix, to a writer shared by concurrent
// runs: mu serialises the lines so two steps' output never interleaves within a line. A copy
// of what is written goes to tee (without the prefixes).
type prefixWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	tee    io.Writer

	bufMu sync.Mutex
	buf   []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.bufMu.Lock()
	defer p.bufMu.Unlock()
	if p.tee != nil {
		_, _ = p.tee.Write(b)
	}
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		p.emit(p.buf[:i+1])
		p.buf = p.buf[i+1:]
	}
	// A very long line without an end is written as it is, rather than kept forever.
	if len(p.buf) > 64<<10 {
		p.emit(append(p.buf, '\n'))
		p.buf = nil
	}
	return len(b), nil
}

func (p *prefixWriter) emit(line []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.w, p.prefix)
	_, _ = p.w.Write(line)
}

// Flush writes a last line that has no end yet.
func (p *prefixWriter) Flush() {
	p.bufMu.Lock()
	defer p.bufMu.Unlock()
	if len(p.buf) > 0 {
		p.emit(append(p.buf, '\n'))
		p.buf = nil
	}
}

// tailBuffer keeps the last max bytes written to it, from a line's start where it can.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > 2*t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > t.max {
		b = b[len(b)-t.max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
	}
	return string(bytes.ToValidUTF8(b, []byte("?")))
}
