package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// --pprof-addr serves Go's profiles on a loopback listener of its own, and
// only there: the API listener does not have them, and an address off the
// machine is refused before anything starts.
func TestPprofLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:6060", "[::]:0", "nonsense"} {
		db := "sqlite:" + filepath.Join(t.TempDir(), "p.db")
		err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--pprof-addr", addr},
			func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--pprof-addr") {
			t.Errorf("--pprof-addr %s: got %v, want a refusal naming the flag", addr, err)
		}
	}

	s := startRun(t, "sqlite:"+filepath.Join(t.TempDir(), "p.db"), "--pprof-addr", "127.0.0.1:0")
	pprofURL := s.stdout.wait(t, regexp.MustCompile(`pprof on (http://\S+)`))
	get := func(url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(pprofURL + "/debug/pprof/"); code != http.StatusOK {
		t.Errorf("pprof index: %d, want 200", code)
	}
	if code := get(pprofURL + "/debug/pprof/heap"); code != http.StatusOK {
		t.Errorf("heap profile: %d, want 200", code)
	}
	if code := get(s.url + "/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("pprof on the API listener: %d, want 404", code)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
}
