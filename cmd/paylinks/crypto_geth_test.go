package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/paylinks/paylinks/internal/chain/gethtest"
	"github.com/paylinks/paylinks/internal/hdwallet"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// TestCryptoGethEndToEnd is issue #16's real-node test: the real server
// (run's serve, a fresh SQLite file) follows a real geth --dev through
// --eth-rpc-url. A session created through POST /api/v1/checkout_sessions
// is paid by a real transaction of its exact wei from the dev account:
// the API, the hosted page and its status endpoint say paid once it has 3
// confirmations, the events say detected then paid, and the Omise dialect
// lists the charge with a crypto source; a webhook endpoint of
// session.paid hears of it. A second session paid 1 wei short ends
// underpaid, with no charge.
func TestCryptoGethEndToEnd(t *testing.T) {
	node := gethtest.Start(t, "--dev.period", "1") // a block a second: confirmations come by themselves
	path := filepath.Join(t.TempDir(), "geth.db")
	db := "sqlite:" + path
	srv := startRun(t, db, "--eth-rpc-url", node.URL, "--eth-test-rate", "3000")
	if srv.skey == "" {
		t.Fatalf("first start printed no secret key:\n%s", srv.stdout)
	}
	mnemonic := srv.stdout.wait(t, mnemonicRe)
	xpub, err := hdwallet.AccountXPub(mnemonic, "")
	if err != nil {
		t.Fatalf("the printed mnemonic: %v", err)
	}
	var cliOut bytes.Buffer
	if err := run(context.Background(), []string{"crypto", "configure", "--db", db, "--mode", "test", "--xpub", xpub,
		"--chain-id", "1337", "--confirmations", "3"}, func(string) string { return "" }, &cliOut, &cliOut); err != nil ||
		!strings.Contains(cliOut.String(), "confirmations:  3") {
		t.Fatalf("crypto configure: %v\n%s", err, cliOut.String())
	}

	// A v1 webhook endpoint of session.paid and session.underpaid (test
	// mode: its loopback receiver is allowed).
	rc := newHookReceiver(t, true)
	createEndpoint(t, srv.url, srv.skey, map[string]any{"url": rc.srv.URL + "/hooks", "format": "v1",
		"events": []string{"session.paid", "session.underpaid"}})

	// The watcher starts at the head it finds: pay only once it has one.
	st, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := st.ChainHead(t.Context(), 1337); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server's watcher processed no block within 30s:\n%s", srv.stderr)
		}
	}

	api := func(method, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, srv.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+srv.skey)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return v
	}
	create := func() (id string, to common.Address, wei *big.Int) {
		t.Helper()
		s := api("POST", "/api/v1/checkout_sessions", `{"amount": {"value": "30.00", "currency": "USD"}}`)
		amount, _ := s["amount"].(map[string]any)
		w, _ := amount["wei"].(string)
		wei, ok := new(big.Int).SetString(w, 10)
		addr, _ := s["address"].(string)
		if !ok || wei.Sign() <= 0 || !common.IsHexAddress(addr) || s["chainId"] != float64(1337) ||
			s["confirmations"] != float64(3) || s["status"] != "pending" {
			t.Fatalf("session: %v", s)
		}
		return s["id"].(string), common.HexToAddress(addr), wei
	}
	// waitStatus polls the session through the API until it has status
	// want, for at most 60 s; it returns the session and every status seen.
	waitStatus := func(id, want string) (map[string]any, []string) {
		t.Helper()
		var seen []string
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			s := api("GET", "/api/v1/checkout_sessions/"+id, "")
			st, _ := s["status"].(string)
			if len(seen) == 0 || seen[len(seen)-1] != st {
				seen = append(seen, st)
			}
			if st == want {
				return s, seen
			}
			if time.Now().After(deadline) {
				t.Fatalf("session %s not %s within 60s: statuses %v, last %v\nserver log:\n%s", id, want, seen, s, srv.stderr)
			}
		}
	}

	// Exact payment.
	id, to, wei := create()
	start := time.Now()
	hash := node.Send(t, to, wei)
	s, seen := waitStatus(id, "paid")
	t.Logf("paid %s wei to %s in tx %s: statuses %v, %v after sending", wei, to.Hex(), hash.Hex(), seen, time.Since(start).Round(time.Millisecond))
	if s["txHash"] == nil || !strings.EqualFold(s["txHash"].(string), hash.Hex()) || s["receivedWei"] != wei.String() ||
		s["paidAt"] == nil || s["completedAt"] == nil {
		t.Errorf("paid session: %v, want tx %s of %s wei", s, hash.Hex(), wei)
	}
	for _, st := range seen {
		if st != "pending" && st != "detected" && st != "paid" {
			t.Errorf("session passed through %q on its way to paid: %v", st, seen)
		}
	}
	// The real node agrees: the transfer is in a block with >= 3 confirmations.
	rcpt, err := node.Client.TransactionReceipt(t.Context(), hash)
	if err != nil {
		t.Fatal(err)
	}
	if head, err := node.Client.BlockNumber(t.Context()); err != nil || head-rcpt.BlockNumber.Uint64()+1 < 3 {
		t.Errorf("paid with the tx in block %d and the head at %d (%v): fewer than 3 confirmations", rcpt.BlockNumber, head, err)
	}
	if got, err := node.Client.BalanceAt(t.Context(), to, nil); err != nil || got.Cmp(wei) != 0 {
		t.Errorf("the deposit address holds %s wei (%v), want %s", got, err, wei)
	}

	// The hosted page: its status endpoint says paid and where to go; the
	// page itself goes on to the receipt.
	resp, err := http.Get(srv.url + "/c/" + id + "/status")
	if err != nil {
		t.Fatal(err)
	}
	var status struct{ Status, Next string }
	err = json.NewDecoder(resp.Body).Decode(&status)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || status.Status != "paid" || status.Next != "/c/"+id+"/complete" {
		t.Errorf("GET /c/%s/status: %d %+v %v", id, resp.StatusCode, status, err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(srv.url + "/c/" + id)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/c/"+id+"/complete" {
		t.Errorf("GET /c/%s of a paid session: %d to %q, want 303 to its receipt", id, resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = http.Get(srv.url + "/c/" + id + "/complete")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte("Payment successful")) || !bytes.Contains(page, []byte("30.00")) ||
		!bytes.Contains(page, []byte("<dt>Paid with</dt><dd>ETH</dd>")) || bytes.Contains(page, []byte("••••")) {
		t.Errorf("receipt: %d\n%s", resp.StatusCode, page)
	}

	// The events: session.detected, then session.paid (the event a card
	// payment writes, so a type filter or an endpoint of session.paid
	// finds it), of this session.
	if types := sessionEvents(api, id, "session.detected,session.paid"); strings.Join(types, ",") != "session.detected,session.paid" {
		t.Errorf("events of %s, oldest first: %v, want session.detected then session.paid", id, types)
	}
	if types := sessionEvents(api, id, "session.paid"); strings.Join(types, ",") != "session.paid" {
		t.Errorf("events of %s of type session.paid: %v", id, types)
	}

	// Underpayment: 1 wei short ends underpaid once confirmed.
	id2, to2, wei2 := create()
	if to2 == to {
		t.Fatalf("two sessions got the same deposit address %s", to.Hex())
	}
	short := new(big.Int).Sub(wei2, big.NewInt(1))
	node.Send(t, to2, short)
	s2, seen2 := waitStatus(id2, "underpaid")
	if s2["receivedWei"] != short.String() || s2["paidAt"] != nil {
		t.Errorf("underpaid session (statuses %v): %v, want %s wei received and no paidAt", seen2, s2, short)
	}
	if types := sessionEvents(api, id2, ""); strings.Join(types, ",") != "session.pending,session.detected,session.underpaid" {
		t.Errorf("events of %s, oldest first: %v, want session.pending, session.detected, session.underpaid", id2, types)
	}
	resp, err = http.Get(srv.url + "/c/" + id2 + "/status")
	if err != nil {
		t.Fatal(err)
	}
	status.Next = ""
	err = json.NewDecoder(resp.Body).Decode(&status)
	resp.Body.Close()
	if err != nil || status.Status != "underpaid" || status.Next != "" {
		t.Errorf("GET /c/%s/status: %+v %v", id2, status, err)
	}

	// The endpoint got both sessions' events, and nothing else.
	rc.waitDistinct(t, 2, 30*time.Second)
	time.Sleep(300 * time.Millisecond) // a third would come now
	rc.mu.Lock()
	if len(rc.byID) != 2 || !rc.objects[id] || !rc.objects[id2] {
		t.Errorf("webhooks of session.paid and session.underpaid: %d messages about %v, want one about each of %s and %s",
			len(rc.byID), rc.objects, id, id2)
	}
	rc.mu.Unlock()

	// The Omise dialect lists the one paid session's charge, with a crypto
	// source; the underpaid one has none.
	req, _ := http.NewRequest("GET", srv.url+"/charges?limit=10", nil)
	req.SetBasicAuth(srv.skey, "")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var charges struct {
		Data []struct {
			Amount   int64  `json:"amount"`
			Currency string `json:"currency"`
			Paid     bool   `json:"paid"`
			Source   *struct {
				Type string `json:"type"`
			} `json:"source"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&charges)
	resp.Body.Close()
	if err != nil || len(charges.Data) != 1 || charges.Data[0].Amount != 3000 || !strings.EqualFold(charges.Data[0].Currency, "usd") ||
		charges.Data[0].Source == nil || charges.Data[0].Source.Type != "crypto" {
		t.Errorf("Omise GET /charges: %v %+v", err, charges)
	}
}

// sessionEvents returns the v1 types of session id's events, oldest first,
// from GET /api/v1/events filtered by types when not empty.
func sessionEvents(api func(method, path, body string) map[string]any, id, types string) []string {
	path := "/api/v1/events?limit=100"
	if types != "" {
		path += "&type=" + types
	}
	var out []string
	for _, e := range api("GET", path, "")["data"].([]any) {
		ev, _ := e.(map[string]any)
		if data, _ := ev["data"].(map[string]any); data["id"] == id {
			typ, _ := ev["type"].(string)
			out = append([]string{typ}, out...)
		}
	}
	return out
}
