package openapi

import (
	"os"
	"path/filepath"
	"testing"
)

// corpusFiles returns the contents of every corpus case's file of the given name, to seed
// the fuzzers.
func corpusFiles(f *testing.F, names ...string) [][]byte {
	var out [][]byte
	for _, name := range names {
		files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*", name))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, data)
		}
	}
	return out
}

// FuzzLoad: any input either loads or is refused with an error; a loaded document can be
// indexed and compared against.
func FuzzLoad(f *testing.F) {
	for _, data := range corpusFiles(f, "openapi.yaml", "openapi.json") {
		f.Add(data)
	}
	f.Add([]byte(`{"openapi":"3.0.0","info":{"title":"x","version":"1"},"paths":{"/a":{"$ref":"other.yaml#/x"}}}`))
	f.Add([]byte("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/A'}\n"))
	pact, err := ParsePact([]byte(`{"interactions":[{"request":{"method":"GET","path":"/a/1"},"response":{"status":200,"body":{"a":[1,{"b":null}]}}}]}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Load(data)
		if err != nil {
			return
		}
		_ = doc.Warnings()
		_ = doc.SHA()
		Compare(pact, doc, DefaultProfile)
	})
}

// FuzzCompare: any pact, against any document of the corpus, is compared without a panic
// or a hang, and the result is sorted and typed.
func FuzzCompare(f *testing.F) {
	var docs []*Document
	for _, data := range corpusFiles(f, "openapi.yaml") {
		d, err := Load(data)
		if err != nil {
			f.Fatal(err)
		}
		docs = append(docs, d)
	}
	for i, data := range corpusFiles(f, "pact.json") {
		f.Add(data, uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		pact, err := ParsePact(data)
		if err != nil {
			return
		}
		for _, profile := range []Profile{DefaultProfile, PactFlowProfile} {
			res := Compare(pact, docs[int(which)%len(docs)], profile)
			for _, f := range res.Findings {
				if severityOf[f.Code] == "" || (f.Type != SeverityError && f.Type != SeverityWarning) {
					t.Fatalf("finding with unknown code or type: %+v", f)
				}
			}
		}
	})
}
