package gates

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Entry is one decision in the decision log: what was asked, under which policy version, the
// input the gates saw and every gate's result. Entries form a chain: each holds the hash of
// the one before, and its own hash covers its content and that link, so changing, removing or
// reordering any entry breaks the chain from there on.
type Entry struct {
	// ID is the entry's position in the chain, from 1.
	ID            int64      `json:"id"`
	Time          time.Time  `json:"time"`
	Source        string     `json:"source,omitempty"`
	Pacticipant   string     `json:"pacticipant"`
	Version       string     `json:"version"`
	Digest        string     `json:"digest,omitempty"`
	Transition    Transition `json:"transition"`
	Environment   string     `json:"environment,omitempty"`
	PolicyVersion int        `json:"policyVersion"`
	PolicyDigest  string     `json:"policyDigest"`
	Decision      Decision   `json:"decision"`
	Input         Input      `json:"input"`
	PrevHash      string     `json:"prevHash"`
	Hash          string     `json:"hash,omitempty"`
}

// GenesisHash is the previous hash of the first entry.
const GenesisHash = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// Canonical encodes v as JSON with object keys sorted, no insignificant space and no HTML
// escaping: the same content always gives the same bytes, whoever encodes it.
func Canonical(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return canonicalJSON(data)
}

// canonicalJSON re-encodes a JSON document canonically; numbers keep their text.
func canonicalJSON(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(generic); err != nil { // maps encode with sorted keys
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Seal links the entry to the previous hash and computes its own: it returns the canonical
// body (the entry without its hash) that the hash is of.
func (e *Entry) Seal(prevHash string) ([]byte, error) {
	e.PrevHash, e.Hash = prevHash, ""
	body, err := Canonical(e)
	if err != nil {
		return nil, fmt.Errorf("encode decision %d: %w", e.ID, err)
	}
	e.Hash = hashOf(body)
	return body, nil
}

func hashOf(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// SealedEntry is an entry as stored: the canonical body the hash covers, the hash, and the
// columns stored beside them for queries, which must agree with the body.
type SealedEntry struct {
	ID          int64
	Body        []byte
	Hash        string
	PrevHash    string
	Pacticipant string
	Version     string
	Environment string
	Transition  string
	Result      string
}

// Entry decodes the body.
func (s SealedEntry) Entry() (Entry, error) {
	var e Entry
	if err := json.Unmarshal(s.Body, &e); err != nil {
		return e, fmt.Errorf("decode decision %d: %w", s.ID, err)
	}
	e.Hash = s.Hash
	return e, nil
}

// Line is the entry as one line of the JSON-lines export: the canonical body with its hash.
func (s SealedEntry) Line() ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(s.Body, &m); err != nil {
		return nil, fmt.Errorf("decode decision %d: %w", s.ID, err)
	}
	h, _ := json.Marshal(s.Hash)
	m["hash"] = h
	return Canonical(m)
}

// ChainReport is the outcome of verifying the decision log.
type ChainReport struct {
	OK      bool   `json:"ok"`
	Entries int64  `json:"entries"`
	Head    string `json:"head,omitempty"` // the last entry's hash
	// BrokenAt is the first entry that does not verify, and Problem says why.
	BrokenAt int64  `json:"brokenAt,omitempty"`
	Problem  string `json:"problem,omitempty"`
}

// ChainVerifier checks entries one at a time, in order.
type ChainVerifier struct {
	report ChainReport
	prev   string
	done   bool
}

// NewChainVerifier starts a verification at the first entry.
func NewChainVerifier() *ChainVerifier {
	return &ChainVerifier{prev: GenesisHash, report: ChainReport{OK: true}}
}

// Add checks the next stored entry: its position, its link to the previous one, its hash and
// that the query columns agree with its body. After the first problem it checks no more.
func (v *ChainVerifier) Add(s SealedEntry) {
	if v.done {
		return
	}
	v.report.Entries++
	fail := func(format string, args ...any) {
		v.report.OK, v.report.BrokenAt, v.report.Problem, v.done = false, s.ID, fmt.Sprintf(format, args...), true
	}
	want := v.report.Entries
	switch {
	case s.ID != want:
		fail("entry %d is missing: the log goes on with entry %d", want, s.ID)
		return
	case s.PrevHash != v.prev:
		fail("entry %d links to %s, but the entry before it hashes to %s", s.ID, s.PrevHash, v.prev)
		return
	}
	canon, err := canonicalJSON(s.Body)
	if err != nil || !bytes.Equal(canon, s.Body) {
		fail("entry %d is not in canonical form: it was edited", s.ID)
		return
	}
	if got := hashOf(s.Body); got != s.Hash {
		fail("entry %d hashes to %s but is stored with %s: its content was changed", s.ID, got, s.Hash)
		return
	}
	e, err := s.Entry()
	if err != nil {
		fail("%v", err)
		return
	}
	switch {
	case e.ID != s.ID:
		fail("entry %d says it is entry %d", s.ID, e.ID)
		return
	case e.PrevHash != s.PrevHash:
		fail("entry %d's stored link differs from the one it was hashed with", s.ID)
		return
	case e.Pacticipant != s.Pacticipant || e.Version != s.Version || e.Environment != s.Environment ||
		string(e.Transition) != s.Transition || string(e.Decision.Result) != s.Result:
		fail("entry %d's query columns (%s %s %s %s: %s) differ from its content (%s %s %s %s: %s)", s.ID,
			s.Pacticipant, s.Version, s.Transition, s.Environment, s.Result,
			e.Pacticipant, e.Version, e.Transition, e.Environment, e.Decision.Result)
		return
	}
	v.prev = s.Hash
	v.report.Head = s.Hash
}

// Report is the verdict so far.
func (v *ChainVerifier) Report() ChainReport { return v.report }

// VerifyLines checks an export in JSON lines, as treaty gate log --output jsonl writes it:
// each line's hash must cover the line without it, and link to the line before.
func VerifyLines(data []byte) ChainReport {
	v := NewChainVerifier()
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	if len(bytes.TrimSpace(data)) == 0 {
		return v.Report()
	}
	for i, line := range lines {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(line, &m); err != nil {
			return ChainReport{Entries: int64(i + 1), BrokenAt: int64(i + 1), Problem: fmt.Sprintf("line %d is not JSON: %v", i+1, err)}
		}
		var hash string
		_ = json.Unmarshal(m["hash"], &hash)
		delete(m, "hash")
		body, err := Canonical(m)
		if err != nil {
			return ChainReport{Entries: int64(i + 1), BrokenAt: int64(i + 1), Problem: err.Error()}
		}
		var e Entry
		if err := json.Unmarshal(body, &e); err != nil {
			return ChainReport{Entries: int64(i + 1), BrokenAt: int64(i + 1), Problem: fmt.Sprintf("line %d is not a decision: %v", i+1, err)}
		}
		v.Add(SealedEntry{ID: e.ID, Body: body, Hash: hash, PrevHash: e.PrevHash, Pacticipant: e.Pacticipant, Version: e.Version,
			Environment: e.Environment, Transition: string(e.Transition), Result: string(e.Decision.Result)})
	}
	return v.Report()
}
