package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeBlocks returns the fenced blocks of the Markdown file whose info
// string is exactly "sh run", in order.
func readmeBlocks(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	var cur *strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```sh run":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	if cur != nil {
		t.Fatalf("%s: a `sh run` block is not closed", path)
	}
	return blocks
}

// readmePrelude wraps curl so that every call reports its status on fd 3
// and fails the script when the status is 400 or more.
const readmePrelude = `set -euo pipefail
curl() {
  local out code
  out=$(command curl -sS -w '\n%{http_code}' "$@")
  code=${out##*$'\n'}
  printf '%s\n' "${out%$'\n'*}"
  printf 'STATUS %s curl %s\n' "$code" "$*" >&3
  if [ "$code" -ge 400 ] || [ "$code" -lt 100 ]; then
    printf 'README: curl %s answered %s\n' "$*" "$code" >&2
    return 1
  fi
}
`

var readmeStatusRe = regexp.MustCompile(`(?m)^STATUS (\d+) (.*)$`)

// TestReadmeShellBlocks runs the README's `sh run` blocks, in order, in one
// bash session against a real server, as a reader pasting them would, and
// checks that every curl in them succeeded: the README cannot drift from
// the server.
func TestReadmeShellBlocks(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the README's shell blocks need it", tool)
		}
	}
	blocks := readmeBlocks(t, filepath.Join("..", "..", "README.md"))
	if len(blocks) < 5 {
		t.Fatalf("README has %d `sh run` blocks, want the curl walk-through's (5 or more)", len(blocks))
	}
	srv := startRun(t, "sqlite:"+filepath.Join(t.TempDir(), "readme.db"))
	script := strings.Join(blocks, "\n")
	wantCurls := regexp.MustCompile(`(?m)(^|\$\(|\| )\s*curl `).FindAllStringIndex(script, -1)
	script = strings.NewReplacer("http://127.0.0.1:8080", srv.url, "skey_test_…", srv.skey).Replace(script)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "bash", "-c", readmePrelude+script)
	cmd.Dir = t.TempDir()
	cmd.ExtraFiles = []*os.File{statusW}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	statusW.Close()
	var statuses bytes.Buffer
	statuses.ReadFrom(statusR)
	statusR.Close()
	if runErr != nil {
		t.Fatalf("the README's shell blocks failed: %v\nstderr:\n%s\nstatuses:\n%s\nstdout:\n%s", runErr, stderr.String(), statuses.String(), stdout.String())
	}
	got := readmeStatusRe.FindAllStringSubmatch(statuses.String(), -1)
	if len(got) != len(wantCurls) {
		t.Errorf("%d curl commands ran, want the %d the blocks hold:\n%s", len(got), len(wantCurls), statuses.String())
	}
	for _, m := range got {
		t.Logf("%s %s", m[1], m[2])
	}
	if strings.Contains(statuses.String(), "/null") {
		t.Error("an id read from a response with jq was null")
	}
}
