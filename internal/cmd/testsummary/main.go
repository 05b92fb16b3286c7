// Command testsummary reads `go test -json` on stdin and writes a short
// report: one line per package (as go test prints it), the output of every
// failed test, one line per package and reason for skipped tests (so a
// reader sees what did not run and why), and last, on a line alone,
//
//	N passed, N failed, N skipped
//
// counting every test and subtest. A package that failed outside any test
// (a build error, a panic in TestMain, a timeout) counts as one failure.
// It exits 1 when anything failed. .ci/run pipes the test run through it:
//
//	go test -json ./... | go run ./internal/cmd/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action      string
	Package     string
	ImportPath  string // of build-output events
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
}

// counts are the tallies of a run.
type counts struct{ passed, failed, skipped int }

// String is the summary line.
func (c counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", c.passed, c.failed, c.skipped)
}

func main() {
	out := flag.String("o", "", "also write the summary line to this file")
	flag.Parse()
	c, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if *out != "" {
		if err := os.WriteFile(*out, []byte(c.String()+"\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "testsummary:", err)
			os.Exit(2)
		}
	}
	if c.failed > 0 {
		os.Exit(1)
	}
}

// pkgState is what summarize keeps of a package until it ends.
type pkgState struct {
	output      map[string]*strings.Builder // by test name
	skipReasons map[string]int              // reason -> tests
	failedTests int
}

// locationRe is the "file_test.go:12: " a t.Skip message starts with.
var locationRe = regexp.MustCompile(`^\s*[\w./-]+\.go:\d+: `)

// summarize reads test2json events from r, writes the report to w and
// returns the counts. Lines that are not JSON (the go command's own
// errors) are copied as they are.
func summarize(r io.Reader, w io.Writer) (counts, error) {
	var c counts
	pkgs := map[string]*pkgState{}
	state := func(name string) *pkgState {
		p := pkgs[name]
		if p == nil {
			p = &pkgState{output: map[string]*strings.Builder{}, skipReasons: map[string]int{}}
			pkgs[name] = p
		}
		return p
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		switch e.Action {
		case "build-output":
			fmt.Fprint(w, e.Output)
			continue
		case "build-fail":
			continue
		}
		p := state(e.Package)
		if e.Test == "" {
			switch e.Action {
			case "output":
				b := p.output[""]
				if b == nil {
					b = &strings.Builder{}
					p.output[""] = b
				}
				b.WriteString(e.Output)
			case "pass":
				fmt.Fprintf(w, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
				writeSkips(w, p)
				delete(pkgs, e.Package)
			case "skip":
				fmt.Fprintf(w, "?   \t%s\t[no test files]\n", e.Package)
				delete(pkgs, e.Package)
			case "fail":
				if p.failedTests == 0 {
					// Nothing else explains the failure: show what the
					// package printed outside its tests.
					if b := p.output[""]; b != nil {
						for _, l := range strings.SplitAfter(b.String(), "\n") {
							if !strings.HasPrefix(l, "FAIL") && l != "" {
								fmt.Fprint(w, l)
							}
						}
					}
					c.failed++
				}
				if e.FailedBuild != "" {
					fmt.Fprintf(w, "FAIL\t%s [build failed]\n", e.Package)
				} else {
					fmt.Fprintf(w, "FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
				}
				writeSkips(w, p)
				delete(pkgs, e.Package)
			}
			continue
		}
		switch e.Action {
		case "output":
			b := p.output[e.Test]
			if b == nil {
				b = &strings.Builder{}
				p.output[e.Test] = b
			}
			b.WriteString(e.Output)
		case "pass":
			c.passed++
			delete(p.output, e.Test)
		case "skip":
			c.skipped++
			p.skipReasons[skipReason(p.output[e.Test])]++
			delete(p.output, e.Test)
		case "fail":
			c.failed++
			p.failedTests++
			if b := p.output[e.Test]; b != nil {
				fmt.Fprint(w, b.String())
			}
			delete(p.output, e.Test)
		}
	}
	if err := sc.Err(); err != nil {
		return c, err
	}
	// Packages with no end event: the run was cut short.
	for name, p := range pkgs {
		if len(p.output) > 0 {
			fmt.Fprintf(w, "FAIL\t%s [incomplete]\n", name)
			c.failed++
		}
	}
	fmt.Fprintln(w, c.String())
	return c, nil
}

// skipReason returns the message of a skipped test's output: its last line
// that is not go test's own "--- SKIP"/"=== RUN" bookkeeping, without the
// file:line prefix.
func skipReason(b *strings.Builder) string {
	if b == nil {
		return "no reason given"
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "===") {
			continue
		}
		return locationRe.ReplaceAllString(l, "")
	}
	return "no reason given"
}

// writeSkips writes one line per reason the package's tests skipped for.
func writeSkips(w io.Writer, p *pkgState) {
	reasons := make([]string, 0, len(p.skipReasons))
	for r := range p.skipReasons {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		n := p.skipReasons[r]
		noun := "tests"
		if n == 1 {
			noun = "test"
		}
		fmt.Fprintf(w, "    skipped %d %s: %s\n", n, noun, r)
	}
}
