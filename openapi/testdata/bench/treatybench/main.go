// Command treatybench times Treaty's comparison of the benchmark's pact with its OpenAPI
// document, for run.sh, which times the reference comparator (bench.mjs) the same way.
//
//	treatybench cold DIR        one cold comparison, in this fresh process
//	treatybench warm DIR W N    W comparisons to warm up, then N timed ones
//
// Cold is everything from the files' bytes in memory to the findings: Load (parse, refuse
// external references, validate), ParsePact, and Compare, whose first call compiles the
// document. Warm is Compare again with the document compiled and the pact parsed, as the
// broker compares many pacts with one provider contract. It prints one JSON line:
// {"findings": n, "ms": [samples]}.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/treaty-dev/treaty/openapi"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "treatybench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: treatybench cold DIR | warm DIR WARMUP SAMPLES")
	}
	docData, err := os.ReadFile(filepath.Join(args[1], "openapi.json"))
	if err != nil {
		return err
	}
	pactData, err := os.ReadFile(filepath.Join(args[1], "pact.json"))
	if err != nil {
		return err
	}
	var samples []float64
	var findings int
	switch {
	case args[0] == "cold" && len(args) == 2:
		start := time.Now()
		res, err := compare(docData, pactData)
		if err != nil {
			return err
		}
		samples = append(samples, ms(time.Since(start)))
		findings = len(res.Findings)
	case args[0] == "warm" && len(args) == 4:
		warmup, err1 := strconv.Atoi(args[2])
		n, err2 := strconv.Atoi(args[3])
		if err1 != nil || err2 != nil || warmup < 0 || n < 1 {
			return fmt.Errorf("warm: WARMUP and SAMPLES are counts")
		}
		doc, err := openapi.Load(docData)
		if err != nil {
			return err
		}
		pact, err := openapi.ParsePact(pactData)
		if err != nil {
			return err
		}
		for range warmup {
			openapi.Compare(pact, doc, openapi.DefaultProfile)
		}
		for range n {
			start := time.Now()
			res := openapi.Compare(pact, doc, openapi.DefaultProfile)
			samples = append(samples, ms(time.Since(start)))
			findings = len(res.Findings)
		}
	default:
		return fmt.Errorf("usage: treatybench cold DIR | warm DIR WARMUP SAMPLES")
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"findings": findings, "ms": samples})
}

func compare(docData, pactData []byte) (openapi.Result, error) {
	doc, err := openapi.Load(docData)
	if err != nil {
		return openapi.Result{}, err
	}
	pact, err := openapi.ParsePact(pactData)
	if err != nil {
		return openapi.Result{}, err
	}
	return openapi.Compare(pact, doc, openapi.DefaultProfile), nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
