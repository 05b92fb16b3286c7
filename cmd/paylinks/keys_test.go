package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/internal/servertest"
	"github.com/paylinks/paylinks/internal/store/postgres"
)

// TestKeysRevokeWholeKey: `keys revoke` takes a whole key (a leaked one,
// pasted as it is) as well as a prefix; it revokes that key and no other,
// never prints the whole key back, and its errors name each code once.
func TestKeysRevokeWholeKey(t *testing.T) {
	for _, backend := range servertest.Backends() {
		t.Run(backend, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "p.db")
			if backend == "postgres" {
				db = postgres.TestDSN(t)
			}
			cli := func(args ...string) (string, error) {
				t.Helper()
				var out, errOut strings.Builder
				err := run(context.Background(), append(args[:1:1], append([]string{args[1], "--db", db}, args[2:]...)...),
					func(string) string { return "" }, &out, &errOut)
				return out.String() + errOut.String(), err
			}
			create := func() string {
				t.Helper()
				out, err := cli("keys", "create", "--mode", "test", "--kind", "secret")
				if err != nil {
					t.Fatalf("keys create: %v", err)
				}
				return strings.TrimSpace(out)
			}
			leaked, kept, pasted := create(), create(), create()
			revoked := func(key string) bool {
				t.Helper()
				out, err := cli("keys", "list")
				if err != nil {
					t.Fatalf("keys list: %v", err)
				}
				for line := range strings.Lines(out) {
					if strings.HasPrefix(line, key[:16]+"…") {
						return !strings.HasSuffix(strings.TrimSpace(line), "-")
					}
				}
				t.Fatalf("keys list lacks %s…:\n%s", key[:16], out)
				return false
			}

			out, err := cli("keys", "revoke", leaked)
			if err != nil || !strings.Contains(out, "revoked "+leaked[:16]+"…") || strings.Contains(out, leaked) {
				t.Fatalf("revoke a whole key: %q %v, want it revoked and named by its prefix only", out, err)
			}
			if !revoked(leaked) || revoked(kept) || revoked(pasted) {
				t.Errorf("after revoking %s…: revoked %v, %v, %v; want only the first", leaked[:16], revoked(leaked), revoked(kept), revoked(pasted))
			}
			// As pasted from a terminal: with a line end.
			if _, err := cli("keys", "revoke", pasted+"\n"); err != nil || !revoked(pasted) {
				t.Errorf("revoke a whole key with a line end: %v", err)
			}

			for _, tc := range []struct {
				name, arg, code string
			}{
				{"the same key again", leaked, "key_revoked"},
				{"a whole key that is no key", "skey_test_" + strings.Repeat("0", 24), "not_found"},
				{"an unknown prefix", "skey_test_zzzzzz", "not_found"},
				{"a cut key", kept[:20], "bad_request"},
			} {
				_, err := cli("keys", "revoke", tc.arg)
				if err == nil {
					t.Errorf("revoke %s: no error", tc.name)
					continue
				}
				msg := err.Error()
				if strings.Count(msg, tc.code) != 1 {
					t.Errorf("revoke %s: %q, want the code %s once", tc.name, msg, tc.code)
				}
				if len(tc.arg) > 16 && strings.Contains(msg, tc.arg) {
					t.Errorf("revoke %s: the error %q shows the key given", tc.name, msg)
				}
			}
			if revoked(kept) {
				t.Error("a failed revoke revoked the kept key")
			}
			// A prefix still works.
			if out, err := cli("keys", "revoke", kept[:16]+"…"); err != nil || !revoked(kept) {
				t.Errorf("revoke by prefix: %q %v", out, err)
			}
		})
	}
}
