package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/internal/hdwallet"
)

var mnemonicRe = regexp.MustCompile(`(?m)^\s+((?:[a-z]+ ){11}[a-z]+)\s*$`)

// TestCryptoEndToEnd: a new database gets a test wallet whose mnemonic is
// printed once and whose xpub alone is stored; with --eth-test-rate a
// session is quoted in ETH; crypto configure refuses an xprv and sets an
// xpub whose addresses the next sessions get; the test helper pays one.
func TestCryptoEndToEnd(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "crypto.db")
	srv := startRun(t, db, "--eth-test-rate", "3000")
	mnemonic := srv.stdout.wait(t, mnemonicRe)
	xpub, err := hdwallet.AccountXPub(mnemonic, "")
	if err != nil {
		t.Fatalf("the printed mnemonic %q: %v", mnemonic, err)
	}
	cli := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append(args[:2:2], append([]string{"--db", db}, args[2:]...)...),
			func(string) string { return "" }, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	out, err := cli("crypto", "show")
	if err != nil || !strings.Contains(out, "xpub:           "+xpub) || !strings.Contains(out, "chain id:       1337") {
		t.Fatalf("crypto show: %v\n%s", err, out)
	}
	if strings.Contains(out, strings.Fields(mnemonic)[0]+" "+strings.Fields(mnemonic)[1]) {
		t.Error("crypto show prints the mnemonic")
	}

	post := func(path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.skey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
		}
		return v
	}
	first := post("/api/v1/checkout_sessions", `{"amount": {"value": "30.00", "currency": "USD"}}`)
	acct, _ := hdwallet.ParseXPub(xpub)
	want0, _ := acct.Address(0)
	if first["address"] != want0 || first["amount"].(map[string]any)["eth"] != "0.01" {
		t.Errorf("first session: %v", first)
	}

	const abandon = "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt"
	const xprv = "xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM"
	if out, err := cli("crypto", "configure", "--mode", "test", "--xpub", xprv, "--chain-id", "1337"); err == nil ||
		!strings.Contains(err.Error(), "--xpub") || !strings.Contains(err.Error(), "private key") {
		t.Errorf("configure with an xprv: %v\n%s", err, out)
	}
	if out, err := cli("crypto", "configure", "--mode", "test", "--xpub", abandon, "--chain-id", "11155111",
		"--confirmations", "2", "--spread", "1.5"); err != nil || !strings.Contains(out, "spread:         150 bps") {
		t.Fatalf("configure: %v\n%s", err, out)
	}
	if _, err := cli("crypto", "configure", "--xpub", abandon, "--chain-id", "1", "--spread", "x"); err == nil {
		t.Error("configure with a bad spread: no error")
	}
	// The index counter goes on: the next session takes index 1.
	s := post("/api/v1/checkout_sessions", `{"amount": {"value": "30.00", "currency": "USD"}}`)
	if s["address"] != "0x6Fac4D18c912343BF86fa7049364Dd4E424Ab9C0" || s["chainId"] != float64(11155111) || s["confirmations"] != float64(2) {
		t.Errorf("session after configure: %v", s)
	}
	paid := post("/api/v1/test_helpers/checkout_sessions/"+s["id"].(string)+"/crypto_payment", `{}`)
	if paid["status"] != "paid" {
		t.Errorf("after the test helper: %v", paid)
	}
}
