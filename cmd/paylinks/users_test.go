package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/internal/server"
	"github.com/paylinks/paylinks/internal/service"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// TestUsersCreate: `users create` prints a setup link that sets the new
// user's password on a server over the same database; its errors name the
// field (an unknown account, a taken email, a bad role).
func TestUsersCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db := "sqlite:" + path
	cli := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut strings.Builder
		err := run(context.Background(), append([]string{"users", "create", "--db", db}, args...),
			func(string) string { return "" }, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	// The database has no account yet: made by keys create.
	if _, err := cli("--account", "default", "--email", "a@example.com"); err == nil || !strings.Contains(err.Error(), `no account is named "default"`) {
		t.Errorf("users create without the account: %v", err)
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"keys", "create", "--db", db}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatal(err)
	}
	got, err := cli("--email", "Owner@Example.com", "--public-url", "https://pay.example.com/")
	if err != nil {
		t.Fatalf("users create: %v\n%s", err, got)
	}
	m := regexp.MustCompile(`https://pay\.example\.com/dashboard/setup\?token=([A-Za-z0-9_-]{43})\n`).FindStringSubmatch(got)
	if m == nil || !strings.Contains(got, "owner owner@example.com") {
		t.Fatalf("users create printed:\n%s", got)
	}
	if _, err := cli("--email", "owner@example.com"); err == nil || !strings.Contains(err.Error(), "email") {
		t.Errorf("a taken email: %v", err)
	}
	if _, err := cli("--email", "v@example.com", "--role", "admin"); err == nil || !strings.Contains(err.Error(), "role") {
		t.Errorf("role admin: %v", err)
	}

	// The link works on a server over that database.
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(server.New(server.Config{Service: service.New(st, service.Options{})}))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv.URL + "/dashboard/setup?token=" + m[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if tok == nil {
		t.Fatalf("setup page has no form:\n%s", page)
	}
	pw := "a long enough password"
	resp, err = c.PostForm(srv.URL+"/dashboard/setup", url.Values{"csrf": {string(tok[1])}, "token": {m[1]}, "password": {pw}, "confirm": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set the password: %d", resp.StatusCode)
	}
	if _, _, _, err := service.New(st, service.Options{}).SignIn(context.Background(), "owner@example.com", pw); err != nil {
		t.Errorf("sign in with the password set through the printed link: %v", err)
	}
}
