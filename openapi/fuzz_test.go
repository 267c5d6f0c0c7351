package openapi

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
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
// indexed and compared against; decodeSpec reads it as kin-openapi does, canonicalSHA
// hashes it as json.Marshal writes it.
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
		checkDecodeSpec(t, data)
		if tree, err := parseTree(data); err == nil && checkTree(tree) == nil {
			checkCanonical(t, tree)
		}
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

// FuzzReadJSON: what readJSON reads, encoding/json reads the same, as one value with only
// white space after it.
func FuzzReadJSON(f *testing.F) {
	for _, data := range corpusFiles(f, "openapi.json", "pact.json") {
		f.Add(data)
	}
	for _, s := range []string{`"\ud83d\ude00 \ud83d \udc00 \u00e9 \/ \b\f\n\r\t"`, "\"\xff\xfe a \xed\xa0\x80\"", `[1, -0, 0.5e-3, 1E+400, 12345678901234567890]`,
		`{"a":1,"a":2} `, `{"a":1}]`, ` [true, false, null, {}, []]`, `01`, `1.`, `-`, `"\'"`, `{"a" 1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, numbers := range []bool{false, true} {
			got, ok := readJSON(data, numbers)
			if !ok {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(data))
			if numbers {
				dec.UseNumber()
			}
			var want any
			if err := dec.Decode(&want); err != nil {
				t.Fatalf("readJSON read %q, encoding/json says %v", data, err)
			}
			if _, err := dec.Token(); err != io.EOF {
				t.Fatalf("readJSON read %q, encoding/json finds more after the value", data)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("readJSON(%q) = %#v, encoding/json reads %#v", data, got, want)
			}
		}
	})
}
