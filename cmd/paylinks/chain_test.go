package main

import (
	"context"
	"io"
	"log/slog"
	"math/big"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/paylinks/paylinks/internal/chain"
	"github.com/paylinks/paylinks/internal/chain/gethtest"
	"github.com/paylinks/paylinks/internal/store/sqlite"
)

// TestChainFlags: serve refuses a malformed --eth-rpc-url or a depth of 0
// before it starts anything.
func TestChainFlags(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "c.db")
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--eth-rpc-url", "ftp://node:8545"}, nil, "--eth-rpc-url"},
		{[]string{"--eth-rpc-url", "127.0.0.1:8545"}, nil, "--eth-rpc-url"},
		{nil, map[string]string{"PAYLINKS_ETH_RPC_URL": "node"}, "--eth-rpc-url"},
		{[]string{"--eth-rpc-url", "http://127.0.0.1:8545", "--eth-confirmations-depth", "0"}, nil, "--eth-confirmations-depth"},
		{nil, map[string]string{"PAYLINKS_ETH_RPC_URL": "http://127.0.0.1:8545", "PAYLINKS_ETH_CONFIRMATIONS_DEPTH": "0"}, "--eth-confirmations-depth"},
	} {
		args := append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, tc.args...)
		err := run(context.Background(), args, func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %v with env %v: got %v, want an error naming %s", tc.args, tc.env, err, tc.want)
		}
	}
}

// chainSinkRecorder is a chain.Sink that watches one address and keeps
// the last activity of it.
type chainSinkRecorder struct {
	addr string
	mu   sync.Mutex
	last *chain.Activity
}

func (s *chainSinkRecorder) Watched(ctx context.Context, chainID uint64, addrs []string) (map[string]bool, error) {
	return map[string]bool{s.addr: true}, nil
}

func (s *chainSinkRecorder) Observe(ctx context.Context, acts []chain.Activity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range acts {
		if a.Address == s.addr {
			s.last = &a
		}
	}
	return nil
}

// TestStartChainWatcher starts serve's chain watcher on a real node
// (geth --dev) and a SQLite store: a payment reaches the sink with its
// confirmations; without a sink the watcher is refused.
func TestStartChainWatcher(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	url, depth := "http://127.0.0.1:1", uint64(3)
	f := chainFlags{rpcURL: &url, depth: &depth}
	if _, err := startChainWatcher(t.Context(), st, f, nil, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("startChainWatcher without a sink: got nil error")
	}

	node := gethtest.Start(t, "--dev.period", "1")
	url = node.URL
	deposit := common.HexToAddress("0x5000000000000000000000000000000000000005")
	sink := &chainSinkRecorder{addr: strings.ToLower(deposit.Hex())}
	stop, err := startChainWatcher(t.Context(), st, f, sink, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// The watcher starts at the head it finds: pay once it has one.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := st.ChainHead(t.Context(), 1337); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the watcher processed no block within 30s")
		}
	}
	hash := node.Send(t, deposit, big.NewInt(42))
	deadline := time.Now().Add(60 * time.Second)
	for {
		sink.mu.Lock()
		last := sink.last
		sink.mu.Unlock()
		if last != nil && len(last.Transfers) == 1 && last.Transfers[0].Confirmations >= 2 {
			if got := last.Transfers[0]; got.TxHash != hash.Hex() || got.Wei.Int64() != 42 {
				t.Errorf("observed %+v, want tx %s of 42 wei", got, hash.Hex())
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the payment was not observed with 2 confirmations within 60s (last %+v)", last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
